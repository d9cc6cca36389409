import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CoreModule } from '../core.module';
import { MembershipRepository } from './membership.repository';
import { TokenService } from './token.service';
import { UserRepository } from './user.repository';

const exported = [UserRepository, MembershipRepository, TokenService];

/**
 * Auth's repositories and tokens, for any process and feature that needs them (the sign-in API, the
 * sites feature's members, the worker's session clean-up).
 */
@Module({
  imports: [
    CoreModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) => ({ secret: cfg.JWT_SECRET }),
    }),
  ],
  providers: exported,
  exports: exported,
})
export class AuthCoreModule {}
