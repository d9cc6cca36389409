import { Client } from 'pg';
import { schemaViolations, REFERENCE_TABLES } from '../support/schema-rules';
import { ON_CITUS } from '../support/provision';
import { TEST_DATABASE_URL } from '../support/test-env';

/**
 * The cluster `npm run test:citus` runs on is really Citus, in strict mode, with the schema sharded by
 * site: the rest of that run proves the product on it, so it must not quietly be plain PostgreSQL.
 */
describe('the Citus cluster under test', () => {
  let db: Client;
  beforeAll(async () => {
    if (!ON_CITUS)
      throw new Error('the citus project runs under `npm run test:citus` only (CITUS_WORKER_URLS)');
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(() => db?.end());

  it('is a Citus coordinator with at least two workers', async () => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
  });

  it('is in strict mode: a statement over every shard fails instead of running', async () => {
    const setting = await db.query<{ v: string }>(
      `SELECT current_setting('citus.multi_task_query_log_level') AS v`,
    );
    expect(setting.rows[0].v).toBe('error');
    await expect(db.query(`SELECT count(*) FROM flows`)).rejects.toThrow(
      /multi-task query about to be executed/,
    );
    await expect(db.query(`UPDATE site_keys SET name = name WHERE kind = 'write'`)).rejects.toThrow(
      /multi-task query about to be executed/,
    );
    // One site's rows route to one shard and run.
    await expect(
      db.query(`SELECT count(*) FROM flows WHERE site_id = '00000000-0000-4000-8000-000000000000'`),
    ).resolves.toBeDefined();
  });

  it('distributes every tenant table by site_id, co-located with sites, and keeps the rest as reference tables', async () => {
    const { rows } = await db.query<{
      table: string;
      method: string;
      column: string | null;
      colocated: boolean;
    }>(
      `SELECT c.relname AS table, p.partmethod AS method,
              column_to_column_name(p.logicalrelid, p.partkey) AS column,
              p.colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'sites'::regclass) AS colocated
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'migrations'`,
    );
    const wrong = rows.filter((r) =>
      REFERENCE_TABLES.includes(r.table)
        ? r.method !== 'n'
        : r.method !== 'h' || r.column !== (r.table === 'sites' ? 'id' : 'site_id') || !r.colocated,
    );
    expect(wrong).toEqual([]);
    expect(rows.length).toBeGreaterThan(20);
    expect(await schemaViolations(db)).toEqual([]);
  });
});
