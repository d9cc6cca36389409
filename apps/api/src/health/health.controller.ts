import { Controller, Get, HttpStatus, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../auth/principal';
import { AppError } from '../common/app-error';
import { REDIS } from '../redis/redis.module';
import { RateLimiter } from '../redis/rate-limiter';

type Probe = { status: 'up' } | { status: 'down'; message: string };

const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<Probe> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'up' };
  } catch (err) {
    return { status: 'down', message: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * PostgreSQL is the source of truth: without it nothing can be committed (503, Retry-After). Redis is
 * the fast path: without it the API stays up (200, `status: degraded`) and keeps storing events, with
 * rate limits counted per process; flows and webhook deliveries catch up when Redis is back.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly limiter: RateLimiter,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get()
  @Public()
  async check() {
    const [postgres, redis] = await Promise.all([
      probe(() => this.db.query('SELECT 1')),
      probe(async () => {
        if ((await this.redis.ping()) !== 'PONG') throw new Error('unexpected PING reply');
      }),
    ]);
    const details = { postgres, redis };
    const info = Object.fromEntries(Object.entries(details).filter(([, p]) => p.status === 'up'));
    const error = Object.fromEntries(Object.entries(details).filter(([, p]) => p.status === 'down'));
    if (postgres.status === 'down') {
      throw new AppError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'UNHEALTHY',
        'PostgreSQL is down: nothing can be committed',
        { status: 'error', info, error, details },
        { 'retry-after': '5' },
      );
    }
    if (redis.status === 'down') {
      const since = this.limiter.fallbackSince;
      return {
        status: 'degraded',
        info,
        error,
        details,
        ingest: {
          accepting: true,
          note: 'Redis is down: events are still committed to PostgreSQL; rate limits are counted per API process; flows and webhooks resume when Redis is back',
          ...(since ? { perProcessLimitsSince: since.toISOString() } : {}),
        },
      };
    }
    return { status: 'ok', info, error, details, ingest: { accepting: true } };
  }
}
