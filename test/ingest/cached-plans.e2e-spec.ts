import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { closeFold, folded } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { siblingDatabaseUrl } from '../support/test-env';
import { send } from './ingest-helpers';

const DB_URL = siblingDatabaseUrl('plans');

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({
    connectionString: Object.assign(new URL(DB_URL), { pathname: '/postgres' }).toString(),
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A group's statements keep the generic plans their connection built first. On a new deployment those
 * are built while `visitors` is empty, where a hash join over a sequential scan is the cheapest plan
 * for the profile update; kept, it read the whole table on every group as the site grew (27 scans,
 * 72,504 rows here before the fix). The group's transaction allows no hash or merge joins, so the
 * update finds each row by key whatever the table held when the plan was built.
 */
describe('ingest: plans built on an empty database', () => {
  let api: TestApi;
  let tenant: Tenant;

  beforeAll(async () => {
    const name = new URL(DB_URL).pathname.slice(1);
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    migrateRuntimeDatabase(DB_URL);
    // Few connections, so the ones that build their plans on the empty tables carry the later groups.
    api = await startApi({ DATABASE_URL: DB_URL, DB_POOL_SIZE: '3' });
    tenant = await createTenant(api, 'plans');
  });
  afterAll(async () => {
    await closeFold(DB_URL);
    await api?.stop();
    const name = new URL(DB_URL).pathname.slice(1);
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
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
    for (const event of ['again', 'and again']) {
      for (let i = 0; i < 10; i++) {
        const res = await batch(
          Array.from({ length: 200 }, (_, k) => ({ type: 'track', event, anonymousId: `known-${i}-${k}` })),
        );
        expect(res.body.stored).toBe(200);
        await folded(tenant.siteId, 30_000, DB_URL);
      }
    }
    // Backends report their statistics when they exit: stop the API and the fold, then read them.
    await api.stop();
    await closeFold(DB_URL);
    const db = new Client({ connectionString: DB_URL });
    await db.connect();
    try {
      for (let waited = 0; waited < 10_000; waited += 100) {
        const { rows: others } = await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        if (others[0].n === '0') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const { rows } = await db.query<{ visitors: string; rows_read: string; identities_read: string }>(
        `SELECT (SELECT count(*) FROM visitors) AS visitors, seq_tup_read AS rows_read,
                (SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'visitor_identities') AS identities_read
           FROM pg_stat_user_tables WHERE relname = 'visitors'`,
      );
      expect(Number(rows[0].visitors)).toBe(160 + 10_000 + 2_000);
      expect(Number(rows[0].rows_read)).toBe(0);
      expect(Number(rows[0].identities_read)).toBe(0);
    } finally {
      await db.end();
    }
  });
});
