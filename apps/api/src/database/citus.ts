import { QueryRunner } from 'typeorm';

/**
 * Migrations call these right after CREATE TABLE. On plain PostgreSQL (dev, tests) they do nothing;
 * on a Citus coordinator they distribute tenant tables by site_id, co-located with `sites`.
 */
export async function hasCitus(q: QueryRunner): Promise<boolean> {
  const rows: unknown[] = await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  return rows.length > 0;
}

export async function referenceTable(q: QueryRunner, table: string): Promise<void> {
  if (await hasCitus(q)) await q.query(`SELECT create_reference_table($1)`, [table]);
}

export async function distributedTable(q: QueryRunner, table: string, column = 'site_id'): Promise<void> {
  if (!(await hasCitus(q))) return;
  // A migration's transaction may create a function or trigger after distributing a table; Citus
  // refuses that after a parallel (one connection per shard) operation in the same transaction.
  await q.query(`SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`);
  if (table === 'sites') await q.query(`SELECT create_distributed_table('sites', 'id')`);
  else await q.query(`SELECT create_distributed_table($1, $2, colocate_with => 'sites')`, [table, column]);
}
