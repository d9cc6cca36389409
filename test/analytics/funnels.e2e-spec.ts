import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { Client } from 'pg';
import { RunningProcess, startApi, startWorker, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testClientConfig } from '../support/test-env';

/**
 * Saved funnels: raw events are planted with pg (exact control over ts and insertion order), the real
 * worker materialises them (RollupsAdvance through BullMQ), and the materialised rows and the report
 * API are compared with a straightforward computation over the raw rows written here, independently
 * of the API code.
 */
const PREFIX = `nffunnels${process.pid}`;
const env = { QUEUE_PREFIX: PREFIX, ANALYTICS_ROLLUP_MARGIN_MS: '300' };
const MIN = 60_000;

let api: TestApi;
let worker: RunningProcess;
let db: Client;
let queue: Queue;

interface RawEvent {
  ts: Date;
  name: string;
  visitor: string;
  properties?: Record<string, unknown>;
  bot?: boolean;
}

interface Filter {
  property: string;
  op: 'equals' | 'not_equals' | 'contains' | 'starts_with' | 'exists';
  value?: string;
}
interface Step {
  event: string;
  label?: string;
  filters: Filter[];
}

/** Inserted in array order: events with the same ts are ordered by insertion (id). */
async function insertEvents(siteId: string, events: RawEvent[]): Promise<void> {
  if (events.length === 0) return;
  const days = new Set(events.map((e) => e.ts.toISOString().slice(0, 10)));
  for (const d of days)
    await db.query(`SELECT nf_ensure_daily_partitions('events', $1::date, $1::date)`, [d]);
  await db.query(
    `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties, is_bot)
     SELECT $1, t.ts, t.mid, CASE WHEN t.name = '$page' THEN 'page' ELSE 'track' END, t.name, t.vid, t.props, t.bot
       FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::uuid[], $6::jsonb[], $7::bool[])
            WITH ORDINALITY AS t(ts, mid, name, vid, props, bot, ord)
      ORDER BY t.ord`,
    [
      siteId,
      events.map((e) => e.ts),
      events.map(() => randomUUID()),
      events.map((e) => e.name),
      events.map((e) => e.visitor),
      events.map((e) => JSON.stringify(e.properties ?? {})),
      events.map((e) => e.bot ?? false),
    ],
  );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs RollupsAdvance through the worker until the watermark passes everything committed so far. */
async function rollUp(): Promise<void> {
  const {
    rows: [{ now }],
  } = await db.query<{ now: Date }>(`SELECT clock_timestamp() AS now`);
  await waitFor(async () => {
    const job = await queue.add('RollupsAdvance', {});
    await waitFor(async () => ['completed', 'failed'].includes(await job.getState()));
    if ((await job.getState()) === 'failed') throw new Error(`rollup failed: ${job.failedReason ?? ''}`);
    // every site's watermark (one single-shard read per site; no row yet: no pass since it was created)
    const sites = (await db.query<{ site_id: string }>(`SELECT site_id FROM account_sites`)).rows;
    for (const { site_id } of sites) {
      const { rows } = await db.query<{ hi: Date }>(
        `SELECT hi FROM analytics_rollup_sites WHERE site_id = $1`,
        [site_id],
      );
      if (!rows[0] || rows[0].hi <= now) return false;
    }
    return true;
  });
}

// ---- the reference: a plain loop over raw rows in (ts, id) order ----

function matches(step: Step, name: string, props: Record<string, unknown>): boolean {
  if (name !== step.event) return false;
  for (const f of step.filters) {
    const raw = props[f.property];
    const v = raw === undefined || raw === null ? null : String(raw);
    if (f.op === 'exists' && v === null) return false;
    if (f.op === 'equals' && v !== f.value) return false;
    if (f.op === 'not_equals' && v === f.value) return false;
    if (f.op === 'contains' && (v === null || !v.includes(f.value!))) return false;
    if (f.op === 'starts_with' && (v === null || !v.startsWith(f.value!))) return false;
  }
  return true;
}

interface RefAttempt {
  visitor: string;
  start: number;
  reached: number;
}

async function rawAttempts(siteId: string, steps: Step[], windowMs: number): Promise<RefAttempt[]> {
  const { rows } = await db.query<{
    visitor_id: string;
    ts: Date;
    name: string;
    properties: Record<string, unknown>;
  }>(
    `SELECT visitor_id, ts, name, properties FROM events WHERE site_id = $1 AND NOT is_bot
      ORDER BY visitor_id, ts, id`,
    [siteId],
  );
  const out: RefAttempt[] = [];
  let visitor = '';
  let open: RefAttempt | null = null;
  for (const r of rows) {
    if (r.visitor_id !== visitor) {
      visitor = r.visitor_id;
      open = null;
    }
    const t = r.ts.getTime();
    if (open && t - open.start >= windowMs) open = null;
    if (open === null) {
      if (matches(steps[0], r.name, r.properties)) {
        open = { visitor, start: t, reached: 1 };
        out.push(open);
      }
    } else if (open.reached < steps.length && matches(steps[open.reached], r.name, r.properties)) {
      open.reached++;
    }
  }
  return out;
}

function summarize(attempts: RefAttempt[], nSteps: number, from = -Infinity, to = Infinity) {
  const best = new Map<string, number>();
  const entries = new Array<number>(nSteps).fill(0);
  for (const a of attempts) {
    if (a.start < from || a.start >= to) continue;
    for (let k = 0; k < a.reached; k++) entries[k]++;
    best.set(a.visitor, Math.max(best.get(a.visitor) ?? 0, a.reached));
  }
  const visitors = new Array<number>(nSteps).fill(0);
  for (const b of best.values()) for (let k = 0; k < b; k++) visitors[k]++;
  return { entries, visitors };
}

async function materialised(siteId: string, funnelId: string, nSteps: number) {
  const { rows } = await db.query<{ step: number; entries: number; visitors: number }>(
    `SELECT step, sum(entries)::int AS entries, round(hll_cardinality(hll_union_agg(visitors)))::int AS visitors
       FROM analytics_funnel_days WHERE site_id = $1 AND funnel_id = $2 GROUP BY step ORDER BY step`,
    [siteId, funnelId],
  );
  const entries = new Array<number>(nSteps).fill(0);
  const visitors = new Array<number>(nSteps).fill(0);
  for (const r of rows) {
    entries[r.step - 1] = r.entries;
    visitors[r.step - 1] = r.visitors;
  }
  return { entries, visitors };
}

async function snapshot(siteId: string): Promise<string[]> {
  const out: string[] = [];
  for (const t of ['analytics_funnel_progress', 'analytics_funnel_days']) {
    const { rows } = await db.query(`SELECT t::text AS r FROM ${t} t WHERE site_id = $1 ORDER BY 1`, [
      siteId,
    ]);
    out.push(...rows.map((r: { r: string }) => `${t} ${r.r}`));
  }
  return out;
}

async function createFunnel(t: Tenant, steps: Step[], windowSeconds: number): Promise<string> {
  const res = await api.request(`/api/sites/${t.siteId}/funnels`, {
    method: 'POST',
    token: t.tokens.editor,
    body: { name: 'test funnel', steps, windowSeconds },
  });
  if (res.status !== 201) throw new Error(`create funnel: ${res.status} ${res.raw}`);
  return res.body.id as string;
}

beforeAll(async () => {
  db = new Client(testClientConfig(TEST_DATABASE_URL));
  await db.connect();
  queue = new Queue('maintenance', { connection: { url: TEST_REDIS_URL }, prefix: PREFIX });
  api = await startApi(env);
  worker = await startWorker(env);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await db?.end();
});

const A: Step = {
  event: '$page',
  label: 'Pricing',
  filters: [{ property: 'path', op: 'equals', value: '/pricing' }],
};
const B: Step = { event: 'signup', filters: [] };
const C: Step = { event: 'purchase', filters: [{ property: 'plan', op: 'contains', value: 'pro' }] };
const page = (path: string) => ({ name: '$page', properties: { path } });

describe('saved funnels', () => {
  let t: Tenant;
  let funnelId: string;
  const t0 = Math.floor((Date.now() - 86_400_000) / MIN) * MIN;
  const at = (m: number) => new Date(t0 + m * MIN);
  const v = Object.fromEntries(
    ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'bot'].map((k) => [k, randomUUID()]),
  );

  beforeAll(async () => {
    t = await createTenant(api, 'funnels-semantics');
    funnelId = await createFunnel(t, [A, B, C], 600);
  });

  it('ordering, conversion window, re-entry and insertion order within one timestamp', async () => {
    await insertEvents(t.siteId, [
      // v1: A → B → C in order within 10 minutes: step 3
      { ts: at(0), visitor: v.v1, ...page('/pricing') },
      { ts: at(1), visitor: v.v1, name: 'signup' },
      { ts: at(2), visitor: v.v1, name: 'purchase', properties: { plan: 'pro-annual' } },
      // v2: B before A does not count; C without B neither: step 1
      { ts: at(0), visitor: v.v2, name: 'signup' },
      { ts: at(1), visitor: v.v2, ...page('/pricing') },
      { ts: at(2), visitor: v.v2, name: 'purchase', properties: { plan: 'pro' } },
      // v3: C after the 10-minute window: step 2
      { ts: at(0), visitor: v.v3, ...page('/pricing') },
      { ts: at(5), visitor: v.v3, name: 'signup' },
      { ts: at(11), visitor: v.v3, name: 'purchase', properties: { plan: 'pro' } },
      // v4: a second A inside the open attempt starts nothing; the filter rejects plan 'basic': step 2
      { ts: at(0), visitor: v.v4, ...page('/pricing') },
      { ts: at(3), visitor: v.v4, ...page('/pricing') },
      { ts: at(4), visitor: v.v4, name: 'signup' },
      { ts: at(5), visitor: v.v4, name: 'purchase', properties: { plan: 'basic' } },
      { ts: at(5), visitor: v.v4, ...page('/pricing/other') },
      // v5: two attempts (the second after the first window closed): entries 2, visitor at step 3
      { ts: at(0), visitor: v.v5, ...page('/pricing') },
      { ts: at(15), visitor: v.v5, ...page('/pricing') },
      { ts: at(16), visitor: v.v5, name: 'signup' },
      { ts: at(17), visitor: v.v5, name: 'purchase', properties: { plan: 'pro' } },
      // v6: B inserted before A at the same instant: B does not follow A
      { ts: at(0), visitor: v.v6, name: 'signup' },
      { ts: at(0), visitor: v.v6, ...page('/pricing') },
      // v7: A inserted before B at the same instant: B follows A
      { ts: at(0), visitor: v.v7, ...page('/pricing') },
      { ts: at(0), visitor: v.v7, name: 'signup' },
      // v8: A, B now; C arrives later (late event)
      { ts: at(0), visitor: v.v8, ...page('/pricing') },
      { ts: at(1), visitor: v.v8, name: 'signup' },
      // bots never count
      { ts: at(0), visitor: v.bot, ...page('/pricing'), bot: true },
      { ts: at(1), visitor: v.bot, name: 'signup', bot: true },
    ]);
    await rollUp();
    expect(await materialised(t.siteId, funnelId, 3)).toEqual({
      visitors: [8, 6, 2],
      entries: [9, 6, 2],
    });

    // late: v8's purchase, stamped 2 minutes after its signup, received now
    await insertEvents(t.siteId, [
      { ts: at(2), visitor: v.v8, name: 'purchase', properties: { plan: 'pro' } },
    ]);
    await rollUp();
    expect(await materialised(t.siteId, funnelId, 3)).toEqual({
      visitors: [8, 6, 3],
      entries: [9, 6, 3],
    });
    const ref = summarize(await rawAttempts(t.siteId, [A, B, C], 600_000), 3);
    expect(await materialised(t.siteId, funnelId, 3)).toEqual(ref);

    // attempts count on the local day (Europe/Paris) they start
    const { rows } = await db.query(
      `SELECT count(*)::int AS bad FROM analytics_funnel_progress p
        WHERE p.site_id = $1 AND NOT EXISTS (
          SELECT 1 FROM analytics_funnel_days d WHERE d.site_id = p.site_id AND d.funnel_id = p.funnel_id AND d.step = 1
             AND d.day = date_trunc('day', p.started_at AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris')`,
      [t.siteId],
    );
    expect(rows[0].bad).toBe(0);
  });

  it('re-running a window, or rebuilding from raw events, changes nothing', async () => {
    const before = await snapshot(t.siteId);
    expect(before.length).toBeGreaterThan(10);
    const { rows: wm } = await db.query<{ hi: Date }>(
      `SELECT hi FROM analytics_rollup_sites WHERE site_id = $1`,
      [t.siteId],
    );
    // two hours back, computed here (Citus refuses a STABLE timestamptz - interval over a column in an UPDATE)
    await db.query(`UPDATE analytics_rollup_sites SET hi = $2 WHERE site_id = $1`, [
      t.siteId,
      new Date(wm[0].hi.getTime() - 2 * 3_600_000),
    ]);
    await rollUp();
    expect(await snapshot(t.siteId)).toEqual(before);
    await db.query(`UPDATE analytics_funnels SET built_version = NULL WHERE site_id = $1`, [t.siteId]);
    await rollUp();
    expect(await snapshot(t.siteId)).toEqual(before);
  });

  it('report: visitors per step, drop-off, conversion, previous period, CSV', async () => {
    const from = new Date(t0 - 2 * 86_400_000).toISOString().slice(0, 10);
    const res = await api.request(
      `/api/sites/${t.siteId}/reports/funnels/${funnelId}?from=${from}&compare=true`,
      {
        token: t.tokens.viewer,
      },
    );
    expect(res.status).toBe(200);
    const body = res.body as {
      timezone: string;
      steps: {
        step: number;
        label: string;
        visitors: number;
        dropOff: number;
        conversionFromPrevious: number | null;
      }[];
      overall: { entered: number; converted: number; conversionRate: number };
      previous: { overall: { entered: number } } | null;
      funnel: { ready: boolean };
    };
    expect(body.timezone).toBe('Europe/Paris');
    expect(body.funnel.ready).toBe(true);
    expect(body.steps.map((s) => [s.label, s.visitors, s.dropOff])).toEqual([
      ['Pricing', 8, 0],
      ['signup', 6, 2],
      ['purchase', 3, 3],
    ]);
    expect(body.steps[1].conversionFromPrevious).toBe(0.75);
    expect(body.overall).toMatchObject({ entered: 8, converted: 3, conversionRate: 0.375 });
    expect(body.previous?.overall.entered).toBe(0);

    // a range that excludes the attempts' day
    const old = await api.request(
      `/api/sites/${t.siteId}/reports/funnels/${funnelId}?from=2025-01-01&to=2025-01-31`,
      { token: t.tokens.viewer },
    );
    expect((old.body as { overall: { entered: number } }).overall.entered).toBe(0);

    const csv = await fetch(
      `${api.url}/api/sites/${t.siteId}/reports/funnels/${funnelId}/export?from=${from}`,
      {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
      },
    );
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^step,label,event,visitors,entries/);
    expect(lines[1]).toMatch(/^1,Pricing,\$page,8,9,/);
  });

  it('preview (unsaved, raw events) agrees with the saved funnel', async () => {
    const from = new Date(t0 - 86_400_000).toISOString().slice(0, 10);
    const res = await api.request(`/api/sites/${t.siteId}/reports/funnels/preview`, {
      method: 'POST',
      token: t.tokens.viewer,
      body: { steps: [A, B, C], windowSeconds: 600, from },
    });
    expect(res.status).toBe(200);
    expect((res.body as { steps: { visitors: number }[] }).steps.map((s) => s.visitors)).toEqual([8, 6, 3]);
    const tooLong = await api.request(`/api/sites/${t.siteId}/reports/funnels/preview`, {
      method: 'POST',
      token: t.tokens.viewer,
      body: { steps: [A, B], from: '2025-01-01', to: '2025-06-01' },
    });
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'RANGE_TOO_LARGE']);
  });

  it('changing the steps rebuilds the funnel from raw events', async () => {
    const res = await api.request(`/api/sites/${t.siteId}/funnels/${funnelId}`, {
      method: 'PUT',
      token: t.tokens.editor,
      body: { steps: [A, C], windowSeconds: 1200 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, ready: false });
    await rollUp();
    const ref = summarize(await rawAttempts(t.siteId, [A, C], 1_200_000), 2);
    expect(await materialised(t.siteId, funnelId, 2)).toEqual(ref);
    expect(ref.visitors[1]).toBeGreaterThan(0);
    const got = await api.request(`/api/sites/${t.siteId}/funnels/${funnelId}`, { token: t.tokens.viewer });
    expect(got.body).toMatchObject({ version: 2, ready: true, windowSeconds: 1200 });
    // renaming alone keeps the materialised version
    const renamed = await api.request(`/api/sites/${t.siteId}/funnels/${funnelId}`, {
      method: 'PUT',
      token: t.tokens.editor,
      body: { name: 'Pricing to purchase' },
    });
    expect(renamed.body).toMatchObject({ version: 2, ready: true, name: 'Pricing to purchase' });
  });
});

