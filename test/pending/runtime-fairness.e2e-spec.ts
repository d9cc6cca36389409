/**
 * PENDING (issue #5): fails today — site B's pings are not all answered while site A floods, so the
 * per-site budget does not yet give fairness. Kept out of `npm test` until fixed; run with `npm run test:pending`.
 */
import { randomUUID } from 'node:crypto';
import {
  flowDoc,
  ingest,
  publishFlow,
  Receivers,
  sleep,
  Stack,
  stackEnv,
  startReceivers,
  startStack,
  tenant,
  waitFor,
} from '../runtime/runtime-harness';

/**
 * Site A floods; site B's trigger-to-effect latency must stay low. The issue asks for 100,000 A
 * events; on the shared 2-core test machine that takes minutes, so the default is 20,000
 * (RT_FAIRNESS_EVENTS=100000 runs the full size).
 */
const FLOOD = Number(process.env.RT_FAIRNESS_EVENTS ?? 20_000);

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

describe('fairness: one site flooding does not starve another', () => {
  let rx: Receivers;
  let stack: Stack;

  beforeAll(async () => {
    rx = await startReceivers();
    stack = await startStack(stackEnv(rx));
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await rx?.close();
  });

  it(`site B p99 trigger-to-effect < 1 s while site A floods ${FLOOD} events`, async () => {
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
    console.log(
      `fairness: A flooded ${FLOOD} events (max A backlog seen ${backlogSeen}, ${aDone.rows[0].n} done by the end); ` +
        `B ${lat.length} pings p50 ${p(lat, 0.5).toFixed(0)} ms, p99 ${p(lat, 0.99).toFixed(0)} ms, max ${lat.at(-1)?.toFixed(0)} ms`,
    );
    expect(backlogSeen).toBeGreaterThan(100);
    expect(p(lat, 0.99)).toBeLessThan(1000);
  }, 600_000);
});
