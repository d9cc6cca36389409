import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

export interface MigrateOptions {
  /** Refuse to migrate when the database has no `citus` extension (a Citus deployment or test run). */
  requireCitus?: boolean;
}

/**
 * Applies every pending migration. Migrations are cluster-wide maintenance by nature (DDL on every
 * shard, back-fills across sites), so their connection opts out of Citus's strict mode
 * (`citus.multi_task_query_log_level`) explicitly; see database/README.md. With `requireCitus` (or
 * `DATABASE_REQUIRE_CITUS=true`) a database without the extension is an error, not a plain-PostgreSQL
 * schema that silently skipped distribution.
 */
export async function migrateDatabase(url: string, opts: MigrateOptions = {}): Promise<string[]> {
  const requireCitus = opts.requireCitus ?? process.env.DATABASE_REQUIRE_CITUS === 'true';
  if (requireCitus) await assertCitus(url);
  const ds = migrationDataSource(url);
  await ds.initialize();
  try {
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** The migrations' own connection: cluster-wide by nature, so out of Citus's strict mode. */
export function migrationDataSource(url: string): DataSource {
  const base = dataSourceOptions({ DATABASE_URL: url, DB_POOL_SIZE: 2 });
  return new DataSource({
    ...base,
    extra: {
      ...base.extra,
      application_name: 'nudgeflow-migrate',
      options: '-c citus.multi_task_query_log_level=off',
    },
  } as typeof base);
}

/** Fails with one line when `url` is not a Citus coordinator with at least one worker registered. */
export async function assertCitus(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const ext = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
    if (!ext.rowCount) {
      throw new Error(`${redact(url)}: the citus extension is not installed (Citus was expected)`);
    }
    const nodes = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0`,
    );
    if (Number(nodes.rows[0].n) === 0) throw new Error(`${redact(url)}: no Citus worker is registered`);
  } finally {
    await client.end();
  }
}

const redact = (url: string): string => {
  const u = new URL(url);
  u.password = '';
  return u.toString();
};
