import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CoreModule } from '../core.module';
import { AccountsController } from './accounts.controller';
import { AuthController } from './auth.controller';
import { AuthCoreModule } from './auth-core.module';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';

/**
 * Sign-in, sessions, accounts and members (HTTP process), and the global guard that authenticates
 * every route. The guard asks about sites through `SiteDirectory`, which the sites feature provides:
 * its module is handed in where the modules are put together (`AuthModule.withSites(SitesCoreModule)`),
 * so auth never imports sites.
 */
@Module({})
export class AuthModule {
  static withSites(sites: Type<unknown>): DynamicModule {
    return {
      module: AuthModule,
      imports: [CoreModule, AuthCoreModule, sites],
      controllers: [AuthController, AccountsController],
      providers: [AuthService, { provide: APP_GUARD, useClass: AuthGuard }],
    };
  }
}
