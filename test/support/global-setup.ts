import { migrateDatabase } from '../../apps/api/src/database/migrate-database';
import { provisionDatabase } from './provision';
import { TEST_DATABASE_URL } from './test-env';

/** Creates the test database if needed (on every Citus node under test:citus) and migrates it once per run. */
export default async function globalSetup(): Promise<void> {
  provisionDatabase(TEST_DATABASE_URL);
  await migrateDatabase(TEST_DATABASE_URL);
}
