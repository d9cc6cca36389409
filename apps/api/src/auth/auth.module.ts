import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AccountsController } from './accounts.controller';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';

/**
 * Sign-in, sessions, accounts and members (HTTP process), and the global guard that authenticates
 * every route. The repositories and tokens are provided by `CoreModule` (global: the worker uses them
 * too).
 */
@Module({
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
})
export class AuthModule {}
