import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Whether this run is `npm run test:citus` (a Citus cluster named by CITUS_WORKER_URLS). */
export const ON_CITUS = Boolean(process.env.CITUS_WORKER_URLS);

/**
 * Creates `url`'s database when missing: on plain PostgreSQL a CREATE DATABASE; under test:citus on
 * every node, with the extensions, workers and strict mode (provision-database.mjs says how).
 */
export function provisionDatabase(url: string): void {
  execFileSync(process.execPath, [resolve(__dirname, 'provision-database.mjs'), url], { stdio: 'pipe' });
}
