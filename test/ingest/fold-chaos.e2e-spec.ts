import { randomUUID } from 'node:crypto';
import { startWorker } from '../support/processes';
import {
  flowDoc,
  publishFlow,
  sleep,
  tenant,
  untilCompleted,
  useStack,
  waitFor,
  watchExit,
} from '../runtime/runtime-harness';
import { waitFolded } from '../support/fold';
import { send } from './ingest-helpers';

const VISITORS = 120;
const ROUNDS = 6;

/**
 * The fold (worker) is exactly once: its transaction claims the site's outbox rows, writes profiles,
 * identities and trigger hand-offs and commits as one. The worker is SIGKILLed twice while the API
 * keeps writing (folds in flight are rolled back and done again) and Redis loses every job once
 * (the reconciler re-sends the hand-offs). Afterwards: every event counted once on a live profile,
 * no visitor twice for one identity, every event names a visitor row, and each visitor's track
 * enrolled the flow exactly once.
 */
describe('fold exactly once under SIGKILL of the worker and a Redis flush', () => {
  const ctx = useStack({ RUNTIME_RESCUE_GRACE_MS: '1500' });

  it('counts every event once and enrols every visitor once', async () => {
    const { stack } = ctx;
    const t = await tenant(stack, 'fold-chaos');
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'fold chaos',
        [
          { id: 't', type: 'trigger_event', config: { event: 'Chaos', filters: [] } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['chaos'] } },
        ],
        [['t', 'next', 'u']],
      ),
    );
    const run = randomUUID().slice(0, 8);
    const anon = (i: number) => `fc-${run}-${i}`;
    let sent = 0;
    const sender = async (part: number) => {
      for (let round = 0; round < ROUNDS; round++) {
        const batch = [];
        for (let i = part; i < VISITORS; i += 4) {
          batch.push({ type: 'page', anonymousId: anon(i), messageId: randomUUID() });
          if (round === 2 && i % 3 === 0)
            batch.push({
              type: 'identify',
              anonymousId: anon(i),
              userId: `fc-user-${run}-${i}`,
              traits: { round },
              messageId: randomUUID(),
            });
          if (round === ROUNDS - 1)
            batch.push({ type: 'track', event: 'Chaos', anonymousId: anon(i), messageId: randomUUID() });
        }
        const res = await send(stack.api, '/v1/batch', { batch }, { key: t.writeKey });
        expect(res.status).toBe(202);
        expect(res.body.stored).toBe(batch.length);
        sent += batch.length;
        await sleep(150);
      }
    };
    const writing = Promise.all([0, 1, 2, 3].map(sender));

    // Kill the worker while it folds, twice, then lose every Redis job once.
    for (let kill = 0; kill < 2; kill++) {
      await sleep(400);
      expect(await stack.worker.stop('SIGKILL')).toBeNull();
      await sleep(200);
      stack.worker = await startWorker(stack.env, 120_000);
      watchExit(stack.worker, 'worker');
    }
    await writing;
    expect(await stack.redis.flushdb()).toBe('OK');

    await waitFolded(stack.db, t.siteId, 120_000);
    const site = t.siteId;
    const q = async <T>(sql: string) => (await stack.db.query(sql, [site])).rows[0] as T;
    expect(
      (
        await q<{ n: number }>(
          `SELECT count(*)::int AS n FROM events WHERE site_id = $1 AND name <> '$trait_changed'`,
        )
      ).n,
    ).toBe(sent);
    expect(
      (
        await q<{ n: number }>(
          `SELECT sum(event_count)::int AS n FROM visitors WHERE site_id = $1 AND merged_into IS NULL`,
        )
      ).n,
    ).toBe(sent);
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM visitors WHERE site_id = $1`)).n).toBe(
      VISITORS,
    );
    expect(
      (
        await q<{ n: number }>(
          `SELECT count(*)::int AS n FROM events e WHERE e.site_id = $1
              AND NOT EXISTS (SELECT 1 FROM visitors v WHERE v.site_id = e.site_id AND v.id = e.visitor_id)`,
        )
      ).n,
    ).toBe(0);
    expect(
      (
        await q<{ n: number }>(
          `SELECT count(*)::int AS n FROM events WHERE site_id = $1 AND name = '$trait_changed'`,
        )
      ).n,
    ).toBe(Math.ceil(VISITORS / 3));

    // Each visitor's one Chaos track enrolled the flow once (hand-offs re-sent after the flush).
    const counts = await untilCompleted(stack, site, flowId, VISITORS, 120_000, 500);
    expect(counts).toEqual({ completed: VISITORS });
    await waitFor('hand-offs done', async () =>
      (await q<{ n: number }>(`SELECT count(*)::int AS n FROM trigger_handoffs WHERE site_id = $1`)).n === 0
        ? true
        : undefined,
    );
    const runs = await q<{ n: number; visitors: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT visitor_id)::int AS visitors FROM runs WHERE site_id = $1`,
    );
    expect(runs).toEqual({ n: VISITORS, visitors: VISITORS });
  }, 300_000);
});
