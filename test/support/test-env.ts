/** Every test process talks to its own database and queue prefix, never the dev ones. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1';

/** A database of its own for a suite that runs a worker (its outbox relay claims every site's rows). */
export const siblingDatabaseUrl = (suffix: string): string => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_${suffix}`;
  return url.toString();
};

export function applyTestEnv(): void {
  process.env.NODE_ENV = 'test';
  process.env.DATABASE_URL = TEST_DATABASE_URL;
  process.env.REDIS_URL = TEST_REDIS_URL;
  process.env.QUEUE_PREFIX = process.env.QUEUE_PREFIX ?? 'nftest';
  process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
  process.env.SCHEDULE_MAINTENANCE = 'false';
  process.env.OPERATOR_EMAILS = 'operator@nudgeflow.test';
  // Suites sign up hundreds of users; the cost of a hash is not what they test.
  process.env.PASSWORD_HASH_COST = process.env.PASSWORD_HASH_COST ?? 'test';
}

applyTestEnv();

/**
 * A test's own `pg` connection. Under `npm run test:citus` strict mode refuses statements that fan
 * out to several shards; a test's set-up and inspection queries (every run of the database, counts
 * across sites) are not the product's, so its own connection opts out. The processes under test
 * keep strict mode.
 */
export const testClientConfig = (connectionString: string = TEST_DATABASE_URL) => ({
  connectionString,
  ...(process.env.CITUS_WORKER_URLS ? { options: '-c citus.multi_task_query_log_level=off' } : {}),
});
