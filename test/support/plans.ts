/** A node of an EXPLAIN (ANALYZE, FORMAT JSON) document. */
interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  [key: string]: unknown;
}

/** Every node of an EXPLAIN (FORMAT JSON) document, Citus's remote plans included. */
function planNodes(value: unknown, out: PlanNode[] = []): PlanNode[] {
  if (Array.isArray(value)) for (const v of value) planNodes(v, out);
  else if (value && typeof value === 'object') {
    if ('Node Type' in value) out.push(value as PlanNode);
    for (const v of Object.values(value)) planNodes(v, out);
  }
  return out;
}

/**
 * What each node of an analysed plan read, per loop: the rows it returned plus the ones its filter or
 * index recheck removed (a scan of a whole site reads the site even when it returns a few rows).
 */
export function rowsRead(plan: unknown): { node: string; rows: number }[] {
  return planNodes(plan).map((n) => ({
    node: `${n['Node Type']} ${n['Relation Name'] ?? ''}`.trim(),
    rows:
      (n['Actual Rows'] ?? 0) +
      (n['Rows Removed by Filter'] ?? 0) +
      (n['Rows Removed by Index Recheck'] ?? 0),
  }));
}

/** A statement a test's transaction ran, with its analysed plan. */
export interface AnalysedStatement {
  sql: string;
  plan: unknown;
}

/**
 * A transaction of `db` (the caller BEGINs and ends it) through which each statement is first analysed
 * in a savepoint rolled back (its plan added to `plans`), then run for real; `SET` statements only run.
 * With `analyse` false (under test:citus: Citus 13.2's coordinator crashes on EXPLAIN ANALYZE of a
 * router statement whose CTEs modify several tables) every statement only runs. Cast it to the
 * `Queryable` or `EntityManager` the code under test takes.
 */
export const analysingTx = (
  db: { query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }> },
  plans: AnalysedStatement[],
  analyse = true,
) => ({
  query: async (sql: string, params?: unknown[]): Promise<unknown[]> => {
    if (analyse && !/^\s*SET /.test(sql)) {
      await db.query('SAVEPOINT plan');
      const { rows } = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
      await db.query('ROLLBACK TO SAVEPOINT plan');
      plans.push({ sql: sql.trim(), plan: (rows[0] as Record<string, unknown>)['QUERY PLAN'] });
    }
    return (await db.query(sql, params)).rows;
  },
});

/** The nodes of `plans` that read more than `most` rows in one loop, with their statement's start. */
export const nodesReadingMore = (plans: AnalysedStatement[], most: number) =>
  plans.flatMap(({ sql, plan }) =>
    rowsRead(plan)
      .filter((n) => n.rows > most)
      .map((n) => ({ sql: sql.slice(0, 60), ...n })),
  );
