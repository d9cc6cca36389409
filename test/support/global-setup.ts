import { Client } from 'pg';
import { createDataSource } from '../../apps/api/src/database/data-source';
import { TEST_DATABASE_URL } from './test-env';

/** Creates the test database if needed and applies every migration once per run. */
export default async function globalSetup(): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  const dbName = url.pathname.slice(1);
  const admin = new Client({
    connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [dbName]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`);
  await admin.end();
  const ds = createDataSource({ DATABASE_URL: TEST_DATABASE_URL, DB_POOL_SIZE: 2 });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}
