import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CoreModule } from '../core.module';
import { AccountsController } from './accounts.controller';
import { AuthController } from './auth.controller';
import { AuthCoreModule } from './auth-core.module';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';

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
      providers: [
        AuthService,
        {
          provide: PasswordHasher,
          useFactory: (cfg: AppConfig) => new PasswordHasher(cfg),
          inject: [APP_CONFIG],
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
