import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { JobsModule } from './jobs/jobs.module';
import { InvalidationBus } from './redis/invalidation-bus';
import { RateLimiter } from './redis/rate-limiter';
import { RedisModule } from './redis/redis.module';

const shared = [InvalidationBus, RateLimiter];

/**
 * The infrastructure both processes share: config, PostgreSQL, Redis, queues, the invalidation bus and
 * the rate limiter. Not global: a module imports it, and the features it uses (`SitesCoreModule`,
 * `AuthCoreModule`, ...), by name.
 */
@Module({
  imports: [ConfigModule, DatabaseModule, RedisModule, JobsModule],
  providers: shared,
  exports: [...shared, ConfigModule, RedisModule, JobsModule],
})
export class CoreModule {}
