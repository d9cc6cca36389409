// npm run bench -- webhooks   (after `npm run build`)
//
// Deliveries/s of the real worker (BullMQ job -> claim of a batch -> sign -> pinned undici POST ->
// attempt rows)
// to a receiver on 127.0.0.1, against the raw ceiling measured in the same run: plain undici POSTs of
// the same bodies at the same concurrency (BENCH_CONCURRENCY, default 50: the worker runs with
// WORKER_CONCURRENCY = half of it, and the webhooks queue takes 2 x WORKER_CONCURRENCY jobs at once).
// One scenario per receiver delay in BENCH_RECEIVER_DELAY_MS (default "0,20": instant, and a
// realistic endpoint). Bounded: BENCH_MESSAGES per scenario (default 4000), BENCH_TIMEOUT_S per
// scenario (default 120) and BENCH_TOTAL_TIMEOUT_S for the whole run (default 600).
// Databases: BENCH_DATABASE_URL (default nudgeflow_bench, created and migrated), BENCH_REDIS_URL.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Agent, request } from 'undici';
import { prepareDatabase, root } from './lib.mjs';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 4000);
const CONCURRENCY = Math.max(2, Number(process.env.BENCH_CONCURRENCY ?? 50));
const WORKER_CONCURRENCY = Math.ceil(CONCURRENCY / 2);
const TOTAL_TIMEOUT_MS = Number(process.env.BENCH_TOTAL_TIMEOUT_S ?? 600) * 1000;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 120) * 1000;
const DELAYS = (process.env.BENCH_RECEIVER_DELAY_MS ?? '0,20').split(',').map(Number);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const PREFIX = 'nfbench-webhooks';
const SECRETS_KEY = 'bench-secrets-key-for-webhooks-only';

// The raw client in a process of its own (as the worker is): reads the bodies on stdin, warms up,
// prints {perSecond, cpuMs} of the measured run.
if (process.env.WEBHOOKS_BENCH_RAW_PORT) {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const bodies = JSON.parse(input);
  const port = Number(process.env.WEBHOOKS_BENCH_RAW_PORT);
  await raw(port, bodies.slice(0, 200));
  const cpu0 = process.cpuUsage();
  const perSecond = await raw(port, bodies);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ perSecond, cpuMs: (cpu.user + cpu.system) / 1000 }));
  process.exit(0);
}

const { SecretBox } = await import(resolve(root, 'apps/api/dist/webhooks/secret-box.js'));
const { generateSigningSecret } = await import(resolve(root, 'apps/api/dist/webhooks/webhook-signature.js'));
const { deliverJobs } = await import(resolve(root, 'apps/api/dist/webhooks/webhook-events.js'));

function startReceiver(delayMs) {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      const reply = () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({
        port: server.address().port,
        count: () => count,
        reset: () => (count = 0),
        close: () => server.close(),
      }),
    ),
  );
}

function startWorker() {
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...nodeArgs, resolve(root, 'apps/api/dist/worker.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: DB_URL,
      DB_POOL_SIZE: '20',
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'info',
      SCHEDULE_MAINTENANCE: 'false',
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      SECRETS_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((res, rej) => {
    const onData = (d) => {
      out += d.toString();
      if (out.includes('worker started')) res(proc);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => rej(new Error(`worker exited ${code}:\n${out}`)));
  });
}

const body = (i) =>
  JSON.stringify({
    type: 'flow.send_webhook',
    timestamp: new Date().toISOString(),
    data: {
      i,
      visitor: { id: randomUUID(), traits: { plan: 'pro', email: `v${i}@example.com` } },
      note: 'x'.repeat(300),
    },
  });

/** CPU seconds (user + system) of a process so far, from /proc (0 when it is gone). */
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Where the CPU of a phase went: this process (receiver, and the raw client), the worker, the
 * PostgreSQL backends of the bench database and the whole Redis server (shared: approximate).
 */
async function cpuSnapshot(db, redis, workerPid) {
  const { rows } = await db.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  const info = await redis.info('cpu');
  const num = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  const self = process.cpuUsage();
  return {
    bench: (self.user + self.system) / 1e6,
    worker: cpuOf(workerPid),
    pg: new Map(rows.map((r) => [r.pid, cpuOf(r.pid)])),
    redis: num('used_cpu_user') + num('used_cpu_sys'),
  };
}

function cpuSpent(before, after, count) {
  let pg = 0;
  for (const [pid, t] of after.pg) pg += t - (before.pg.get(pid) ?? 0);
  const ms = (s) => ((s * 1000) / count).toFixed(3);
  return `bench+receiver ${ms(after.bench - before.bench)} | worker ${ms(after.worker - before.worker)} | postgres ${ms(pg)} | redis ${ms(after.redis - before.redis)} ms CPU per message`;
}

async function raw(port, bodies) {
  const agent = new Agent({ connections: 64 });
  const url = `http://127.0.0.1:${port}/raw`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++];
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: b,
          dispatcher: agent,
        });
        await res.body.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return bodies.length / seconds;
}

