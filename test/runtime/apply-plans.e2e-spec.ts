import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Queryable } from '../../apps/api/src/database/sql';
import {
  applyTransitions,
  lockRuns,
  pendingRuns,
  RunTransition,
} from '../../apps/api/src/runtime/run-batch.sql';
import type { NewRunStep, RunRow } from '../../apps/api/src/runtime/runtime.types';
import { AnalysedStatement, analysingTx, nodesReadingMore, rowsRead } from '../support/plans';
import { startApi, TestApi } from '../support/processes';
import { dropDatabase, ON_CITUS } from '../support/provision';
import { createTenant, Tenant } from '../support/tenants';
import { siblingDatabaseUrl, testClientConfig } from '../support/test-env';
import { migrateRuntimeDatabase } from './runtime-harness';

/** Its own database: tables no test has analysed, as autovacuum leaves a table between its runs. */
const DB_URL = siblingDatabaseUrl('apply');

const BATCH = 500;
const GROWN = 30_000;

/** A transaction for the statements: this test's client, each statement through `run`. */
const through = (run: (sql: string, params?: unknown[]) => Promise<unknown[]>) =>
  ({ query: run }) as unknown as Queryable;

/**
 * A runtime batch's statements (`runtime/run-batch.sql.ts`: lock, write) find every row by key,
 * whatever the statistics say. The case that went wrong, in the runtime bench (whose tables are never
 * analysed on a box without autovacuum): with no statistics the planner takes a site for 0.5 % of a
 * table, and read the site's or the flow's rows whole on every batch — the release of ended runs'
 * slots hash-joined the site's `run_entries` (60,000 rows read for 500, 150 ms a batch), the lock
 * scanned the site's runs filtered by id (30,568 for 500); each grows with the site.
 */
