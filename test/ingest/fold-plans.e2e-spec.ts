import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { joinByKeyOnly } from '../../apps/api/src/database/sql';
import { ProfileFold } from '../../apps/api/src/ingest/profile-fold';
import { TriggerHandoffWriter } from '../../apps/api/src/runtime/trigger-handoff-writer';
import type { ProfileEvent } from '../../apps/api/src/visitors/profile-event';
import { VisitorFold } from '../../apps/api/src/visitors/visitor-fold';
import { AnalysedStatement, analysingTx, nodesReadingMore } from '../support/plans';
import { startApi, TestApi } from '../support/processes';
import { dropDatabase, migrateDatabase, ON_CITUS } from '../support/provision';
import { createTenant, Tenant } from '../support/tenants';
import { siblingDatabaseUrl, testClientConfig } from '../support/test-env';

/** Its own database: tables no test has analysed, as a box without autovacuum leaves them. */
const DB_URL = siblingDatabaseUrl('foldplans');

const GROWN = 20_000;
const MERGES = 20;
const SLICE = 500;
/** The site's events: enough that the planner, even with no statistics, sees the site's day as large. */
const EVENTS = 200_000;
/**
 * When the slices' events happen: tomorrow 20:00 (a day partition made ahead), the site's other events
 * in the 20 hours before, so the site's day is one large partition whenever the test runs. (With no
 * statistics, a probe into a partition of a few thousand rows may take `(site_id, ts)` as readily as
 * the primary key: a coin the planner tosses only until the partition is first analysed.)
 */
const SLICE_AT = `(date_trunc('day', now()) + interval '1 day 20 hours')`;
/** Most rows any node of a fold statement may read: a probe per key reads a row or two per loop. */
const MOST_READ = 10 * MERGES;

/**
 * The fold's profile statements (`VisitorFold`: identities, visitors, profile writes, merges) find
 * every row by key on a site much larger than the slice being folded, whatever the statistics say.
 * The cases that went wrong (fold bench, tables never analysed), each growing with the site: the
 * merges' re-pointing of the identities that still named a merged visitor materialised a scan of the
 * whole site's identities and compared it with every merge (17,452 read, 401,396 comparisons, 28 ms
 * a pass); the load of the slice's events walked the site's events of the slice's whole time range
 * and filtered them by id (57,599 read for 2,000).
 */