describe('saved funnels: materialised = raw on generated data (fast-check)', () => {
  const KINDS: Omit<RawEvent, 'ts' | 'visitor'>[] = [
    page('/'),
    page('/pricing'),
    page('/pricing/team'),
    { name: 'signup' },
    { name: 'signup', properties: { source: 'ad' } },
    { name: 'purchase', properties: { plan: 'pro' } },
    { name: 'purchase', properties: { plan: 'basic' } },
    { name: 'purchase', properties: { plan: 'pro-annual' } },
  ];
  const steps: Step[] = [
    { event: '$page', filters: [{ property: 'path', op: 'starts_with', value: '/pricing' }] },
    { event: 'signup', filters: [] },
    { event: 'purchase', filters: [{ property: 'plan', op: 'contains', value: 'pro' }] },
  ];
  const visitorArb = fc.record({
    start: fc.integer({ min: 0, max: 2 * 24 * 60 }),
    bot: fc.boolean().map((b) => b && Math.random() < 0.2),
    events: fc.array(
      fc.record({
        gap: fc.constantFrom(0, 0, 1, 2, 5, 9, 10, 11, 25, 40),
        kind: fc.integer({ min: 0, max: KINDS.length - 1 }),
        late: fc.boolean(),
      }),
      { maxLength: 12 },
    ),
  });

  it('equals a plain computation over raw rows, after incremental windows with late events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(visitorArb, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(600, 1800, 3600),
        async (visitors, windowSeconds) => {
          const t = await createTenant(api, 'funnels-pbt');
          const funnelId = await createFunnel(t, steps, windowSeconds);
          await rollUp(); // builds the (empty) funnel: what follows is incremental
          const base = Date.now() - 3 * 86_400_000;
          const first: RawEvent[] = [];
          const second: RawEvent[] = [];
          for (const vis of visitors) {
            const visitor = randomUUID();
            let m = vis.start;
            for (const e of vis.events) {
              m += e.gap;
              const ev = { ...KINDS[e.kind], ts: new Date(base + m * MIN), visitor, bot: vis.bot };
              (e.late ? second : first).push(ev);
            }
          }
          await insertEvents(t.siteId, first);
          await rollUp();
          await insertEvents(t.siteId, second); // late: stamped among the first batch, received after it
          await rollUp();
          const ref = summarize(await rawAttempts(t.siteId, steps, windowSeconds * 1000), 3);
          expect(await materialised(t.siteId, funnelId, 3)).toEqual(ref);

          const res = await api.request(
            `/api/sites/${t.siteId}/reports/funnels/${funnelId}?from=${new Date(base - 86_400_000).toISOString()}`,
            { token: t.tokens.viewer },
          );
          const body = res.body as {
            from: string;
            to: string;
            steps: { visitors: number; entries: number }[];
          };
          const inRange = summarize(
            await rawAttempts(t.siteId, steps, windowSeconds * 1000),
            3,
            Date.parse(body.from),
            Date.parse(body.to),
          );
          expect(body.steps.map((s) => s.visitors)).toEqual(inRange.visitors);
          expect(body.steps.map((s) => s.entries)).toEqual(inRange.entries);
        },
      ),
      { numRuns: 6 },
    );
  }, 240_000);
});

