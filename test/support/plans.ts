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
