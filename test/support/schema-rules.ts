import { Client } from 'pg';

/** Small tables every shard needs (Citus reference tables); everything else is a tenant table. */
export const REFERENCE_TABLES = [
  'accounts',
  'users',
  'memberships',
  'user_sessions',
  'user_session_retired_tokens',
  'migrations',
  'analytics_watermarks',
  'account_sites',
];

/**
 * The Citus rules of DESIGN.md, checked on the live schema: every tenant table has `site_id` as the
 * first column of its primary key and of every unique constraint/index, and every foreign key to
 * another tenant table carries `site_id`. Returns one line per violation.
 */
export async function schemaViolations(db: Client): Promise<string[]> {
  const problems: string[] = [];
  const tables = (
    await db.query<{ table: string; kind: string }>(
      `SELECT c.relname AS table, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
    )
  ).rows;
  const columns = async (table: string) =>
    (
      await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      )
    ).rows.map((r) => r.column_name);

  const tenantTables = new Set<string>();
  for (const { table } of tables) {
    if (REFERENCE_TABLES.includes(table)) continue;
    if (table === 'sites') continue;
    if (!(await columns(table)).includes('site_id')) {
      problems.push(`${table}: has no site_id column and is not a declared reference table`);
      continue;
    }
    tenantTables.add(table);
  }

  const indexes = (
    await db.query<{ table: string; index: string; primary: boolean; cols: string[] }>(
      `SELECT t.relname AS table, i.relname AS index, x.indisprimary AS primary,
              array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS cols
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND x.indisunique AND NOT t.relispartition`,
    )
  ).rows;
  const sitesPk = indexes.find((i) => i.table === 'sites' && i.primary);
  if (!sitesPk || sitesPk.cols.join(',') !== 'id')
    problems.push(`sites: primary key must be (id), the distribution column`);
  for (const table of tenantTables) {
    const own = indexes.filter((i) => i.table === table);
    if (!own.some((i) => i.primary)) problems.push(`${table}: has no primary key`);
    for (const i of own) {
      if (i.cols[0] !== 'site_id') {
        problems.push(
          `${table}: ${i.primary ? 'primary key' : `unique index ${i.index}`} (${i.cols.join(', ')}) must start with site_id`,
        );
      }
    }
  }

  const fks = (
    await db.query<{ table: string; name: string; target: string; cols: string[]; refcols: string[] }>(
      `SELECT t.relname AS table, c.conname AS name, r.relname AS target,
              array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS cols,
              array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS refcols
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE c.contype = 'f' AND n.nspname = 'public' AND NOT t.relispartition`,
    )
  ).rows;
  for (const fk of fks) {
    if (!tenantTables.has(fk.table)) {
      // Reference tables live on every node and may only point at other reference tables.
      if (REFERENCE_TABLES.includes(fk.table) && !REFERENCE_TABLES.includes(fk.target)) {
        problems.push(
          `${fk.table}: reference table has a foreign key ${fk.name} to tenant table ${fk.target}`,
        );
      }
      continue;
    }
    if (REFERENCE_TABLES.includes(fk.target)) continue;
    if (fk.target === 'sites') {
      if (fk.cols.join(',') !== 'site_id' || fk.refcols.join(',') !== 'id') {
        problems.push(`${fk.table}: foreign key ${fk.name} to sites must be (site_id) -> sites(id)`);
      }
      continue;
    }
    const i = fk.cols.indexOf('site_id');
    if (i < 0 || fk.refcols[i] !== 'site_id') {
      problems.push(
        `${fk.table}: foreign key ${fk.name} to ${fk.target} (${fk.cols.join(', ')}) must include site_id -> site_id`,
      );
    }
  }
  return problems;
}