describe('funnel definitions: roles and validation', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await createTenant(api, 'funnels-crud');
  });
  const base = () => `/api/sites/${t.siteId}/funnels`;

  it("CSV export errors are JSON 4xx: a bad range, a missing funnel, another tenant's funnel", async () => {
    const own = await createTenant(api, 'funnels-csv');
    const id = await createFunnel(own, [A, B], 600);
    const other = await createTenant(api, 'funnels-csv-other');
    const foreign = await createFunnel(other, [A, B], 600);
    const exportOf = (funnel: string, query = '') =>
      api.request(`/api/sites/${own.siteId}/reports/funnels/${funnel}/export${query}`, {
        token: own.tokens.viewer,
      });
    for (const query of ['?from=yesterday', '?from=2026-02-30', '?from=2026-03-01&to=2026-02-01', '?to=x']) {
      const res = await exportOf(id, query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.message).toMatch(/^(from|to)/);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('content-disposition')).toBeNull();
    }
    for (const missing of [randomUUID(), foreign]) {
      const res = await exportOf(missing);
      expect([res.status, res.body.code]).toEqual([404, 'FUNNEL_NOT_FOUND']);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
    expect((await exportOf(id)).headers.get('content-type')).toContain('text/csv');
  });

  it('viewers read, editors write; clear errors name the field', async () => {
    const body = { name: 'Signup', steps: [A, B] };
    expect((await api.request(base(), { method: 'POST', token: t.tokens.viewer, body })).status).toBe(403);
    const created = await api.request(base(), { method: 'POST', token: t.tokens.editor, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Signup',
      windowSeconds: 7 * 86_400,
      version: 1,
      ready: false,
    });
    const id = created.body.id as string;
    const list = await api.request(base(), { token: t.tokens.viewer });
    expect((list.body as { funnels: { id: string }[] }).funnels.map((f) => f.id)).toEqual([id]);

    const cases: [unknown, string][] = [
      [{ name: 'x', steps: [A] }, 'steps: a funnel needs at least 2 steps'],
      [{ name: '', steps: [A, B] }, 'name:'],
      [
        { name: 'x', steps: [A, { event: 'b', filters: [{ property: 'p', op: 'equals' }] }] },
        'steps.1.filters.0.value:',
      ],
      [
        { name: 'x', steps: [A, { event: 'b', filters: [{ property: 'p', op: 'regex', value: 'a' }] }] },
        'steps.1.filters.0.op:',
      ],
      [{ name: 'x', steps: [A, B], windowSeconds: 5 }, 'windowSeconds: at least 60 seconds'],
      [{ name: 'x', steps: [A, B], extra: 1 }, ''],
    ];
    for (const [b, message] of cases) {
      const res = await api.request(base(), { method: 'POST', token: t.tokens.editor, body: b });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(String(res.body.message)).toContain(message);
    }
    const empty = await api.request(`${base()}/${id}`, { method: 'PUT', token: t.tokens.editor, body: {} });
    expect([empty.status, empty.body.message]).toEqual([400, 'name: nothing to update']);
    expect(
      (await api.request(`${base()}/${id}`, { method: 'PUT', token: t.tokens.viewer, body: { name: 'y' } }))
        .status,
    ).toBe(403);
    expect((await api.request(`${base()}/${randomUUID()}`, { token: t.tokens.viewer })).body.code).toBe(
      'FUNNEL_NOT_FOUND',
    );
    expect((await api.request(`${base()}/not-a-uuid`, { token: t.tokens.viewer })).status).toBe(404);
    expect((await api.request(`${base()}/${id}`, { method: 'DELETE', token: t.tokens.viewer })).status).toBe(
      403,
    );
    expect((await api.request(`${base()}/${id}`, { method: 'DELETE', token: t.tokens.editor })).status).toBe(
      204,
    );
    expect((await api.request(`${base()}/${id}`, { token: t.tokens.viewer })).status).toBe(404);
    const report = await api.request(`/api/sites/${t.siteId}/reports/funnels/${id}`, {
      token: t.tokens.viewer,
    });
    expect([report.status, report.body.code]).toEqual([404, 'FUNNEL_NOT_FOUND']);
  });
});
