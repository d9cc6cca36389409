// `npm run test:citus`: the integration suites (everything that talks to PostgreSQL; the unit and
// builder projects do not) and the Citus checks in test/citus, against a Citus cluster named by
//   CITUS_COORDINATOR_URL  (default postgres://postgres@127.0.0.1:9700)
//   CITUS_WORKER_URLS      (comma-separated; default the two local workers on 9701 and 9702)
// Each test database is provisioned on every node with citus + hll, the workers registered and strict
// mode on (test/support/provision-database.mjs). Suites listed in test/citus-pending.txt are skipped,
// each with its reason. Extra arguments go to jest (a path runs that suite alone).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coordinator = new URL(process.env.CITUS_COORDINATOR_URL ?? 'postgres://postgres@127.0.0.1:9700');
const workers =
  process.env.CITUS_WORKER_URLS ?? 'postgres://postgres@127.0.0.1:9701,postgres://postgres@127.0.0.1:9702';
coordinator.pathname = `/${process.env.TEST_CITUS_DATABASE ?? 'nudgeflow_citus_test'}`;

const pending = readFileSync(resolve(root, 'test/citus-pending.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
for (const line of pending) {
  const path = line.split(' # ')[0].trim();
  // A renamed or deleted suite must not stay skipped silently under its old name.
  if (!existsSync(resolve(root, path))) throw new Error(`test/citus-pending.txt: ${path} does not exist`);
  if (!line.includes(' # ')) throw new Error(`test/citus-pending.txt: ${path} needs a reason after ' # '`);
  console.log(`test:citus skips ${line}`);
}

const jest = createRequire(import.meta.url).resolve('jest/bin/jest');
const args = process.argv.slice(2);
const projects = args.includes('--selectProjects') ? [] : ['--selectProjects', 'integration', 'citus'];
// Paths before --selectProjects: jest reads every word after it as a project name.
const run = spawnSync(process.execPath, [jest, '--runInBand', ...args, ...projects], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    TEST_DATABASE_URL: coordinator.toString(),
    CITUS_WORKER_URLS: workers,
    DATABASE_REQUIRE_CITUS: 'true',
    // Each test database is distributed over 4 shards, not 32: the same routing and plans (sites still
    // spread over both workers), a tenth of the shard tables to create and of the per-shard passes.
    CITUS_SHARD_COUNT: process.env.CITUS_SHARD_COUNT ?? '4',
  },
});
process.exit(run.status ?? 1);
