import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { TickBatcher } from '../common/tick-batcher';
import { REDIS } from './redis.module';

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

interface Hit {
  limit: number;
  window: number;
  windowSeconds: number;
}

/**
 * Fixed-window counter in Redis, shared by every API replica. Hits on the same counter that arrive in
 * the same turn of the event loop share one INCRBY: the reply numbers them (count − n + 1 … count) and
 * each is allowed when its number is within its limit — exactly what one INCR each would decide, for
 * one round trip instead of n (a socket write costs more than the rest of a decide request here).
 */
@Injectable()
export class RateLimiter {
  private readonly hits = new TickBatcher<Hit, RateDecision>((redisKey, hits) => this.count(redisKey, hits));

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    return this.hits.add(`rl:${key}:${window}`, { limit, window, windowSeconds });
  }

  private async count(redisKey: string, hits: Hit[]): Promise<RateDecision[]> {
    const { window, windowSeconds } = hits[0];
    const [[, count]] = (await this.redis
      .multi()
      .incrby(redisKey, hits.length)
      .expire(redisKey, windowSeconds + 1)
      .exec()) as [[Error | null, number]];
    const first = count - hits.length + 1;
    const retryAfterSeconds = Math.max(1, (window + 1) * windowSeconds - Math.floor(Date.now() / 1000));
    return hits.map((h, i) => ({
      allowed: first + i <= h.limit,
      remaining: Math.max(0, h.limit - (first + i)),
      retryAfterSeconds,
    }));
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    await this.redis.del(`rl:${key}:${window}`);
  }
}
