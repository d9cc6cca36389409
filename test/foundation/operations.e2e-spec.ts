import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { freePort, runNode, waitForPort, startApi, startWorker, TestApi } from '../support/processes';
import { PASSWORD } from '../support/tenants';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/test-env';

const waitFor = async (check: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('health with a Redis that goes away', () => {
  it('answers 200 with both dependencies up, then 200 "degraded" naming redis when it stops', async () => {
    const port = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const redisUrl = `redis://127.0.0.1:${port}`;
    let api: TestApi | undefined;
    try {
      await waitForPort(port);
      api = await startApi({ REDIS_URL: redisUrl });
      const up = await api.request('/health');
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({
        status: 'ok',
        info: { postgres: { status: 'up' }, redis: { status: 'up' } },
      });
      redis.kill('SIGKILL');
      // PostgreSQL is the source of truth: without Redis the API keeps serving (and stays in rotation).
      await waitFor(async () => (await api!.request('/health')).body.status === 'degraded');
      const down = await api.request('/health');
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({
        status: 'degraded',
        error: { redis: { status: 'down' } },
        info: { postgres: { status: 'up' } },
      });
    } finally {
      redis.kill('SIGKILL');
      await api?.stop('SIGKILL');
    }
  });
});

describe('start-up errors are one clear line and a non-zero exit', () => {
  const oneLine = async (entry: string, env: Record<string, string>) => {
    const p = runNode(entry, env);
    const code = await p.exited;
    const lines = p.output().trim().split('\n');
    return { code, lines };
  };

  it.each([
    ['a bad PORT', { PORT: 'eighty' }, /^api: invalid configuration: PORT: /],
    [
      'a bad DATABASE_URL',
      { DATABASE_URL: 'mysql://x' },
      /^api: invalid configuration: DATABASE_URL: must be a postgres:\/\/ URL/,
    ],
    [
      'a short JWT_SECRET',
      { JWT_SECRET: 'short' },
      /^api: invalid configuration: JWT_SECRET: must be at least 32 characters/,
    ],
    [
      'no JWT_SECRET in production',
      { NODE_ENV: 'production' },
      /JWT_SECRET: required when NODE_ENV=production/,
    ],
  ])('api with %s', async (_, env, message) => {
    const { code, lines } = await oneLine('apps/api/dist/main.js', env);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('names an unreachable PostgreSQL or Redis, for the api and the worker', async () => {
    const closed = await freePort();
    const pg = await oneLine('apps/api/dist/main.js', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/x`,
    });
    expect(pg.code).toBe(1);
    expect(pg.lines).toEqual([
      expect.stringMatching(
        new RegExp(`^api: PostgreSQL unreachable at postgres://postgres@127.0.0.1:${closed}/x`),
      ),
    ]);
    const redis = await oneLine('apps/api/dist/worker.js', { REDIS_URL: `redis://127.0.0.1:${closed}` });
    expect(redis.code).toBe(1);
    expect(redis.lines).toEqual([
      expect.stringMatching(new RegExp(`^worker: Redis unreachable at redis://127.0.0.1:${closed}`)),
    ]);
  });
});

describe('operations endpoints', () => {
  let t: TestApi;
  const METRICS_TOKEN = 'metrics-scrape-token-for-tests';
  beforeAll(async () => {
    t = await startApi({ METRICS_TOKEN });
  });
  afterAll(() => t.stop());

  it('exposes Prometheus metrics with the HTTP histogram and queue depths', async () => {
    await t.request('/health');
    // Never anonymous: no token, a wrong token or a user's JWT get nothing.
    expect(await t.request('/metrics')).toMatchObject({
      status: 401,
      body: { code: 'METRICS_TOKEN_INVALID' },
    });
    expect((await t.request('/metrics', { token: 'not-the-metrics-token' })).status).toBe(401);
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/nudgeflow_http_request_duration_seconds_bucket\{.*route="\/health".*\}/);
    expect(text).toMatch(/nudgeflow_queue_jobs\{queue="triggers",state="waiting"\} \d+/);
  });

  it('does not serve /metrics at all without METRICS_TOKEN', async () => {
    const bare = await startApi();
    try {
      const res = await bare.request('/metrics');
      expect(res).toMatchObject({ status: 404, body: { code: 'METRICS_DISABLED' } });
      expect(res.raw).not.toContain('nudgeflow_');
    } finally {
      await bare.stop();
    }
  });

  it('serves OpenAPI docs listing the API', async () => {
    const res = await fetch(`${t.url}/docs-json`);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/sites/{siteId}/keys']),
    );
  });

  it('keeps the queue dashboard for operators only', async () => {
    expect((await t.request('/admin/queues')).status).toBe(401);
    const stranger = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: `s-${Date.now()}@example.com`, password: PASSWORD, name: 'S' },
    });
    expect(await t.request('/admin/queues', { token: stranger.body.accessToken as string })).toMatchObject({
      status: 403,
      body: { code: 'OPERATOR_ONLY' },
    });
    const email = 'operator@nudgeflow.test';
    let login = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email, password: PASSWORD, name: 'Op' },
    });
    if (login.status === 409)
      login = await t.request('/api/auth/login', { method: 'POST', body: { email, password: PASSWORD } });
    const board = await fetch(`${t.url}/admin/queues`, {
      headers: { cookie: `nf_access=${login.body.accessToken}` },
    });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<html');
  });

  it('serves the built builder at / and the embed script at /embed.js', async () => {
    const home = await fetch(`${t.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<div id="root"');
    const deep = await fetch(`${t.url}/flows/some-flow`);
    expect(await deep.text()).toContain('<div id="root"');
    const embed = await fetch(`${t.url}/embed.js`);
    expect(embed.status).toBe(200);
    expect(embed.headers.get('content-type')).toContain('javascript');
    expect((await t.request('/api/nope')).body.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('worker process', () => {
  it('runs maintenance jobs from the queue and exits cleanly on SIGTERM', async () => {
    const db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    const queue = new Queue('maintenance', {
      connection: { url: TEST_REDIS_URL },
      prefix: process.env.QUEUE_PREFIX,
    });
    const worker = await startWorker();
    try {
      const {
        rows: [user],
      } = await db.query<{ id: string }>(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, 'old', 'x') RETURNING id`,
        [`old-${Date.now()}@example.com`],
      );
      await db.query(
        `INSERT INTO user_sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() - interval '3 days')`,
        [user.id, Buffer.from(`t-${Date.now()}`)],
      );
      const job = await queue.add('SessionsPurgeExpired', {});
      await waitFor(async () => (await job.getState()) === 'completed');
      const left = await db.query(`SELECT 1 FROM user_sessions WHERE user_id = $1`, [user.id]);
      expect(left.rowCount).toBe(0);
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
      await queue.close();
      await db.end();
    }
  });
});
