import type { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

/** The maintenance passes' site discovery reads every shard; on Citus that is an explicit choice. */
const CROSS_SHARD = `SET LOCAL citus.multi_task_query_log_level TO 'off'`;

/**
 * A cluster-wide read (every shard on Citus): bounded by its LIMIT, read-only, and opted out of
 * strict mode explicitly. Each statement that uses it is listed in database/README.md.
 */
export function crossShardRead<T>(db: DataSource, sql: string, params: unknown[]): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.query(CROSS_SHARD);
    return queryRows<T>(tx, sql, params);
  });
}