describe('runtime: a batch finds its rows by key', () => {
  let api: TestApi;
  let tenant: Tenant;
  let other: Tenant;
  let db: Client;
  const flowId = randomUUID();

  beforeAll(async () => {
    await dropDatabase(DB_URL);
    migrateRuntimeDatabase(DB_URL); // provisions the database (on every node under test:citus)
    db = new Client(testClientConfig(DB_URL));
    await db.connect();
    api = await startApi({ DATABASE_URL: DB_URL });
    tenant = await createTenant(api, 'apply-plans');
    other = await createTenant(api, 'apply-plans-other');
    await insertRuns(other.siteId, GROWN, 'completed', 0);
    await insertRuns(tenant.siteId, BATCH, 'waiting', 0);
    await insertRuns(tenant.siteId, GROWN, 'completed', BATCH);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await api?.stop();
    await dropDatabase(DB_URL);
  });

  /** `count` runs of the flow, each with its visitor's re-entry slot (one active run). */
  const insertRuns = (siteId: string, count: number, status: string, offset: number) =>
    db.query(
      `WITH r AS (
         INSERT INTO runs (site_id, flow_id, flow_version, visitor_id, trigger_event_id, trigger_node_id,
                           trigger_event, status, state)
         SELECT $1::uuid, $2::uuid, 1, gen_random_uuid(), $4::bigint + g, 't', '{}', $5, '{}'
           FROM generate_series(1, $3::int) g
         RETURNING visitor_id)
       INSERT INTO run_entries (site_id, flow_id, visitor_id) SELECT $1::uuid, $2::uuid, visitor_id FROM r`,
      [siteId, flowId, count, offset, status],
    );

  const waitingRuns = async () =>
    (
      await db.query<RunRow>(
        `SELECT site_id, id::text AS id, flow_id, flow_version, visitor_id, seq, status FROM runs
          WHERE site_id = $1 AND status = 'waiting'`,
        [tenant.siteId],
      )
    ).rows;

  /**
   * The plan of each statement `work` sends, in a transaction rolled back after; no node may read more
   * than 4 × the batch (a probe per key reads one row per loop). Not on Citus: its 13.2 coordinator
   * crashes (SIGSEGV) on EXPLAIN ANALYZE of the batch write (a router query whose CTEs modify three
   * tables); there the site's worker plans the same text with the same indexes, and what each
   * statement does is checked below on both.
   */
  async function expectKeyPlans(work: (tx: Queryable) => Promise<unknown>): Promise<void> {
    if (ON_CITUS) return;
    const plans: AnalysedStatement[] = [];
    await db.query('BEGIN');
    try {
      await work(analysingTx(db, plans) as unknown as Queryable);
    } finally {
      await db.query('ROLLBACK');
    }
    expect(plans).toHaveLength(1);
    expect(rowsRead(plans[0].plan).length).toBeGreaterThan(0);
    expect(nodesReadingMore(plans, 4 * BATCH)).toEqual([]);
  }

  /** `work` in a committed transaction of the test's client. */
  async function committed<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    await db.query('BEGIN');
    try {
      const out = await work(through(async (sql, params) => (await db.query(sql, params)).rows));
      await db.query('COMMIT');
      return out;
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }
  }

  it('locks a batch of runs by a key probe each, in id order', async () => {
    const ids = (await waitingRuns()).map((r) => r.id);
    expect(ids).toHaveLength(BATCH);
    await expectKeyPlans((tx) => lockRuns(tx, tenant.siteId, ids));
    const locked = await committed((tx) => lockRuns(tx, tenant.siteId, [...ids, ids[0]]));
    expect(locked.map((r) => r.id)).toEqual([...ids].sort());
    expect(locked.every((r) => r.status === 'waiting' && r.max_ord === null)).toBe(true);
  });

  it('writes ended runs and releases their slots by key', async () => {
    const runs = await waitingRuns();
    expect(runs).toHaveLength(BATCH);
    const ended: RunTransition = {
      state: {} as RunTransition['state'],
      status: 'completed',
      settled: 'completed',
      nextStepAt: null,
      waitNodeId: null,
      interests: [],
      error: null,
      ended: true,
    };
    const at = new Date().toISOString();
    const items = runs.map((run) => ({
      run,
      transition: ended,
      steps: [
        <NewRunStep>{
          nodeId: 'x',
          iteration: 0,
          ord: 1,
          nodeType: 'exit',
          handle: null,
          input: {} as NewRunStep['input'],
          effect: null,
          effectStatus: 'none',
          effectResult: null,
          skipped: null,
          at,
        },
      ],
    }));
    await expectKeyPlans((tx) => applyTransitions(tx, tenant.siteId, items));

    // For real: the 500 runs end, their slots are released, the site's other slots stay as they were.
    const seqs = await committed((tx) => applyTransitions(tx, tenant.siteId, items));
    expect(seqs.size).toBe(BATCH);
    const { rows: slots } = await db.query<{ released: number; held: number; steps: number }>(
      `SELECT count(*) FILTER (WHERE e.active_runs = 0)::int AS released,
              count(*) FILTER (WHERE e.active_runs = 1)::int AS held,
              (SELECT count(*)::int FROM run_steps WHERE site_id = $1 AND node_id = 'x') AS steps
         FROM run_entries e WHERE e.site_id = $1 AND e.flow_id = $2`,
      [tenant.siteId, flowId],
    );
    expect(slots[0]).toEqual({ released: BATCH, held: GROWN, steps: BATCH });
  });

  it("tells which of a batch of runs are still pending by key, never the site's runs", async () => {
    const { rows } = await db.query<{ id: string; seq: number }>(
      `INSERT INTO runs (site_id, flow_id, flow_version, visitor_id, trigger_event_id, trigger_node_id,
                         trigger_event, status, state)
       SELECT $1::uuid, gen_random_uuid(), 1, gen_random_uuid(), g, 't', '{}', 'pending', '{}'
         FROM generate_series(1, 5) g
       RETURNING id, seq`,
      [tenant.siteId],
    );
    const { rows: others } = await db.query<{ id: string }>(
      `SELECT id FROM runs WHERE site_id = $1 AND status <> 'pending' LIMIT $2`,
      [tenant.siteId, BATCH - rows.length],
    );
    const asked = [...rows, ...others].map((r) => r.id);
    expect(asked).toHaveLength(BATCH);
    await expectKeyPlans((tx) => pendingRuns(tx, tenant.siteId, asked));
    const pending = await committed((tx) => pendingRuns(tx, tenant.siteId, asked));
    expect(pending.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      rows.sort((a, b) => a.id.localeCompare(b.id)),
    );
    // Another site's run is not this site's, whatever its id.
    expect(await committed((tx) => pendingRuns(tx, other.siteId, asked))).toEqual([]);
  });
});
