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
