import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsController } from './accounts.controller';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';

/**
 * Sign-in, sessions, accounts and members (HTTP process), and the global guard that authenticates
 * every route. The repositories and tokens are provided by `CoreModule` (global: the worker uses them
 * too).
 */
@Module({
  controllers: [AuthController, AccountsController],
  providers: [AuthService, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
