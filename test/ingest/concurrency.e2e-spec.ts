import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { closeFold, folded, foldOnce } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient, send } from './ingest-helpers';

/**
 * One site, two API processes, many concurrent batches over the same small pool of visitors that
 * none has seen yet, with identify calls merging them into users and alias calls folding users
 * into each other. Groups of one site commit in
 * parallel (shared site lock, per-identity locks; merges take the site exclusive), so this checks
 * what the old one-writer-per-site lock guaranteed: no visitor created twice for one identity, no
 * lost profile update, every identity on a live visitor that lists it.
 */
describe('ingest: one site written concurrently by two API processes', () => {
  let db: Client;
  let apis: TestApi[];
  let tenant: Tenant;

  beforeAll(async () => {
    db = await dbClient();
    // Four lanes (submissions split by identity), small lingers and groups: many groups of the same
    // visitors in flight at once.
    const env = { INGEST_LANES: '4', INGEST_IN_FLIGHT: '2', INGEST_LINGER_MS: '1', INGEST_MIN_ITEMS: '20' };
    apis = await Promise.all([startApi(env, 120_000), startApi(env, 120_000)]);
    tenant = await createTenant(apis[0], 'concurrent');
  }, 150_000);
  afterAll(async () => {
    await closeFold();
    await db.end();
    await Promise.all((apis ?? []).map((a) => a.stop()));
  });

  it('keeps identities and profiles consistent', async () => {
    let sent = 0;
    let identifies = 0;
    let aliases = 0;
    // Two folders (as two workers' relays) fold the site while the APIs write it.
    let writing = true;
    const folders = [0, 1].map(async () => {
      while (writing) {
        await foldOnce(tenant.siteId);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    for (let round = 0; round < 5; round++) {
      const anons = Array.from({ length: 30 }, (_, i) => `cc-${round}-${i}-${randomUUID().slice(0, 6)}`);
      const users = Array.from({ length: 6 }, (_, i) => `cu-${round}-${i}-${randomUUID().slice(0, 6)}`);
      const sender = async (n: number) => {
        for (let b = 0; b < 3; b++) {
          const batch = Array.from({ length: 25 }, (_, k) => {
            const anonymousId = anons[(n * 7 + b * 5 + k * 3) % anons.length];
            if ((n + b + k) % 13 === 5) {
              aliases += 1;
              return {
                type: 'alias',
                previousId: users[(n + k) % users.length],
                userId: users[(n + k + 1) % users.length],
                messageId: randomUUID(),
              };
            }
            if ((n + b + k) % 9 === 0) {
              identifies += 1;
              return {
                type: 'identify',
                anonymousId,
                userId: users[(n + k) % users.length],
                traits: { sender: n, k },
                messageId: randomUUID(),
              };
            }
            return k % 3 === 0
              ? { type: 'page', anonymousId, messageId: randomUUID() }
              : { type: 'track', event: 'Clicked', anonymousId, messageId: randomUUID() };
          });
          const res = await send(apis[n % 2], '/v1/batch', { batch }, { key: tenant.writeKey });
          expect(res.status).toBe(202);
          expect(res.body.stored).toBe(25);
          sent += batch.length;
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, n) => sender(n)));
    }
    writing = false;
    await Promise.all(folders);
    await folded(tenant.siteId);
    expect(identifies).toBeGreaterThan(50);
    expect(aliases).toBeGreaterThan(30);

    const site = tenant.siteId;
    const [events] = (
      await db.query(
        `SELECT count(*)::int AS n FROM events WHERE site_id = $1 AND name <> '$trait_changed'`,
        [site],
      )
    ).rows;
    expect(events.n).toBe(sent);

    // No lost update: every event was counted once, on the profile that now owns it.
    const [counts] = (
      await db.query(
        `SELECT sum(event_count)::int AS total FROM visitors WHERE site_id = $1 AND merged_into IS NULL`,
        [site],
      )
    ).rows;
    expect(counts.total).toBe(sent);
    const [{ merged }] = (
      await db.query(
        `SELECT count(*)::int AS merged FROM visitors WHERE site_id = $1 AND merged_into IS NOT NULL`,
        [site],
      )
    ).rows;
    expect(merged).toBeGreaterThan(0); // merges happened (under the site's exclusive lock)

    // No visitor created twice for one identity: every live visitor is some identity's visitor.
    const orphans = await db.query(
      `SELECT v.id FROM visitors v
        WHERE v.site_id = $1 AND v.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM visitor_identities i WHERE i.site_id = v.site_id AND i.visitor_id = v.id)`,
      [site],
    );
    expect(orphans.rows).toEqual([]);

    // Every identity points at a live visitor; an anonymous one is listed on it (an aliased user id
    // points at the profile of the user it was folded into).
    const broken = await db.query(
      `SELECT i.kind, i.value FROM visitor_identities i JOIN visitors v ON v.site_id = i.site_id AND v.id = i.visitor_id
        WHERE i.site_id = $1
          AND (v.merged_into IS NOT NULL OR (i.kind = 'anon' AND NOT i.value = ANY (v.anonymous_ids)))`,
      [site],
    );
    expect(broken.rows).toEqual([]);

    // Each event's visitor is the profile its identity resolved to at the time: live, or merged
    // into a live one (one level deep).
    const [{ dangling }] = (
      await db.query(
        `SELECT count(*)::int AS dangling FROM events e
           JOIN visitors v ON v.site_id = e.site_id AND v.id = e.visitor_id
           LEFT JOIN visitors m ON m.site_id = v.site_id AND m.id = v.merged_into
          WHERE e.site_id = $1 AND v.merged_into IS NOT NULL AND (m.id IS NULL OR m.merged_into IS NOT NULL)`,
        [site],
      )
    ).rows;
    expect(dangling).toBe(0);

    // Every event names a visitor row (a provisional id became the profile or was corrected).
    const [{ missing }] = (
      await db.query(
        `SELECT count(*)::int AS missing FROM events e
          WHERE e.site_id = $1
            AND NOT EXISTS (SELECT 1 FROM visitors v WHERE v.site_id = e.site_id AND v.id = e.visitor_id)`,
        [site],
      )
    ).rows;
    expect(missing).toBe(0);
  });
});
