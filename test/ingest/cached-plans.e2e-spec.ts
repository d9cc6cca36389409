import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { closeFold, folded } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { citusWorkerUrls, dropDatabase, ON_CITUS } from '../support/provision';
import { createTenant, Tenant } from '../support/tenants';
import { siblingDatabaseUrl, testClientConfig } from '../support/test-env';
import { send } from './ingest-helpers';

const DB_URL = siblingDatabaseUrl('plans');

async function connected<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client(testClientConfig(url));
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const until = async (check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  for (let waited = 0; waited < timeoutMs && !(await check()); waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
};

interface Reads {
  /** Rows read by sequential scans of `visitors` and of `visitor_identities`. */
  visitors: number;
  identities: number;
  /** Index scans of `visitors`: the fold's look-ups, so the statistics read are the fold's. */
  visitorLookups: number;
  /** Index entries those scans read (one per row looked up by key; a whole site per scan if not). */
  visitorIndexReads: number;
}

/**
 * How the tables the fold looks rows up in were read. On plain PostgreSQL from the database's own
 * statistics; on Citus from the shards on every worker, where the routed statements run.
 */
async function reads(): Promise<Reads> {
  const statement = `SELECT coalesce(sum(seq_tup_read) FILTER (WHERE relname ~ '^visitors(_[0-9]+)?$'), 0)::int AS visitors,
            coalesce(sum(seq_tup_read) FILTER (WHERE relname ~ '^visitor_identities(_[0-9]+)?$'), 0)::int AS identities,
            coalesce(sum(idx_scan) FILTER (WHERE relname ~ '^visitors(_[0-9]+)?$'), 0)::int AS "visitorLookups",
            (SELECT coalesce(sum(idx_tup_read), 0)::int FROM pg_stat_user_indexes
              WHERE relname ~ '^visitors(_[0-9]+)?$') AS "visitorIndexReads"
       FROM pg_stat_user_tables`;
  if (!ON_CITUS) return connected(DB_URL, async (c) => (await c.query(statement)).rows[0]);
  // A worker's backend reports its statistics when it exits, which it does when the coordinator's
  // backend that opened it (named by the global pid in its application_name) has exited.
  const live = await connected(DB_URL, async (c) => {
    const { rows } = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity`);
    return rows.map((r) => r.pid);
  });
  const total: Reads = { visitors: 0, identities: 0, visitorLookups: 0, visitorIndexReads: 0 };
  for (const worker of citusWorkerUrls(new URL(DB_URL).pathname.slice(1))) {
    await connected(worker, async (c) => {
      await until(async () => {
        const { rows } = await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND (substring(application_name FROM 'citus_internal gpid=([0-9]+)')::bigint % 10000000000)::int <> ALL($1::int[])`,
          [live],
        );
        return rows[0].n === 0;
      });
      // Citus hides shards from a worker's catalog views unless asked.
      await c.query(`SET citus.override_table_visibility = off`);
      const { rows } = await c.query<Reads>(statement);
      total.visitors += rows[0].visitors;
      total.identities += rows[0].identities;
      total.visitorLookups += rows[0].visitorLookups;
      total.visitorIndexReads += rows[0].visitorIndexReads;
    });
  }
  return total;
}

/**
 * A group's statements keep the generic plans their connection built first. On a new deployment those
 * are built while `visitors` is empty, where a hash join over a sequential scan is the cheapest plan
 * for the profile update; kept, it read the whole table on every group as the site grew (27 scans,
 * 72,504 rows here before the fix). The group's transaction allows no hash or merge joins, so the
 * update finds each row by key whatever the table held when the plan was built.
 */
describe('ingest: plans built on an empty database', () => {
  // On Citus the fold's statements are routed to the site's worker and planned there per call, with its
  // constant site_id; the same check then reads the worker's shards.
  let api: TestApi;
  let tenant: Tenant;

  beforeAll(async () => {
    await dropDatabase(DB_URL);
    migrateRuntimeDatabase(DB_URL); // provisions the database (on every node under test:citus)
    // Few connections, so the ones that build their plans on the empty tables carry the later groups.
    api = await startApi({ DATABASE_URL: DB_URL, DB_POOL_SIZE: '3' });
    tenant = await createTenant(api, 'plans');
  });
  afterAll(async () => {
    await closeFold(DB_URL);
    await api?.stop();
    await dropDatabase(DB_URL);
  });

  const batch = (events: Record<string, unknown>[]) =>
    send(api, '/v1/batch', { batch: events }, { key: tenant.writeKey });

  it('never scans visitors sequentially as the site grows', async () => {
    // Plans are built while visitors is (nearly) empty...
    for (let i = 0; i < 8; i++) {
      const res = await batch(
        Array.from({ length: 20 }, () => ({ type: 'track', event: 'first', anonymousId: randomUUID() })),
      );
      expect(res.status).toBe(202);
      await folded(tenant.siteId, 30_000, DB_URL);
    }
    // ...then the site grows to 10,000 visitors, and groups update known ones.
    for (let i = 0; i < 20; i++) {
      await batch(
        Array.from({ length: 500 }, () => ({ type: 'track', event: 'new', anonymousId: randomUUID() })),
      );
      await folded(tenant.siteId, 30_000, DB_URL);
    }
    const known = async (event: string) => {
      for (let i = 0; i < 10; i++) {
        const res = await batch(
          Array.from({ length: 200 }, (_, k) => ({ type: 'track', event, anonymousId: `known-${i}-${k}` })),
        );
        expect(res.body.stored).toBe(200);
        await folded(tenant.siteId, 30_000, DB_URL);
      }
    };
    await known('again'); // 2,000 new visitors
    // Their updates, planned without statistics (autovacuum has not run yet: the planner takes a site
    // for 0.5 % of the table and once compared every update with every visitor of the site).
    await known('and again');
    // The statistics now say what autovacuum would soon say anyway (a grown site): hash joins over a
    // sequential scan look cheap to the planner from here on (and on Citus it is the worker that plans).
    await connected(DB_URL, (c) => c.query('ANALYZE visitors, visitor_identities'));
    await known('and once more');
    // Backends report their statistics when they exit: stop the API and the fold, then read them.
    await api.stop();
    await closeFold(DB_URL);
    await connected(DB_URL, (c) =>
      until(async () => {
        const { rows } = await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
        );
        return rows[0].n === 0;
      }),
    );
    const read = await reads();
    const visitors = await connected(
      DB_URL,
      async (c) => (await c.query(`SELECT count(*)::int AS n FROM visitors`)).rows[0].n,
    );
    expect(visitors).toBe(160 + 10_000 + 2_000);
    expect(read.visitorLookups).toBeGreaterThan(0);
    expect({ visitors: read.visitors, identities: read.identities }).toEqual({ visitors: 0, identities: 0 });
    // Each of the 16,160 events costs a few look-ups by key (the fold's load and update, the identity
    // rows' foreign key, the trigger job's bot flag); a scan of the site's visitors per group would read
    // 10,000+ entries each time (151,482 in all with the update joined on id; 22,401 by row address).
    const events = 160 + 10_000 + 3 * 2_000;
    console.log(`visitors index entries read: ${read.visitorIndexReads} for ${events} events`);
    expect(read.visitorIndexReads).toBeLessThan(3 * events);
  });
});
