import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Client } from 'pg';
import { startWorker } from '../support/processes';
import type { Tenant } from '../support/tenants';
import {
  flowDoc,
  ingest,
  publishFlow,
  sleep,
  Stack,
  tenant,
  useStack,
  waitFor,
  watchExit,
} from '../runtime/runtime-harness';

type NodeCounts = Record<string, { entered: number; waiting: number; exited: Record<string, number> }>;
interface BacktestView {
  id: string;
  status: string;
  progress: { visitorsDone: number; visitorsTotal: number | null; eventsDone: number; fraction: number };
  result: {
    nodes: NodeCounts;
    runs: Record<string, number>;
    effects: Record<string, { count: number; visitors: number }>;
    samples: { visitorId: string; steps: unknown[] }[];
    visitors: number;
    events: number;
  } | null;
}

/** Nothing of the site is in flight: no unfolded event, hand-off, inbox event or run mid-step. */
async function settled(db: Client, siteId: string): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM event_outbox WHERE site_id = $1)
           + (SELECT count(*) FROM trigger_handoffs WHERE site_id = $1)
           + (SELECT count(*) FROM run_inbox WHERE site_id = $1)
           + (SELECT count(*) FROM runs WHERE site_id = $1 AND status IN ('pending', 'running')))::int AS n`,
    [siteId],
  );
  return rows[0].n === 0;
}

describe('backtest (real API, worker, PostgreSQL and Redis)', () => {
  // Slices of one page of three visitors: a small site's backtest still takes several jobs.
  const ctx = useStack({ BACKTEST_SLICE_MS: '0', BACKTEST_PAGE_VISITORS: '3' });
  let t: Tenant;
  let stack: Stack;

  beforeAll(async () => {
    stack = ctx.stack;
    t = await tenant(stack, 'backtest');
  });

  const base = (flowId: string) => `/api/sites/${t.siteId}/flows/${flowId}/backtests`;
  const start = (flowId: string, body: unknown, token = t.tokens.editor) =>
    stack.api.request(base(flowId), { method: 'POST', token, body });
  const poll = (flowId: string, id: string, seen: number[] = []) =>
    waitFor(
      'backtest completed',
      async () => {
        const res = await stack.api.request(`${base(flowId)}/${id}`, { token: t.tokens.viewer });
        const b = res.body as unknown as BacktestView;
        seen.push(b.progress.fraction);
        return b.status === 'completed' || b.status === 'failed' ? b : undefined;
      },
      60_000,
      50,
    );
  const liveStats = async (flowId: string) =>
    (await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/stats`, { token: t.tokens.viewer })).body
      .nodes as NodeCounts;

  const cartFlow = () =>
    flowDoc(
      `cart ${randomUUID().slice(0, 6)}`,
      [
        { id: 't', type: 'trigger_event', config: { event: 'cart', filters: [] } },
        { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } } },
        { id: 'u', type: 'update_visitor', config: { addTags: ['nudged'] } },
        { id: 'g', type: 'goal', config: { event: 'buy', filters: [] } },
      ],
      [
        ['t', 'next', 'w'],
        ['w', 'next', 'u'],
      ],
      { reEntry: { mode: 'every_time' } },
    );

  it('refuses bad input with a clear code and naming the field', async () => {
    const flowId = await publishFlow(stack, t, cartFlow());
    const days = await start(flowId, { days: 0 });
    expect(days.status).toBe(400);
    expect(days.body).toMatchObject({ code: 'VALIDATION_FAILED', path: 'days' });
    const half = await start(flowId, { from: new Date().toISOString() });
    expect(half.status).toBe(400);
    expect(half.body.message).toContain('to');
    const wide = await start(flowId, { from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' });
    expect(wide.status).toBe(400);
    const version = await start(flowId, { version: 9 });
    expect(version.status).toBe(404);
    expect(version.body.code).toBe('VERSION_NOT_FOUND');
    const flow = await start(randomUUID(), { days: 1 });
    expect(flow.status).toBe(404);
    expect(flow.body.code).toBe('FLOW_NOT_FOUND');
    const viewer = await start(flowId, { days: 1 }, t.tokens.viewer);
    expect(viewer.status).toBe(403);
    // A draft without a trigger cannot be replayed.
    const created = await stack.api.request(`/api/sites/${t.siteId}/flows`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { name: 'empty' },
    });
    const empty = await start(created.body.id as string, { days: 1 });
    expect(empty.status).toBe(422);
    expect(empty.body.code).toBe('FLOW_INVALID');
    const unknown = await stack.api.request(`${base(flowId)}/${randomUUID()}`, { token: t.tokens.viewer });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('BACKTEST_NOT_FOUND');
  });

  it('runs one backtest per flow at a time, cancels, and reports progress to completion', async () => {
    const flowId = await publishFlow(stack, t, cartFlow());
    await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/pause`, {
      method: 'POST',
      token: t.tokens.editor,
    });
    const visitors = Array.from({ length: 12 }, () => randomUUID());
    await ingest(
      stack.db,
      t.siteId,
      visitors.flatMap((v, i) => [
        { visitorId: v, name: 'cart' },
        ...(i % 3 === 0 ? [{ visitorId: v, name: 'buy' }] : []),
      ]),
    );
    await waitFor('folded', () => settled(stack.db, t.siteId));
    // Without a worker the backtest stays queued: a second one of the flow is refused.
    await stack.worker.stop();
    const first = await start(flowId, { days: 1 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'queued', version: null });
    const second = await start(flowId, { version: 1, days: 1 });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('BACKTEST_RUNNING');
    const cancelled = await stack.api.request(`${base(flowId)}/${first.body.id}`, {
      method: 'DELETE',
      token: t.tokens.editor,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const again = await stack.api.request(`${base(flowId)}/${first.body.id}`, {
      method: 'DELETE',
      token: t.tokens.editor,
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('BACKTEST_ENDED');
    const third = await start(flowId, { version: 1, days: 1 });
    expect(third.status).toBe(201);
    stack.worker = await startWorker(stack.env, 120_000);
    watchExit(stack.worker, 'worker');
    const seen: number[] = [];
    const done = await poll(flowId, third.body.id as string, seen);
    expect(done.status).toBe('completed');
    expect(done.progress).toMatchObject({ visitorsDone: 12, visitorsTotal: 12, fraction: 1 });
    // Four pages of three visitors: progress was seen between 0 and 1 at least once, never going back.
    const slices = await stack.db.query<{ slices: number; status: string }>(
      `SELECT slices, status FROM backtests WHERE site_id = $1 AND id IN ($2, $3) ORDER BY created_at`,
      [t.siteId, first.body.id, third.body.id],
    );
    expect(slices.rows.map((r) => r.status)).toEqual(['cancelled', 'completed']);
    expect(slices.rows[1].slices).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const r = done.result!;
    expect(r.runs).toMatchObject({ enrolled: 12, converted: 4 });
    // The hour's wait has not passed for the others: they wait, nobody was tagged. (A run that
    // converts while waiting leaves no step at the wait, as in the live stats.)
    expect(r.nodes.w).toEqual({ entered: 8, waiting: 8, exited: {} });
    expect(r.nodes.g).toEqual({ entered: 4, waiting: 0, exited: {} });
    expect(r.effects.update_visitor).toBeUndefined();
    expect(r.samples.length).toBeGreaterThan(0);
    // Nothing was performed: the paused flow has no runs, no visitor got the tag.
    const runs = await stack.db.query(`SELECT 1 FROM runs WHERE site_id = $1 AND flow_id = $2`, [
      t.siteId,
      flowId,
    ]);
    expect(runs.rowCount).toBe(0);
    const later = await start(flowId, {
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date(Date.now() + 2 * 3600_000).toISOString(),
    });
    const replayed = await poll(flowId, later.body.id as string);
    // With the window two hours on, the waits end and the update would have reached 8 visitors.
    expect(replayed.result!.effects.update_visitor).toEqual({ count: 8, visitors: 8, capped: 0, heldOut: 0 });
    const tagged = await stack.db.query(
      `SELECT 1 FROM visitors WHERE site_id = $1 AND tags @> ARRAY['nudged']`,
      [t.siteId],
    );
    expect(tagged.rowCount).toBe(0);
    const list = await stack.api.request(base(flowId), { token: t.tokens.viewer });
    expect((list.body as unknown as BacktestView[]).map((b) => b.status)).toEqual([
      'completed',
      'completed',
      'cancelled',
    ]);
  }, 180_000);

  it("takes turns with another site's backtest, slice by slice", async () => {
    const other = await tenant(stack, 'backtest-b');
    const setup = async (who: Tenant) => {
      const flowId = await publishFlow(stack, who, cartFlow());
      await stack.api.request(`/api/sites/${who.siteId}/flows/${flowId}/pause`, {
        method: 'POST',
        token: who.tokens.editor,
      });
      const visitors = Array.from({ length: 9 }, () => ({ visitorId: randomUUID(), name: 'cart' }));
      await ingest(stack.db, who.siteId, visitors);
      return flowId;
    };
    const flowA = await setup(t);
    const flowB = await setup(other);
    await waitFor(
      'folded',
      async () => (await settled(stack.db, t.siteId)) && settled(stack.db, other.siteId),
    );
    await stack.worker.stop();
    const a = await start(flowA, { days: 1 });
    const b = await stack.api.request(`/api/sites/${other.siteId}/flows/${flowB}/backtests`, {
      method: 'POST',
      token: other.tokens.editor,
      body: { days: 1 },
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    stack.worker = await startWorker(stack.env, 120_000);
    watchExit(stack.worker, 'worker');
    const row = async (siteId: string, id: string) =>
      (
        await stack.db.query<{ status: string; slices: number; started_at: Date; finished_at: Date }>(
          `SELECT status, slices, started_at, finished_at FROM backtests WHERE site_id = $1 AND id = $2`,
          [siteId, id],
        )
      ).rows[0];
    const [ra, rb] = await waitFor('both completed', async () => {
      const rows = [await row(t.siteId, a.body.id as string), await row(other.siteId, b.body.id as string)];
      return rows.every((r) => r.status === 'completed') ? rows : undefined;
    });
    // Three slices each (pages of three visitors), interleaved: each started before the other ended.
    expect(ra.slices).toBeGreaterThanOrEqual(3);
    expect(rb.slices).toBeGreaterThanOrEqual(3);
    expect(rb.started_at.getTime()).toBeLessThan(ra.finished_at.getTime());
    expect(ra.started_at.getTime()).toBeLessThan(rb.finished_at.getTime());
    // Each site sees its own backtest only.
    const cross = await stack.api.request(
      `/api/sites/${other.siteId}/flows/${flowA}/backtests/${a.body.id}`,
      {
        token: other.tokens.owner,
      },
    );
    expect(cross.status).toBe(404);
  }, 180_000);

  describe('per-node counts equal the live runtime on the same events', () => {
    type Spec = { id: string; type: string; config: Record<string, unknown> };
    interface Built {
      nodes: Spec[];
      edges: [string, string, string][];
    }
    let n = 0;
    const id = (p: string) => `${p}${++n}`;
    /** A sub-graph starting at one node; every required output leads somewhere. */
    const subtree = (depth: number): fc.Arbitrary<(entry: Built) => string> => {
      const leaf = fc.constantFrom(
        (b: Built) => {
          const x = id('x');
          b.nodes.push({ id: x, type: 'exit', config: {} });
          return x;
        },
        (b: Built) => {
          const u = id('u');
          b.nodes.push({ id: u, type: 'update_visitor', config: { addTags: ['seen'] } });
          return u;
        },
      );
      if (depth <= 0) return leaf;
      const child = subtree(depth - 1);
      return fc.oneof(
        { weight: 1, arbitrary: leaf },
        {
          weight: 2,
          arbitrary: fc
            .tuple(
              fc.constantFrom(
                { kind: 'rule', source: 'event_property', key: 'p', operator: 'eq', value: 1 },
                { kind: 'rule', source: 'trait', key: 'plan', operator: 'eq', value: 'pro' },
              ),
              child,
              child,
            )
            .map(([rule, yes, no]) => (b: Built) => {
              const c = id('c');
              b.nodes.push({
                id: c,
                type: 'condition',
                config: { group: { kind: 'group', combinator: 'and', rules: [rule] } },
              });
              b.edges.push([c, 'yes', yes(b)], [c, 'no', no(b)]);
              return c;
            }),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.boolean(), child, child)
            .map(([correlate, matched, timeout]) => (b: Built) => {
              const w = id('wfe');
              b.nodes.push({
                id: w,
                type: 'wait_for_event',
                config: {
                  event: 'b',
                  filters: [],
                  timeout: { amount: 2, unit: 'hours' },
                  ...(correlate ? { correlationProperty: 'cart' } : {}),
                },
              });
              b.edges.push([w, 'matched', matched(b)], [w, 'timeout', timeout(b)]);
              return w;
            }),
        },
        {
          weight: 1,
          arbitrary: child.map((next) => (b: Built) => {
            const w = id('w');
            b.nodes.push({
              id: w,
              type: 'wait',
              config: { mode: 'duration', duration: { amount: 2, unit: 'hours' } },
            });
            b.edges.push([w, 'next', next(b)]);
            return w;
          }),
        },
        {
          weight: 1,
          arbitrary: child.map((next) => (b: Built) => {
            const u = id('u');
            b.nodes.push({ id: u, type: 'update_visitor', config: { addTags: ['seen'] } });
            b.edges.push([u, 'next', next(b)]);
            return u;
          }),
        },
      );
    };
    const flowArb = fc.record({
      body: subtree(3),
      filtered: fc.boolean(),
      goalNode: fc.boolean(),
      reEntry: fc.constantFrom<Record<string, unknown>>(
        { mode: 'once' },
        { mode: 'every_time' },
        { mode: 'once_per_days', days: 1 },
      ),
      maxConcurrent: fc.integer({ min: 1, max: 2 }),
      exitOnD: fc.boolean(),
      goalOnC: fc.boolean(),
    });
    const eventArb = fc.record({
      visitor: fc.integer({ min: 0, max: 2 }),
      name: fc.constantFrom('a', 'a', 'b', 'c', 'd', 'x'),
      p: fc.constantFrom(0, 1),
      cart: fc.constantFrom('k1', 'k2'),
    });

    it('for generated flows and event histories (fast-check)', async () => {
      let withRuns = 0;
      await fc.assert(
        fc.asyncProperty(flowArb, fc.array(eventArb, { minLength: 1, maxLength: 9 }), async (f, events) => {
          const b: Built = {
            nodes: [
              {
                id: 't',
                type: 'trigger_event',
                config: {
                  event: 'a',
                  filters: f.filtered ? [{ property: 'p', operator: 'eq', value: 1 }] : [],
                },
              },
            ],
            edges: [],
          };
          b.edges.push(['t', 'next', f.body(b)]);
          if (f.goalNode) b.nodes.push({ id: 'goal', type: 'goal', config: { event: 'c', filters: [] } });
          const settings = {
            reEntry: f.reEntry,
            maxConcurrentRunsPerVisitor: f.maxConcurrent,
            exitConditions: f.exitOnD ? [{ event: 'd', filters: [] }] : [],
            ...(f.goalOnC && !f.goalNode ? { goal: { event: 'c', filters: [] } } : {}),
          };
          const flowId = await publishFlow(
            stack,
            t,
            flowDoc(`prop ${randomUUID().slice(0, 6)}`, b.nodes, b.edges, settings),
          );
          const visitors = [randomUUID(), randomUUID(), randomUUID()];
          // The window starts with this case's first event (the site's earlier events belong to other flows).
          const from = (await stack.db.query<{ t: Date }>(`SELECT clock_timestamp() AS t`)).rows[0].t;
          for (const e of events) {
            await ingest(stack.db, t.siteId, [
              {
                visitorId: visitors[e.visitor],
                name: e.name,
                properties: { p: e.p, cart: e.cart },
                traits: { plan: e.visitor === 1 ? 'pro' : 'free' },
              },
            ]);
            await waitFor('runtime settled', () => settled(stack.db, t.siteId), 30_000, 20);
          }
          await sleep(20);
          const live = await liveStats(flowId);
          // The flow stops enrolling before the next case's events arrive.
          await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/pause`, {
            method: 'POST',
            token: t.tokens.editor,
          });
          const started = await start(flowId, {
            version: 1,
            from: from.toISOString(),
            to: new Date().toISOString(),
          });
          expect(started.status).toBe(201);
          const done = await poll(flowId, started.body.id as string);
          expect(done.status).toBe('completed');
          expect(done.result!.nodes).toEqual(live);
          const runs = await stack.db.query(`SELECT 1 FROM runs WHERE site_id = $1 AND flow_id = $2`, [
            t.siteId,
            flowId,
          ]);
          expect(done.result!.runs.enrolled).toBe(runs.rowCount);
          if (runs.rowCount) withRuns += 1;
        }),
        { numRuns: Number(process.env.BACKTEST_PROPERTY_RUNS ?? 25), endOnFailure: true },
      );
      // The comparison is not vacuous: most generated histories enrol runs.
      expect(withRuns).toBeGreaterThan(0);
    }, 600_000);
  });
});
