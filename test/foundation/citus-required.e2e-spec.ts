import { migrateDatabase } from '../../apps/api/src/database/migrate-database';
import { ON_CITUS } from '../support/provision';
import { TEST_DATABASE_URL } from '../support/test-env';

/**
 * A run that expects Citus (`npm run test:citus`, or `DATABASE_REQUIRE_CITUS=true` in production) must
 * not quietly migrate a plain PostgreSQL database, whose migrations skip distribution.
 */
describe('migrations that require Citus', () => {
  it(ON_CITUS ? 'pass on the Citus coordinator' : 'refuse plain PostgreSQL with one clear line', async () => {
    const run = migrateDatabase(TEST_DATABASE_URL, { requireCitus: true });
    if (ON_CITUS) await expect(run).resolves.toEqual([]);
    else await expect(run).rejects.toThrow(/the citus extension is not installed \(Citus was expected\)/);
  });
});
