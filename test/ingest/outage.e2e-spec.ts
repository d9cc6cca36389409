import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { freePort, startApi, TestApi, waitForPort } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';
import { dbClient, eventsOf, send, track } from './ingest-helpers';

/**
 * PostgreSQL is the source of truth, Redis the fast path. With Redis gone, /v1 keeps committing
 * events (rate limits counted per process) and /health says so; only when PostgreSQL itself cannot
 * commit does ingestion answer 503 with Retry-After. Redis is a private redis-server the test kills;
 * PostgreSQL is reached through a loopback TCP relay the test cuts.
 */
const waitFor = async (check: () => Promise<boolean>, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** A TCP relay to the test PostgreSQL that can be cut (listener closed, open connections destroyed). */
async function pgRelay(): Promise<{ url: string; cut: () => Promise<void> }> {
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    cut: async () => {
      await new Promise<void>((res) => {
        server.close(() => res());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

describe('ingestion through a Redis outage and a PostgreSQL outage', () => {
  let redis: ChildProcess;
  let api: TestApi;
  let relay: Awaited<ReturnType<typeof pgRelay>>;
  let tenant: Tenant;
  let db: Client;

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
    relay = await pgRelay();
    api = await startApi({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      DATABASE_URL: relay.url,
      INGEST_RATE_LIMIT: '3',
    });
    tenant = await createTenant(api, 'outage');
    db = await dbClient();
  }, 120_000);
  afterAll(async () => {
    redis?.kill('SIGKILL');
    await api?.stop('SIGKILL');
    await relay?.cut();
    await db?.end();
  });

  it('with Redis down: /health is 200 "degraded", events are committed, the per-process limit holds', async () => {
    expect((await api.request('/health')).body).toMatchObject({ status: 'ok' });
    redis.kill('SIGKILL');
    await waitFor(async () => (await api.request('/health')).body.status === 'degraded');
    const health = await api.request('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      info: { postgres: { status: 'up' } },
      error: { redis: { status: 'down' } },
      ingest: { accepting: true },
    });

    const ev = track('outage_event', { messageId: randomUUID() });
    const res = await send(api, '/v1/track', ev, { key: tenant.writeKey });
    expect(res.status).toBe(202);
    const rows = await eventsOf(db, tenant.siteId, 'message_id = $2', [ev.messageId]);
    expect(rows).toHaveLength(1);

    // The rate limit still applies, counted in this process: a burst beyond it is refused with 429.
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => send(api, '/v1/track', track('burst'), { key: tenant.writeKey })),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 429)).toBe(true);
    const limited = burst.find((r) => r.status === 429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('with PostgreSQL unreachable as well: 503 with Retry-After, and /health says so', async () => {
    // Let the per-second window of the previous burst pass.
    await new Promise((r) => setTimeout(r, 1100));
    await relay.cut();
    const res = await send(api, '/v1/track', track('lost'), { key: tenant.writeKey });
    expect(res).toMatchObject({ status: 503, body: { code: 'STORAGE_UNAVAILABLE' } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const health = await api.request('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ error: { postgres: { status: 'down' } } });
    expect(Number(health.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
