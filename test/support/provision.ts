import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from 'pg';

/** Whether this run is `npm run test:citus` (a Citus cluster named by CITUS_WORKER_URLS). */
export const ON_CITUS = Boolean(process.env.CITUS_WORKER_URLS);

/** The Citus workers of this run (empty on plain PostgreSQL), as URLs of `database` on each. */
export function citusWorkerUrls(database: string): string[] {
  return (process.env.CITUS_WORKER_URLS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Object.assign(new URL(s), { pathname: `/${database}` }).toString());
}

/**
 * Creates `url`'s database when missing: on plain PostgreSQL a CREATE DATABASE; under test:citus on
 * every node, with the extensions, workers and strict mode (provision-database.mjs says how).
 */
export function provisionDatabase(url: string): void {
  execFileSync(process.execPath, [resolve(__dirname, 'provision-database.mjs'), url], { stdio: 'pipe' });
}

/** Provisions `url`'s database (`provisionDatabase`) and runs the migrations on it (the built ones). */
export function migrateDatabase(url: string): void {
  provisionDatabase(url);
  execFileSync(process.execPath, [resolve(__dirname, '../../apps/api/dist/database/migrate.js'), 'up'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    stdio: 'pipe',
  });
}

/**
 * Drops `url`'s database (its connections closed). Under test:citus on the coordinator and every
 * worker: each database has its own Citus metadata and shards, so a worker's copy left behind would
 * collide with the shards of the database `provisionDatabase` makes next.
 */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  for (const node of [url, ...citusWorkerUrls(name)]) {
    const admin = new Client({
      connectionString: Object.assign(new URL(node), { pathname: '/postgres' }).toString(),
    });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
