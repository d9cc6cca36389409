import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { LeasedRateCounter } from './lease-counter';
import { REDIS } from './redis.module';

export type { RateDecision } from './lease-counter';

/** The API's rate limits: per-key fixed windows shared by every replica through Redis, in leases. */
@Injectable()
export class RateLimiter extends LeasedRateCounter {
  private readonly logger = new Logger(RateLimiter.name);

  constructor(@Inject(REDIS) redis: Redis) {
    super(redis);
  }

  protected override onDegraded(err: Error): void {
    this.logger.warn({ err: err.message }, 'Redis unavailable: rate limits counted per process');
  }

  protected override onShared(): void {
    this.logger.log('Redis is back: rate limits are shared again');
  }
}
