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
