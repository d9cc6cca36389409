import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { redisOptions } from '../redis/redis.module';

export class StartupError extends Error {}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');

/** Loads config and proves PostgreSQL and Redis answer, so a bad setup ends in one clear line. */
export async function preflight(): Promise<AppConfig> {
  const cfg = loadConfig();
  const pg = new Client({ connectionString: cfg.DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await pg.connect();
    const [{ pending }] = (
      await pg.query<{ pending: boolean }>(`SELECT to_regclass('public.migrations') IS NULL AS pending`)
    ).rows;
    if (pending)
      throw new StartupError(
        `PostgreSQL at ${redact(cfg.DATABASE_URL)} has no schema: run "npm run migrate"`,
      );
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(
      `PostgreSQL unreachable at ${redact(cfg.DATABASE_URL)}: ${(err as Error).message}`,
    );
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis({
    ...redisOptions(cfg.REDIS_URL),
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new StartupError(`Redis unreachable at ${redact(cfg.REDIS_URL)}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
  return cfg;
}

/** Prints one line and exits non-zero; never a bare stack trace for a setup problem. */
export function failStartup(err: unknown, process_name: string): never {
  const known = err instanceof ConfigError || err instanceof StartupError;
  const message = known
    ? (err as Error).message
    : `unexpected start-up failure: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${process_name}: ${message}\n`);
  process.exit(1);
}
