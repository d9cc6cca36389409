import { DataSource, EntityManager } from 'typeorm';

export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/**
 * Raw SQL through TypeORM: its postgres driver answers UPDATE/DELETE with `[rows, rowCount]` and
 * everything else with `rows`; repositories always want the rows (RETURNING), so they go through here.
 */
export async function queryRows<T = Record<string, unknown>>(
  db: Queryable,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: unknown = await db.query(text, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * For the rest of the transaction, every join finds its rows by key: no hash or merge join, whose
 * plan over a sequential or whole-site scan looks cheapest while the statistics say a site is small
 * (a table never analysed, or analysed before the site grew) and then reads the whole site on every
 * call. For transactions whose statements all name their keys (the fold). Not enough alone where the
 * planner can materialise a whole-site scan instead (the runtime batch's write): there each row is a
 * `LATERAL … LIMIT 1` probe (`runtime/run-batch.sql.ts`).
 * On Citus the routed statements are planned by the site's worker: `citus.propagate_set_commands`
 * sends the SET LOCALs along with the transaction (on plain PostgreSQL a harmless placeholder setting).
 */
export async function joinByKeyOnly(tx: Queryable): Promise<void> {
  await tx.query(
    `SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`,
  );
}

/**
 * Runs `work` again when PostgreSQL cancelled it as a deadlock victim (40P01), up to `attempts` times.
 * On Citus, writes to reference tables (accounts, users, memberships) lock every node's copy, and two
 * concurrent sign-ups or member changes can be cancelled by the distributed deadlock detector; the
 * work is a whole transaction, so running it again is safe.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code =
        (err as { code?: string; driverError?: { code?: string } }).driverError?.code ??
        (err as { code?: string }).code;
      if (code !== '40P01' || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}
