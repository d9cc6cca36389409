/**
 * Fairness (issue #5): site A floods, site B's pings must not queue behind A's backlog.
 */
import { randomUUID } from 'node:crypto';
import { flowDoc, ingest, publishFlow, sleep, tenant, waitFor, useStack } from './runtime-harness';

/**
 * Site A floods; site B's trigger-to-effect latency must stay low. The issue asks for 100,000 A
 * events; on the shared 2-core test machine that takes minutes, so the default is 20,000
 * (RT_FAIRNESS_EVENTS=100000 runs the full size).
 */
const FLOOD = Number(process.env.RT_FAIRNESS_EVENTS ?? 20_000);

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

describe('fairness: one site flooding does not starve another', () => {
  const ctx = useStack();

  it(`site B's trigger-to-effect stays a small fraction of site A's queueing while A floods ${FLOOD} events`, async () => {
    const { stack } = ctx;
    const a = await tenant(stack, 'flood-a');
    const b = await tenant(stack, 'quiet-b');
    const doc = (event: string, node: { type: string; config: Record<string, unknown> }) =>
      flowDoc(
        event,
        [
          { id: 't', type: 'trigger_event', config: { event, filters: [] } },
          { id: 'x', ...node },
        ],
        [['t', 'next', 'x']],
      );
    const flowA = await publishFlow(
      stack,
      a,
      doc('flood', { type: 'update_visitor', config: { addTags: ['a'] } }),
    );
    await stack.db.query(`INSERT INTO ctas (site_id, id, name, draft) VALUES ($1, 'cta_b', 'Ping', '{}')`, [
      b.siteId,
    ]);
    await publishFlow(stack, b, doc('ping', { type: 'show_cta', config: { ctaId: 'cta_b' } }));

    const flooding = (async () => {
      for (let i = 0; i < FLOOD; i += 500)
        await ingest(
          stack.db,
          a.siteId,
          Array.from({ length: Math.min(500, FLOOD - i) }, () => ({
            visitorId: randomUUID(),
            name: 'flood',
          })),
        );
    })();
    await sleep(1000);
    const pings: string[] = [];
    const started = Date.now();
    let backlogSeen = 0;
    while (Date.now() - started < 15_000) {
      const v = randomUUID();
      pings.push(v);
      await ingest(stack.db, b.siteId, [{ visitorId: v, name: 'ping' }]);
      const backlog = await stack.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM runs WHERE site_id = $1 AND status IN ('pending', 'running')`,
        [a.siteId],
      );
      backlogSeen = Math.max(backlogSeen, backlog.rows[0].n);
      await sleep(100);
    }
    await flooding;
    // How long A's oldest event has waited for its effect by now: the queueing delay the flood causes.
    const aWait = await stack.db.query<{ s: number | null }>(
      `SELECT extract(epoch FROM now() - min(e.received_at))::float8 AS s FROM events e
        WHERE e.site_id = $1 AND NOT EXISTS (
          SELECT 1 FROM runs r WHERE r.site_id = e.site_id AND r.trigger_event_id = e.id AND r.status = 'completed')`,
      [a.siteId],
    );
    const lat = await waitFor(
      'every ping answered',
      async () => {
        const r = await stack.db.query<{ ms: number }>(
          `SELECT extract(epoch FROM m.created_at - e.received_at) * 1000 AS ms
             FROM onsite_messages m JOIN events e ON e.site_id = m.site_id AND e.visitor_id = m.visitor_id
            WHERE m.site_id = $1`,
          [b.siteId],
        );
        return r.rows.length === pings.length
          ? r.rows.map((x) => Number(x.ms)).sort((x, y) => x - y)
          : undefined;
      },
      60_000,
      500,
    );
    const aDone = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM runs WHERE site_id = $1 AND flow_id = $2 AND status = 'completed'`,
      [a.siteId, flowA],
    );
    const aWaitMs = (aWait.rows[0].s ?? 0) * 1000;
    console.log(
      `fairness: A flooded ${FLOOD} events (max A backlog seen ${backlogSeen}, ${aDone.rows[0].n} done by the end, ` +
        `A's oldest event waiting ${aWaitMs.toFixed(0)} ms); B ${lat.length} pings p50 ${p(lat, 0.5).toFixed(0)} ms, ` +
        `p99 ${p(lat, 0.99).toFixed(0)} ms, max ${lat.at(-1)?.toFixed(0)} ms`,
    );
    // A really queued (its backlog and its wait are real) ...
    expect(backlogSeen).toBeGreaterThan(100);
    expect(aWaitMs).toBeGreaterThan(5000);
    // ... and B did not queue behind it: relative to A's wait, not a wall-clock bound (machine speed
    // varies; before the fairness fixes B waited as long as A, 40–90 s).
    expect(p(lat, 0.99) * 5).toBeLessThan(aWaitMs);
  }, 600_000);
});
