import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { JobsModule } from './jobs/jobs.module';
import { InvalidationBus } from './redis/invalidation-bus';
import { RateLimiter } from './redis/rate-limiter';
import { RedisModule } from './redis/redis.module';
import { UserRepository } from './auth/user.repository';
import { MembershipRepository } from './auth/membership.repository';
import { TokenService } from './auth/token.service';
import { SiteRepository } from './sites/site.repository';
import { SiteKeyRepository } from './sites/site-key.repository';
import { SiteKeyService } from './sites/site-key.service';
import { SiteDirectory } from './auth/site-directory';
import { SitesDirectory } from './sites/sites-directory';

const shared = [
  InvalidationBus,
  RateLimiter,
  UserRepository,
  MembershipRepository,
  TokenService,
  SiteRepository,
  SiteKeyRepository,
  SiteKeyService,
  // Access control asks the sites feature through its port (auth never imports sites).
  { provide: SiteDirectory, useClass: SitesDirectory },
];

/**
 * What both processes share: config, PostgreSQL, Redis, queues, and the tenancy repositories. Global,
 * so the modules of auth and sites, whose repositories are provided here, need not import it back.
 */
@Global()
@Module({
  imports: [
    ConfigModule,
    DatabaseModule,
    RedisModule,
    JobsModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) => ({ secret: cfg.JWT_SECRET }),
    }),
  ],
  providers: shared,
  exports: [...shared, JwtModule, ConfigModule, RedisModule, JobsModule],
})
export class CoreModule {}
