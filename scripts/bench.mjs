#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.bench.mjs (plain ESM over the built dist; `npm run build` first).
// `npm run bench -- <name> --citus` runs it twice, on plain PostgreSQL and then on the local Citus cluster
// (CITUS_COORDINATOR_URL, default 127.0.0.1:9700, workers CITUS_WORKER_URLS, default 9701 and 9702; a
// database of its own, `nudgeflow_bench_<name>_citus`, provisioned on every node), and prints the
// figures each run marked (`= label: value` lines, bench/lib.mjs `figure`) side by side.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
const available = readdirSync(resolve(root, 'bench'))
  .filter((f) => /\.bench\.(mjs|js)$/.test(f))
  .map((f) => f.replace(/\.bench\.(mjs|js)$/, ''));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [--citus]   (available: ${available.join(', ') || 'none'})`);
  process.exit(name ? 1 : 0);
}
const citus = rest.includes('--citus');
const args = rest.filter((a) => a !== '--citus');
const file = ['mjs', 'js'].map((ext) => resolve(root, 'bench', `${name}.bench.${ext}`)).find(existsSync);

if (!citus) {
  const r = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}

/** Runs the bench with extra environment, echoing its output; resolves with its marked figures. */
function run(label, env) {
  console.log(`\n===== ${name} on ${label} =====`);
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [file, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) return rej(new Error(`${name} on ${label} exited ${code}`));
      const figures = new Map();
      for (const m of out.matchAll(/^= (.+?): (.+)$/gm)) figures.set(m[1], m[2]);
      res(figures);
    });
  });
}

const coordinator = new URL(process.env.CITUS_COORDINATOR_URL ?? 'postgres://postgres@127.0.0.1:9700');
coordinator.pathname = `/nudgeflow_bench_${name}_citus`;
const workers =
  process.env.CITUS_WORKER_URLS ?? 'postgres://postgres@127.0.0.1:9701,postgres://postgres@127.0.0.1:9702';
const provisioned = spawnSync(
  process.execPath,
  [resolve(root, 'test/support/provision-database.mjs'), coordinator.toString()],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CITUS_WORKER_URLS: workers } },
);
if (provisioned.status !== 0) process.exit(provisioned.status ?? 1);
// Strict mode is what the tests prove (npm run test:citus); a bench measures speed, and its own set-up
// and check queries read across sites.
const admin = new pg.Client({ connectionString: coordinator.toString() });
await admin.connect();
await admin.query(`ALTER DATABASE "${coordinator.pathname.slice(1)}" RESET citus.multi_task_query_log_level`);
await admin.end();

const plain = await run('plain PostgreSQL', {});
const onCitus = await run('Citus (coordinator + 2 workers on loopback)', {
  BENCH_DATABASE_URL: coordinator.toString(),
  BENCH_CITUS: '1',
});
const labels = [...new Set([...plain.keys(), ...onCitus.keys()])];
const width = Math.max(10, ...labels.map((l) => l.length));
console.log(`\n${name}: plain PostgreSQL beside Citus (same box, one run after the other)`);
console.log(`${'figure'.padEnd(width)}  ${'plain'.padEnd(30)}Citus`);
for (const l of labels)
  console.log(`${l.padEnd(width)}  ${(plain.get(l) ?? '-').padEnd(30)}${onCitus.get(l) ?? '-'}`);
