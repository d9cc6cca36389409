import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient, send } from './ingest-helpers';

/**
 * Acknowledged = durable: clients send batches concurrently, the API is SIGKILLed mid-stream and
 * restarted, clients retry whatever got no answer (and some that did). Every event that got a 2xx is
 * stored exactly once and handed off (outbox) exactly once; retries never double anything.
 */
describe('ingest durability across SIGKILL', () => {
  let db: Client;
  let tenant: Tenant;
  let api: TestApi;

  beforeAll(async () => {
    db = await dbClient();
    api = await startApi();
    tenant = await createTenant(api, 'durable');
  });
  afterAll(async () => {
    await db.end();
    await api.stop();
  });

  it('keeps every acknowledged event exactly once, with exactly one outbox entry', async () => {
    const batches = new Map<string, Record<string, unknown>[]>();
    const acked = new Set<string>();
    const unanswered = new Set<string>();
    let killed = false;

    const client = async (n: number) => {
      for (let i = 0; !killed; i++) {
        const id = `${n}-${i}`;
        const anon = `dur-${n}-${i % 5}`;
        const batch = Array.from({ length: 20 }, (_, k) => ({
          type: k % 4 === 0 ? 'page' : 'track',
          event: 'Durable',
          anonymousId: anon,
          messageId: `${id}-${k}-${randomUUID()}`,
        }));
        batches.set(id, batch);
        try {
          const res = await send(api, '/v1/batch', { batch }, { key: tenant.writeKey });
          if (res.status === 202) acked.add(id);
          else unanswered.add(id);
        } catch {
          unanswered.add(id);
          return;
        }
      }
    };
    const clients = Array.from({ length: 12 }, (_, n) => client(n));
    await new Promise((r) => setTimeout(r, 1500));
    killed = true;
    await api.stop('SIGKILL');
    await Promise.all(clients);
    expect(acked.size).toBeGreaterThan(10);

    api = await startApi();
    // SDK retries: everything unanswered, plus a few acknowledged batches sent again.
    const retry = [...unanswered, ...[...acked].slice(0, 5)];
    for (const id of retry) {
      const res = await send(api, '/v1/batch', { batch: batches.get(id) }, { key: tenant.writeKey });
      expect(res.status).toBe(202);
      acked.add(id);
    }

    const ackedIds = [...acked].flatMap((id) => batches.get(id)!.map((e) => e.messageId as string));
    const stored = await db.query<{ message_id: string; n: number }>(
      `SELECT message_id, count(*)::int AS n FROM events WHERE site_id = $1 GROUP BY message_id`,
      [tenant.siteId],
    );
    const counts = new Map(stored.rows.map((r) => [r.message_id, r.n]));
    const missing = ackedIds.filter((m) => counts.get(m) !== 1);
    expect(missing).toEqual([]);
    expect(stored.rows.every((r) => r.n === 1)).toBe(true);

    const handed = await db.query<{ id: string; n: number }>(
      `SELECT e.id::text AS id, count(o.id)::int AS n
         FROM events e LEFT JOIN event_outbox o ON o.site_id = e.site_id AND e.id = ANY(o.event_ids)
        WHERE e.site_id = $1 GROUP BY e.id`,
      [tenant.siteId],
    );
    expect(handed.rows.length).toBeGreaterThanOrEqual(ackedIds.length);
    expect(handed.rows.filter((r) => r.n !== 1)).toEqual([]);
  });
});
