// Helpers every benchmark shares: ports, the benchmark database, starting built processes, percentiles
// and the machine's load average. Not a benchmark itself (scripts/bench.mjs runs only *.bench.mjs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';

export const root = resolve(import.meta.dirname, '..');

/** A TCP port free on loopback right now. */
export function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Creates the benchmark database when missing and runs the API's migrations on it (needs the build).
 * `fresh`: drops it first, for a bench whose worker would otherwise pick up what an earlier run left
 * undone (the fold bench's backlog when a run was stopped or missed its drain).
 */
export async function prepareDatabase(dbUrl, { fresh = false } = {}) {
  const u = new URL(dbUrl);
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(u), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  if (fresh) await admin.query(`DROP DATABASE IF EXISTS "${u.pathname.slice(1)}" WITH (FORCE)`);
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [u.pathname.slice(1)]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE "${u.pathname.slice(1)}"`);
  await admin.end();
  const { migrateDatabase } = await import(resolve(root, 'apps/api/dist/database/migrate-database.js'));
  await migrateDatabase(dbUrl);
}

/** Node flags from an environment variable (`--cpu-prof --cpu-prof-dir=/tmp/prof` profiles a process). */
export const nodeArgsFrom = (name) => (process.env[name] ?? '').split(' ').filter(Boolean);

/**
 * Starts a built entry point (`apps/api/dist/main.js`, …) with extra environment and resolves with the
 * child process once its output contains `readyText`; rejects with that output if it exits first.
 */
export function startProcess(entry, env, readyText, nodeArgs = []) {
  const proc = spawn(process.execPath, [...nodeArgs, resolve(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((res, rej) => {
    const onData = (d) => {
      out += d.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      if (out.includes(readyText)) res(proc);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => rej(new Error(`${entry} exited ${code}:\n${out}`)));
  });
}

/** The p-th percentile (0–100) of unsorted values; NaN when there are none. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The 1/5/15-minute load averages, printed beside every number a shared machine produces. */
export const loadAverage = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 if it is gone). */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks at USER_HZ = 100
  } catch {
    return 0;
  }
}

/**
 * CPU (ms) PostgreSQL spends on one database between `start()` and `stop()`: its backends plus the
 * server's own background processes (WAL writer, checkpointer...). Backends that open meanwhile
 * count whole; one that closes before `stop()` is left out.
 */
export async function postgresCpu(dbUrl) {
  const admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
  const pids = async () =>
    (
      await admin.query(
        `SELECT pid FROM pg_stat_activity
          WHERE (datname = current_database() OR backend_type <> 'client backend') AND pid <> pg_backend_pid()`,
      )
    ).rows.map((r) => r.pid);
  let base = new Map();
  return {
    async start() {
      base = new Map((await pids()).map((pid) => [pid, cpuMs(pid)]));
    },
    async stop() {
      let sum = 0;
      for (const pid of new Set([...base.keys(), ...(await pids())])) {
        const used = cpuMs(pid) - (base.get(pid) ?? 0);
        if (used > 0) sum += used;
      }
      return sum;
    },
    end: () => admin.end(),
  };
}

/** Marks a headline figure (`= label: value`): `npm run bench -- NAME --citus` lines them up side by side. */
export function figure(label, value) {
  console.log(`= ${label}: ${value}`);
}

/** The JWT secret of every API process a bench starts. */
export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-123';

/**
 * Environment of an API or worker process a bench starts on loopback: its port, database, Redis and
 * queue prefix; maintenance schedules off; `extra` on top (rate limits, log level...).
 */
export function benchEnv({ port, dbUrl, redisUrl, prefix }, extra = {}) {
  return {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    SCHEDULE_MAINTENANCE: 'false',
    JWT_SECRET: BENCH_JWT_SECRET,
    ...extra,
  };
}

/** One JSON call to the API (POST unless told; no body when `payload` is undefined); throws on non-2xx. */
export async function apiCall(url, path, payload, token, method = 'POST') {
  const res = await globalThis.fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Signs a new bench user up and creates one site through the API: `{ token, accountId, site }`. */
export async function benchSite(url, name, domain) {
  const signup = await apiCall(url, '/api/auth/signup', {
    email: `bench-${Math.random().toString(36).slice(2, 10)}@example.com`,
    password: 'correct-horse-battery',
    name,
  });
  const site = await apiCall(url, '/api/sites', { name, domain }, signup.accessToken);
  return { token: signup.accessToken, accountId: signup.accountId, site };
}

/**
 * autocannon with one POST shape (a new body per request from `body()`), bounded by `duration` (s) or
 * `amount` (requests); `overallRate` holds a request rate. Resolves with autocannon's result.
 */
export async function postLoad({ url, connections, duration, amount, headers, body, overallRate }) {
  const { default: autocannon } = await import('autocannon');
  return new Promise((res, rej) => {
    autocannon(
      {
        url,
        connections,
        ...(amount ? { amount } : { duration }),
        ...(overallRate ? { overallRate } : {}),
        requests: [{ method: 'POST', headers, setupRequest: (req) => ({ ...req, body: body() }) }],
      },
      (err, result) => (err ? rej(err) : res(result)),
    );
  });
}

/** A desktop browser's User-Agent: isbot lets it through, so a bench's events are a visitor's, not a bot's. */
export const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/**
 * The built API modules of the storage path (data source, EventStore, the request items and group
 * commit, normalizeBatch), for a bench that writes events as the API does without HTTP.
 */
export const storeModules = () =>
  Promise.all(
    [
      'database/data-source.js',
      'ingest/event-store.repository.js',
      'ingest/ingest.service.js',
      'ingest/event-normalize.js',
    ].map((path) => import(resolve(root, 'apps/api/dist', path))),
  );
