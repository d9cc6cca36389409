import type { Client } from 'pg';
import {
  TRIGGER_EVENTS_NARROW_SQL,
  TRIGGER_EVENTS_SQL,
  triggerEventsSql,
} from '../../apps/api/src/ingest/trigger-events.sql';
import { rowsRead } from '../support/plans';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient } from './ingest-helpers';

const SMALL = 200;
const GROWN = 40_000;
const HANDOFF = 450;

/**
 * The trigger job reads a hand-off's events (up to 500 ids) by key within the hand-off's `ts` bounds,
 * whatever the statistics say. The case that went wrong: a day partition analysed while the site had
 * a few hundred events, then grown to tens of thousands (autovacuum lags, or a site bursts). Asked as
 * `id = ANY(ids)`, the planner then walked the site's whole day through `(site_id, ts)` and filtered
 * by id (505,494 rows read for 450, 277 ms a job in the fold bench).
 */
describe('ingest: the trigger job reads its events by key', () => {
  let api: TestApi;
  let tenant: Tenant;
  let db: Client;

  beforeAll(async () => {
    db = await dbClient();
    api = await startApi();
    tenant = await createTenant(api, 'trigger-read');
  });
  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  const insert = (from: number, count: number) =>
    db.query(
      `INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id)
       SELECT $1::uuid, date_trunc('day', now()) + (g % 36000) * interval '1 second', now(), 'read-' || g,
              'track', 'viewed', gen_random_uuid(), 'anon-' || (g % 5000)
         FROM generate_series($2::int, $3::int) AS g`,
      [tenant.siteId, from, from + count - 1],
    );

  it("reads a hand-off by key after the site grew past its statistics, never the site's day", async () => {
    await insert(1, SMALL);
    await db.query('ANALYZE events');
    await insert(SMALL + 1, GROWN);

    const { rows } = await db.query<{ id: string; ts: Date }>(
      `SELECT id::text AS id, ts FROM events WHERE site_id = $1 AND message_id LIKE 'read-%'
        ORDER BY id DESC LIMIT $2`,
      [tenant.siteId, HANDOFF],
    );
    expect(rows).toHaveLength(HANDOFF);
    await expectReadByKey(rows, TRIGGER_EVENTS_SQL);

    // A hand-off of live traffic (a narrow range) is one scan of its range: the site's events of that
    // range are about the hand-off's own.
    const { rows: live } = await db.query<{ id: string; ts: Date }>(
      `INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id)
       SELECT $1::uuid, date_trunc('milliseconds', now()) + (g % 1000) * interval '1 millisecond', now(),
              'live-' || g, 'track', 'viewed', gen_random_uuid(), 'anon-' || g
         FROM generate_series(1, $2::int) AS g
       RETURNING id::text AS id, ts`,
      [tenant.siteId, HANDOFF],
    );
    await expectReadByKey(live, TRIGGER_EVENTS_NARROW_SQL);
  });

  /** The hand-off of `events` is read with `statement`, returns them all and reads few more rows. */
  async function expectReadByKey(events: { id: string; ts: Date }[], statement: string): Promise<void> {
    const ids = events.map((r) => r.id);
    const times = events.map((r) => r.ts.getTime());
    const range: [string, string] = [
      new Date(Math.min(...times)).toISOString(),
      new Date(Math.max(...times)).toISOString(),
    ];
    expect(triggerEventsSql(range)).toBe(statement);
    const params = [tenant.siteId, ids, range[0], range[1]];

    // The statement returns the hand-off's events (its bounds are to the millisecond, inclusive).
    const found = await db.query<{ id: string }>(statement, params);
    expect(found.rows.map((r) => r.id).sort()).toEqual([...ids].sort());

    // ...and no step of its plan reads more than a few times the rows the hand-off names: a probe per
    // id, or (for a narrow range, or where the planner knows the range to be narrow) the site's events
    // of the hand-off's range; never the site's day (40,200 with the id list alone).
    const { rows: explained } = await db.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`,
      params,
    );
    const read = rowsRead(explained[0]['QUERY PLAN']);
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((n) => n.rows > 4 * HANDOFF)).toEqual([]);
  }
});