describe('fold: a slice finds its rows by key on a grown site', () => {
  let api: TestApi;
  let tenant: Tenant;
  let db: Client;

  beforeAll(async () => {
    await dropDatabase(DB_URL);
    migrateDatabase(DB_URL);
    db = new Client(testClientConfig(DB_URL));
    await db.connect();
    api = await startApi({ DATABASE_URL: DB_URL });
    tenant = await createTenant(api, 'fold-plans');
    // GROWN anonymous visitors `a-i`; the first MERGES also have a user `u-i`; visitors `b-i` (anonymous,
    // to be merged into `u-i`'s) also own `alias-i`, a user id aliased into them that they do not list.
    await db.query(
      `WITH v AS (
         INSERT INTO visitors (site_id, anonymous_ids, user_id, first_seen_at, last_seen_at)
         SELECT $1::uuid, ARRAY['a-' || g], CASE WHEN g < $3 THEN 'u-' || g END, now(), now()
           FROM generate_series(0, $2::int - 1) g
         RETURNING id, anonymous_ids[1] AS anon, user_id)
       INSERT INTO visitor_identities (site_id, kind, value, visitor_id)
       SELECT $1::uuid, 'anon', anon, id FROM v
       UNION ALL SELECT $1::uuid, 'user', user_id, id FROM v WHERE user_id IS NOT NULL`,
      [tenant.siteId, GROWN, MERGES],
    );
    await db.query(
      `WITH v AS (
         INSERT INTO visitors (site_id, anonymous_ids, first_seen_at, last_seen_at)
         SELECT $1::uuid, ARRAY['b-' || g], now(), now() FROM generate_series(0, $2::int - 1) g
         RETURNING id, anonymous_ids[1] AS anon)
       INSERT INTO visitor_identities (site_id, kind, value, visitor_id)
       SELECT $1::uuid, 'anon', anon, id FROM v
       UNION ALL SELECT $1::uuid, 'user', 'alias-' || substr(anon, 3), id FROM v`,
      [tenant.siteId, MERGES],
    );
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await api?.stop();
    await dropDatabase(DB_URL);
  });

  type Plan = AnalysedStatement;

  /** The fold's transaction: each statement analysed, then run (plans on plain PostgreSQL only). */
  const explaining = (plans: Plan[]) => analysingTx(db, plans, !ON_CITUS) as unknown as EntityManager;

  const visitorOf = async (kind: string, value: string) =>
    (
      await db.query<{ visitor_id: string }>(
        `SELECT visitor_id FROM visitor_identities WHERE site_id = $1 AND kind = $2 AND value = $3`,
        [tenant.siteId, kind, value],
      )
    ).rows[0]?.visitor_id;

  it("identifies anonymous visitors as known users: merges by key, never the site's identities", async () => {
    const merged: { from: string; into: string }[] = [];
    for (let i = 0; i < MERGES; i++)
      merged.push({ from: await visitorOf('anon', `b-${i}`), into: await visitorOf('user', `u-${i}`) });
    const events = merged.map(({ from }, i) => ({
      event: <ProfileEvent>{
        type: 'identify',
        name: 'identify',
        messageId: randomUUID(),
        anonymousId: `b-${i}`,
        userId: `u-${i}`,
        previousId: null,
        properties: {},
        traits: { plan: 'pro' },
        context: {},
        ts: new Date(),
      },
      visitorId: from,
      isBot: false,
    }));

    const plans: Plan[] = [];
    const tx = explaining(plans);
    await db.query('BEGIN');
    try {
      await joinByKeyOnly(tx);
      const folded = await new VisitorFold().fold(tx, tenant.siteId, events);
      expect(folded.map((f) => f.visitorId)).toEqual(merged.map((m) => m.into));
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }

    if (!ON_CITUS) {
      // identities, visitors, the profile write, the merges' re-pointing
      expect(plans.map((p) => p.sql.split(/\s+/).slice(0, 3).join(' '))).toEqual([
        'SELECT k.kind, k.value,',
        'SELECT v.id, v.anonymous_ids,',
        'WITH nv AS',
        'WITH m AS',
      ]);
      expect(nodesReadingMore(plans, MOST_READ)).toEqual([]);
    }

    // What the fold wrote: each `b-i` went into `u-i`'s visitor with every identity that named it,
    // the aliased user id it did not list included; no other identity of the site moved.
    for (let i = 0; i < MERGES; i++) {
      expect(await visitorOf('anon', `b-${i}`)).toBe(merged[i].into);
      expect(await visitorOf('user', `alias-${i}`)).toBe(merged[i].into);
    }
    const { rows } = await db.query<{ merged: number; pointing: number; into: number }>(
      `SELECT (SELECT count(*)::int FROM visitors WHERE site_id = $1 AND merged_into IS NOT NULL) AS merged,
              (SELECT count(*)::int FROM visitor_identities WHERE site_id = $1 AND visitor_id = ANY($2::uuid[])) AS pointing,
              (SELECT count(*)::int FROM visitor_identities WHERE site_id = $1 AND visitor_id = ANY($3::uuid[])) AS into`,
      [tenant.siteId, merged.map((m) => m.from), merged.map((m) => m.into)],
    );
    expect(rows[0]).toEqual({ merged: MERGES, pointing: 0, into: 4 * MERGES });
  });

  /**
   * A slice of SLICE new visitors' events committed with its outbox row as the write path does (the
   * first one `lateHours` late: an SDK flushing an old batch), then folded with each statement's
   * plan; answers the plans after checking what the fold did.
   */
  async function foldSlice(name: string, lateHours: number): Promise<Plan[]> {
    const { rows: slice } = await db.query<{ id: string }>(
      `INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id)
       SELECT $1::uuid, ${SLICE_AT} - CASE WHEN g = 1 THEN $4 * interval '1 hour' ELSE '0' END,
              now(), $2 || g, 'track', 'viewed', gen_random_uuid(), $2 || g
         FROM generate_series(1, $3::int) g
       RETURNING id::text AS id`,
      [tenant.siteId, `${name}-`, SLICE, lateHours],
    );
    await db.query(
      `INSERT INTO event_outbox (site_id, event_ids, ts_min, ts_max)
       SELECT $1, array_agg(id ORDER BY id), min(ts), max(ts) FROM events WHERE site_id = $1 AND id = ANY($2::bigint[])`,
      [tenant.siteId, slice.map((e) => e.id)],
    );

    const plans: Plan[] = [];
    const tx = explaining(plans);
    const through = {
      transaction: (work: (t: EntityManager) => unknown) => work(tx),
    } as unknown as DataSource;
    await db.query('BEGIN');
    let result: Awaited<ReturnType<ProfileFold['foldSite']>>;
    try {
      result = await new ProfileFold(through, new VisitorFold(), new TriggerHandoffWriter()).foldSite(
        tenant.siteId,
      );
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }
    // What the fold did: the slice's events, every one, handed off; a visitor each; the outbox emptied.
    expect(result.rows).toBe(1);
    expect(result.handoffs.flatMap((h) => h.event_ids).sort()).toEqual(slice.map((e) => e.id).sort());
    const { rows } = await db.query<{ outbox: number; visitors: number }>(
      `SELECT (SELECT count(*)::int FROM event_outbox WHERE site_id = $1) AS outbox,
              (SELECT count(*)::int FROM visitor_identities WHERE site_id = $1 AND kind = 'anon'
                  AND value LIKE $2) AS visitors`,
      [tenant.siteId, `${name}-%`],
    );
    expect(rows[0]).toEqual({ outbox: 0, visitors: SLICE });
    return plans;
  }

  it("loads a slice's events by its ids, however long their time range, never the site's events of it", async () => {
    // The site's events of the 20 hours before the slices (none of them in a slice), never analysed.
    await db.query(
      `INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id)
       SELECT $1::uuid, ${SLICE_AT} - (g % 72000) * interval '1 second', now(),
              'old-' || g, 'track', 'viewed', gen_random_uuid(), 'old-' || (g % 5000)
         FROM generate_series(1, $2::int) g`,
      [tenant.siteId, EVENTS],
    );
    // Right behind live traffic: one scan of the slice's narrow range. One event 19 hours late:
    // a probe per event, not the site's 19 hours.
    const narrow = await foldSlice('live', 0);
    const late = await foldSlice('late', 19);
    if (!ON_CITUS) {
      const load = (plans: Plan[]) => plans.find((p) => p.sql.startsWith('SELECT e.id::text AS id, e.ts'));
      expect(nodesReadingMore(narrow, 4 * SLICE)).toEqual([]);
      expect(nodesReadingMore(late, 4 * SLICE)).toEqual([]);
      expect(load(narrow)?.sql).toContain('= ANY');
      expect(load(late)?.sql).toContain('LATERAL');
    }
  });
});
