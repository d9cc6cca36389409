import { Client } from 'pg';
import { loadConfig } from '../config/app-config';
import { migrateDatabase, migrationDataSource } from './migrate-database';
import { runCli } from './run-cli';

/** `npm run migrate -- up|down|status`: explicit migrations, never synchronize. */
runCli(async () => {
  const cmd = process.argv[2] ?? 'up';
  const cfg = loadConfig();
  if (cmd === 'up') await ensureDatabase(cfg.DATABASE_URL);
  if (cmd === 'up') {
    const done = await migrateDatabase(cfg.DATABASE_URL);
    console.log(done.length ? `applied: ${done.join(', ')}` : 'schema is up to date');
    return;
  }
  const ds = migrationDataSource(cfg.DATABASE_URL);
  await ds.initialize();
  try {
    if (cmd === 'down') {
      await ds.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else if (cmd === 'status') {
      const pending = await ds.showMigrations();
      console.log(pending ? 'migrations pending' : 'schema is up to date');
    } else {
      throw new Error(`unknown command "${cmd}" (use up, down or status)`);
    }
  } finally {
    await ds.destroy();
  }
});

/** A fresh machine has PostgreSQL but not our database: create it, so `npm run demo` needs nothing else. */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new Client({
    connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  try {
    const found = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`created database ${name}`);
    }
  } finally {
    await admin.end();
  }
}
