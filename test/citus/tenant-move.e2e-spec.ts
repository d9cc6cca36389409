import { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';

/**
 * The operator guide's growth path (docs/citus.md): a very large site is isolated on a shard of its
 * own and that shard moved to another worker while the API serves every site. The moved site keeps
 * its data and keeps working; other sites never see an error during the move.
 */
describe('isolating a site on its own shard and moving it to another worker', () => {
  let t: TestApi;
  let db: Client;
  let big: Tenant;
  let other: Tenant;
  let flowId: string;

  const flowGraph = {
    nodes: [
      { id: 'start', type: 'trigger_event', config: { event: 'signup', filters: [] } },
      { id: 'done', type: 'exit', config: {} },
    ],
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'done' }],
  };
  const settings = { reEntry: { mode: 'once' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] };

  beforeAll(async () => {
    t = await startApi();
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    big = await createTenant(t, 'big');
    other = await createTenant(t, 'other');
    const created = await t.request(`/api/sites/${big.siteId}/flows`, {
      method: 'POST',
      token: big.tokens.editor,
      body: { name: 'Big flow' },
    });
    flowId = created.body.id as string;
    await t.request(`/api/sites/${big.siteId}/flows/${flowId}/draft`, {
      method: 'PUT',
      token: big.tokens.editor,
      body: { revision: 1, graph: flowGraph, settings },
    });
    const published = await t.request(`/api/sites/${big.siteId}/flows/${flowId}/publish`, {
      method: 'POST',
      token: big.tokens.editor,
      body: {},
    });
    expect(published.status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
    await db?.end();
  });

  const placement = async (siteId: string) => {
    const { rows } = await db.query<{ shardid: string; nodename: string; nodeport: number }>(
      `SELECT p.shardid::text, p.nodename, p.nodeport FROM pg_dist_shard_placement p
        WHERE p.shardid = get_shard_id_for_distribution_column('sites', $1::uuid)`,
      [siteId],
    );
    return rows[0];
  };

  it('keeps the site and its neighbours working with no error for the others', async () => {
    const before = await t.request(`/api/sites/${big.siteId}/flows/${flowId}`, { token: big.tokens.viewer });
    expect(before.status).toBe(200);

    // Other sites keep being served (reads and writes) while the big one is isolated and moved.
    let stop = false;
    const otherStatuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const read = await t.request(`/api/sites/${other.siteId}/flows`, { token: other.tokens.viewer });
        const write = await t.request(`/api/sites/${other.siteId}`, {
          method: 'PATCH',
          token: other.tokens.editor,
          body: { name: `other ${i}` },
        });
        otherStatuses.push(read.status, write.status);
      }
    })();

    const from = await placement(big.siteId);
    const isolated = await db.query<{ shard: string }>(
      `SELECT isolate_tenant_to_new_shard('sites', $1::uuid, 'CASCADE', shard_transfer_mode => 'block_writes')::text AS shard`,
      [big.siteId],
    );
    const shardId = isolated.rows[0].shard;
    const alone = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_dist_shard WHERE shardid = $1::bigint
          AND shardminvalue = shardmaxvalue`,
      [shardId],
    );
    expect(alone.rows[0].n).toBe(1);
    const isolatedAt = await placement(big.siteId);
    expect(isolatedAt.shardid).toBe(shardId);
    const target = await db.query<{ nodename: string; nodeport: number }>(
      `SELECT nodename, nodeport FROM pg_dist_node
        WHERE noderole = 'primary' AND groupid <> 0 AND shouldhaveshards AND (nodename, nodeport) <> ($1, $2)
        ORDER BY nodeport LIMIT 1`,
      [isolatedAt.nodename, isolatedAt.nodeport],
    );
    await db.query(
      `SELECT citus_move_shard_placement($1::bigint, $2, $3, $4, $5, shard_transfer_mode => 'block_writes')`,
      [shardId, isolatedAt.nodename, isolatedAt.nodeport, target.rows[0].nodename, target.rows[0].nodeport],
    );
    stop = true;
    await traffic;

    const after = await placement(big.siteId);
    expect(`${after.nodename}:${after.nodeport}`).not.toBe(`${from.nodename}:${from.nodeport}`);
    expect(after.shardid).toBe(shardId);

    // The moved site: its data is there and its routes read and write.
    const flow = await t.request(`/api/sites/${big.siteId}/flows/${flowId}`, { token: big.tokens.viewer });
    expect(flow.status).toBe(200);
    expect(flow.body).toEqual(before.body);
    const renamed = await t.request(`/api/sites/${big.siteId}`, {
      method: 'PATCH',
      token: big.tokens.editor,
      body: { name: 'Big after move' },
    });
    expect(renamed.status).toBe(200);
    const keys = await t.request(`/api/sites/${big.siteId}/keys`, { token: big.tokens.owner });
    expect(keys.status).toBe(200);
    const sites = await t.request('/api/sites', { token: big.tokens.owner });
    expect((sites.body as unknown as { name: string }[]).map((s) => s.name)).toContain('Big after move');

    expect(otherStatuses.length).toBeGreaterThan(0);
    expect(otherStatuses.filter((s) => s !== 200)).toEqual([]);
  });
});
