// Creates a test database when missing. With CITUS_WORKER_URLS set (npm run test:citus), the URL names
// a Citus coordinator: the database is made on the coordinator and every worker with the citus and hll
// extensions, the coordinator's host set, the workers registered (Citus metadata is per database), and
// strict mode on (citus.multi_task_query_log_level = error: a statement that would fan out to several
// shards fails instead of running). CITUS_SHARD_COUNT, when set, becomes the database's
// citus.shard_count (`npm run test:citus` sets 4: the same plans and routing on fewer shard tables, so
// a test database migrates in seconds; benches keep Citus's default of 32).
//   node test/support/provision-database.mjs postgres://postgres@127.0.0.1:9700/nudgeflow_citus_test
import pg from 'pg';

const target = new URL(process.argv[2] ?? '');
const name = decodeURIComponent(target.pathname.slice(1));
if (!name) throw new Error('usage: provision-database.mjs DATABASE_URL');
const workers = (process.env.CITUS_WORKER_URLS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => new URL(s));

async function withClient(url, db, fn) {
  const client = new pg.Client({
    connectionString: Object.assign(new URL(url), { pathname: `/${db}` }).toString(),
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quoted = `"${name.replace(/"/g, '""')}"`;

async function createDatabase(url) {
  await withClient(url, 'postgres', async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await c.query(`CREATE DATABASE ${quoted}`);
  });
}

await createDatabase(target);
if (workers.length > 0) {
  for (const node of [target, ...workers]) {
    await createDatabase(node);
    await withClient(node, name, async (c) => {
      // Once a worker is registered, Citus refuses DDL on it, even a no-op CREATE EXTENSION IF NOT EXISTS.
      for (const ext of ['citus', 'hll']) {
        const has = await c.query('SELECT 1 FROM pg_extension WHERE extname = $1', [ext]);
        if (!has.rowCount) await c.query(`CREATE EXTENSION ${ext}`);
      }
    });
  }
  await withClient(target, name, async (c) => {
    await c.query('SELECT citus_set_coordinator_host($1, $2)', [
      target.hostname,
      Number(target.port || 5432),
    ]);
    for (const w of workers) {
      const port = Number(w.port || 5432);
      const known = await c.query('SELECT 1 FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2', [
        w.hostname,
        port,
      ]);
      if (!known.rowCount) await c.query('SELECT citus_add_node($1, $2)', [w.hostname, port]);
    }
    // Clients connect to the coordinator, which plans every distributed statement.
    await c.query(`ALTER DATABASE ${quoted} SET citus.multi_task_query_log_level = 'error'`);
    const shards = process.env.CITUS_SHARD_COUNT;
    if (shards) {
      if (!/^[1-9][0-9]{0,3}$/.test(shards))
        throw new Error(`CITUS_SHARD_COUNT: ${shards} is not a shard count`);
      await c.query(`ALTER DATABASE ${quoted} SET citus.shard_count = ${shards}`);
    }
  });
}
