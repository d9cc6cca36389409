import { loadConfig } from '../config/app-config';
import { createDataSource } from './data-source';
import { runCli } from './run-cli';

/** `npm run migrate -- up|down|status`: explicit migrations, never synchronize. */
runCli(async () => {
  const cmd = process.argv[2] ?? 'up';
  const ds = createDataSource(loadConfig());
  await ds.initialize();
  try {
    if (cmd === 'up') {
      const done = await ds.runMigrations({ transaction: 'each' });
      console.log(done.length ? `applied: ${done.map((m) => m.name).join(', ')}` : 'schema is up to date');
    } else if (cmd === 'down') {
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
