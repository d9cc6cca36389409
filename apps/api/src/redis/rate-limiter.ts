import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from './redis.module';

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

interface Waiter {
  limit: number;
  resolve: (d: RateDecision) => void;
  reject: (e: unknown) => void;
}

interface Batch {
  window: number;
  windowSeconds: number;
  waiters: Waiter[];
}

/**
 * Fixed-window counter in Redis, shared by every API replica. Hits on the same counter that arrive in
 * the same turn of the event loop share one INCRBY: the reply numbers them (count − n + 1 … count) and
 * each is allowed when its number is within its limit — exactly what one INCR each would decide, for
 * one round trip instead of n (a socket write costs more than the rest of a decide request here).
 */
@Injectable()
export class RateLimiter {
  private readonly pending = new Map<string, Batch>();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    const redisKey = `rl:${key}:${window}`;
    let batch = this.pending.get(redisKey);
    if (!batch) {
      const created: Batch = { window, windowSeconds, waiters: [] };
      this.pending.set(redisKey, created);
      setImmediate(() => void this.flush(redisKey, created));
      batch = created;
    }
    const waiters = batch.waiters;
    return new Promise<RateDecision>((resolve, reject) => waiters.push({ limit, resolve, reject }));
  }

  private async flush(redisKey: string, batch: Batch): Promise<void> {
    this.pending.delete(redisKey);
    const { window, windowSeconds, waiters } = batch;
    try {
      const [[, count]] = (await this.redis
        .multi()
        .incrby(redisKey, waiters.length)
        .expire(redisKey, windowSeconds + 1)
        .exec()) as [[Error | null, number]];
      const first = count - waiters.length + 1;
      const retryAfterSeconds = Math.max(1, (window + 1) * windowSeconds - Math.floor(Date.now() / 1000));
      waiters.forEach((w, i) =>
        w.resolve({
          allowed: first + i <= w.limit,
          remaining: Math.max(0, w.limit - (first + i)),
          retryAfterSeconds,
        }),
      );
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    await this.redis.del(`rl:${key}:${window}`);
  }
}
