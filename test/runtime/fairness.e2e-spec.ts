/**
 * Fairness (issue #5): site A floods, site B's pings must not queue behind A's backlog.
 */
import { randomUUID } from 'node:crypto';
import { flowDoc, ingest, publishFlow, sleep, tenant, waitFor, useStack } from './runtime-harness';

/**
 * Site A floods; site B's trigger-to-effect latency must stay low. The issue asks for 100,000 A
 * events; on the shared 2-core test machine the default is 60,000 (RT_FAIRNESS_EVENTS=100000 runs
 * the full size): 40,000 were through in ~6.4 s on a quiet box, close to the 5 s this test needs to
 * call A's backlog a flood.
 */
const FLOOD = Number(process.env.RT_FAIRNESS_EVENTS ?? 60_000);

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

    // A floods as fast as the database takes it: 500 new visitors and their events per statement,
    // handed off through the outbox like ingestion does.
    const flooding = (async () => {
      for (let i = 0; i < FLOOD; i += 500)
        await stack.db.query(
          `WITH v AS (SELECT gen_random_uuid() AS id FROM generate_series(1, $2)),
                vis AS (INSERT INTO visitors (site_id, id, first_seen_at, last_seen_at)
                        SELECT $1, id, now(), now() FROM v RETURNING id),
                ev AS (INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties)
                       SELECT $1, now(), gen_random_uuid()::text, 'track', 'flood', id, '{}' FROM vis RETURNING id)
           INSERT INTO event_outbox (site_id, event_ids) SELECT $1, array_agg(id) FROM ev`,
          [a.siteId, Math.min(500, FLOOD - i)],
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
      // A's queue: events not yet matched to flows (outbox, hand-offs) and runs not yet advanced.
      const backlog = await stack.db.query<{ n: number }>(
        `SELECT ((SELECT coalesce(sum(cardinality(event_ids)), 0) FROM event_outbox WHERE site_id = $1)
               + (SELECT coalesce(sum(cardinality(event_ids)), 0) FROM trigger_handoffs WHERE site_id = $1)
               + (SELECT count(*) FROM runs WHERE site_id = $1 AND status IN ('pending', 'running')))::int AS n`,
        [a.siteId],
      );
      backlogSeen = Math.max(backlogSeen, backlog.rows[0].n);
      await sleep(100);
    }
    await flooding;
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
    // The queueing the flood caused: how long A's slowest events waited for their effect (A's runs end
    // in the transaction that enrols them; its start time is their `updated_at`, so this errs short).
    const aWait = await waitFor(
      'A done',
      async () => {
        const r = await stack.db.query<{ n: number; s: number | null }>(
          `SELECT count(*)::int AS n, max(extract(epoch FROM r.updated_at - e.received_at))::float8 AS s
             FROM runs r JOIN events e ON e.site_id = r.site_id AND e.id = r.trigger_event_id
            WHERE r.site_id = $1 AND r.flow_id = $2 AND r.status = 'completed'`,
          [a.siteId, flowA],
        );
        return r.rows[0].n === FLOOD ? r.rows[0] : undefined;
      },
      240_000,
      1000,
    );
    const aWaitMs = (aWait.s ?? 0) * 1000;
    console.log(
      `fairness: A flooded ${FLOOD} events (max A backlog seen ${backlogSeen}, ${aWait.n} done, ` +
        `A's slowest event waited ${aWaitMs.toFixed(0)} ms); B ${lat.length} pings p50 ${p(lat, 0.5).toFixed(0)} ms, ` +
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