/** `raw` from a separate process, so the client does not share the receiver's event loop. */
function rawInChild(port, bodies) {
  const proc = spawn(process.execPath, [import.meta.filename], {
    cwd: root,
    env: { ...process.env, WEBHOOKS_BENCH_RAW_PORT: String(port) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d.toString()));
  proc.stdin.end(JSON.stringify(bodies));
  return new Promise((res, rej) =>
    proc.on('exit', (code) =>
      code === 0 ? res(JSON.parse(out)) : rej(new Error(`raw client exited ${code}`)),
    ),
  );
}

async function viaWorker(db, queue, siteId, endpointId, rx, bodies) {
  const ids = bodies.map(() => randomUUID());
  await db.query(
    `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at)
     SELECT $1, id, $2, 'bench', 'msg_' || replace(id::text, '-', ''), id::text, b, now() FROM unnest($3::uuid[], $4::text[]) AS t(id, b)`,
    [siteId, endpointId, ids, bodies],
  );
  const started = performance.now();
  // The jobs the product queues for messages due now (WebhookDispatcher.enqueueMany: system events,
  // the due pass, recover): one per DELIVER_BATCH messages of the site, each claiming that many.
  await queue.addBulk(
    deliverJobs(ids.map((id) => ({ siteId, id, attempt: 0 }))).map((j) => ({
      name: 'WebhookMessageDeliver',
      ...j,
    })),
  );
  const deadline = Date.now() + TIMEOUT_MS;
  while (rx.count() < bodies.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - started) / 1000;
  // Wait for the last attempt rows so the next scenario starts clean.
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM webhook_messages WHERE site_id = $1 AND id = ANY ($2::uuid[]) AND status = 'succeeded'`,
      [siteId, ids],
    );
    if (rows[0].n === ids.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const { rows } = await db.query(
    `SELECT count(*)::int AS n, count(DISTINCT webhook_id)::int AS ids FROM webhook_attempts WHERE site_id = $1 AND message_id = ANY ($2::uuid[])`,
    [siteId, ids],
  );
  return {
    perSecond: rx.count() / seconds,
    delivered: rx.count(),
    attempts: rows[0].n,
    timedOut: rx.count() < bodies.length,
  };
}

await prepareDatabase(DB_URL);
const db = new pg.Client({ connectionString: DB_URL });
await db.connect();
const queue = new Queue('webhooks', {
  prefix: PREFIX,
  connection: { url: REDIS_URL, maxRetriesPerRequest: null },
});
await queue.obliterate({ force: true });
const redis = new Redis(REDIS_URL);
const worker = await startWorker();
const watchdog = setTimeout(() => {
  console.error(`webhooks bench: over BENCH_TOTAL_TIMEOUT_S (${TOTAL_TIMEOUT_MS / 1000} s), stopping`);
  worker.kill('SIGKILL');
  process.exit(2);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();
const box = new SecretBox(SECRETS_KEY);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `webhooks bench: ${MESSAGES} messages per scenario, concurrency ${CONCURRENCY} (worker WORKER_CONCURRENCY ${WORKER_CONCURRENCY}), loopback receiver; load average ${load()}`,
);
try {
  const [{ id: accountId }] = (await db.query(`INSERT INTO accounts (name) VALUES ('bench') RETURNING id`))
    .rows;
  const [{ id: siteId }] = (
    await db.query(
      `INSERT INTO sites (account_id, name, domain) VALUES ($1, 'bench', 'bench.example.com') RETURNING id`,
      [accountId],
    )
  ).rows;
  for (const delay of DELAYS) {
    const rx = await startReceiver(delay);
    const [{ id: endpointId }] = (
      await db.query(
        `INSERT INTO webhook_endpoints (site_id, url, secret_enc) VALUES ($1, $2, $3) RETURNING id`,
        [siteId, `http://127.0.0.1:${rx.port}/hook`, box.seal(generateSigningSecret())],
      )
    ).rows;
    const bodies = Array.from({ length: MESSAGES }, (_, i) => body(i));
    // Warm-up (connections, JIT, prepared plans) outside the measurement.
    await raw(rx.port, bodies.slice(0, 200));
    await viaWorker(db, queue, siteId, endpointId, rx, bodies.slice(0, 200));
    rx.reset();
    const c0 = await cpuSnapshot(db, redis, worker.pid);
    const rawSame = await raw(rx.port, bodies);
    const c1 = await cpuSnapshot(db, redis, worker.pid);
    rx.reset();
    const child = await rawInChild(rx.port, bodies);
    rx.reset();
    // The ceiling is the faster of the two raw clients: in this process (sharing the receiver's
    // event loop) or in its own (like the worker).
    const rawRate = Math.max(rawSame, child.perSecond);
    const c1w = await cpuSnapshot(db, redis, worker.pid);
    const w = await viaWorker(db, queue, siteId, endpointId, rx, bodies);
    const c2 = await cpuSnapshot(db, redis, worker.pid);
    rx.close();
    const ratio = (w.perSecond / rawRate) * 100;
    console.log(
      `receiver ${String(delay).padStart(3)} ms: raw undici ${rawRate.toFixed(0)}/s | webhooks ${w.perSecond.toFixed(0)}/s ` +
        `(${w.delivered}/${MESSAGES} delivered, ${w.attempts} attempt rows${w.timedOut ? ', TIMED OUT' : ''}) | ratio ${ratio.toFixed(1)} % (target >= 50 %)`,
    );
    console.log(
      `  raw client in the receiver's process ${rawSame.toFixed(0)}/s, in its own process ${child.perSecond.toFixed(0)}/s ` +
        `(${(child.cpuMs / MESSAGES).toFixed(3)} ms CPU per message)`,
    );
    console.log(`  raw (receiver's process): ${cpuSpent(c0, c1, MESSAGES)}`);
    console.log(`  webhooks: ${cpuSpent(c1w, c2, MESSAGES)} (until every attempt row is written)`);
  }
  console.log(`load average at the end: ${load()}`);
} finally {
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (worker.exitCode === null) worker.kill('SIGKILL');
  clearTimeout(watchdog);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  redis.disconnect();
  await db.end();
}
