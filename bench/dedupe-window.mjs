// The dedupe window at a steady state (shared by `npm run bench -- dedupe` and the ingest bench): one
// site receives `ids` messageIds spread over 48 hours, hour after simulated hour, for 48 hours plus
// two generations, through the write path's own statement (`dedupeFreshCte`), with the sealing job
// run twice an hour as the worker would and VACUUM standing in for autovacuum. Prints bytes per id of
// the window's tables (heap + indexes + TOAST) over the ids it holds within the window, and the cost
// of one lookup statement at that state; beside both, the same ids in today's per-hash table
// (`event_dedupe`'s shape: one row per hash and day, primary key (site_id, hash, day)) measured in the
// same run. Bounded by `ids` (statements of `batch` hashes).
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { percentile, root } from './lib.mjs';

const HOUR_MS = 3_600_000;
const randomHashes = (n) => {
  const buf = randomBytes(8 * n);
  return Array.from({ length: n }, (_, i) => buf.readBigInt64BE(i * 8).toString());
};

export async function dedupeSteadyState({
  dbUrl,
  ids = 1_000_000,
  batch = 2_000,
  lookups = 200,
  lookupSize = 100,
}) {
  const dist = (p) => import(resolve(root, 'apps/api/dist', p));
  const [{ createDataSource }, win, { DedupeWindowSealer }, { DedupeWindowRepository }] = await Promise.all([
    dist('database/data-source.js'),
    dist('ingest/dedupe-window.js'),
    dist('ingest/dedupe-window-sealer.js'),
    dist('ingest/dedupe-window.repository.js'),
  ]);
  const ds = createDataSource({ DATABASE_URL: dbUrl, DB_POOL_SIZE: 4 });
  await ds.initialize();
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const sealer = new DedupeWindowSealer(new DedupeWindowRepository(ds));
  // The bench's own database: start from empty tables (sizes are whole tables; an interrupted run leaves rows).
  await db.query('TRUNCATE event_dedupe_recent, event_dedupe_sealed, event_dedupe_seals');
  const FRESH = `WITH fresh AS (${win.dedupeFreshCte({ site: 1, hashes: 2, today: 3 })}) SELECT count(*)::int AS n FROM fresh`;
  const site = randomUUID();
  const W = win.DEDUPE_WINDOW_HOURS;
  const perHour = Math.ceil(ids / W);
  const hours = W + 2 * win.DEDUPE_GEN_HOURS;
  const start = win.dedupeHour(Date.now()) - hours;
  const recentIds = []; // a sample of received hashes with their hour, for the lookups
  const t0 = Date.now();
  for (let h = start; h < start + hours; h++) {
    for (let n = 0; n < perHour; n += batch) {
      const hs = randomHashes(Math.min(batch, perHour - n));
      await db.query(FRESH, [site, hs, h]);
      if (recentIds.length < 50_000) recentIds.push(...hs.slice(0, 40).map((x) => [x, h]));
      else recentIds[Math.floor(Math.random() * recentIds.length)] = [hs[0], h];
    }
    await sealer.sealSite(site, h * HOUR_MS + 15 * 60_000);
    await sealer.sealSite(site, h * HOUR_MS + 45 * 60_000);
    await db.query('VACUUM event_dedupe_recent, event_dedupe_sealed, event_dedupe_seals');
  }
  const fillMs = Date.now() - t0;
  await db.query('ANALYZE event_dedupe_recent, event_dedupe_sealed');
  const now = start + hours - 1;
  const size = async (tables) =>
    (
      await db.query(
        `SELECT sum(pg_total_relation_size(t::regclass))::float8 AS b FROM unnest($1::text[]) t`,
        [tables],
      )
    ).rows[0].b;
  const bytes = await size(['event_dedupe_recent', 'event_dedupe_sealed', 'event_dedupe_seals']);
  const recentBytes = await size(['event_dedupe_recent']);
  const { rows: held } = await db.query(
    `SELECT (SELECT count(*) FROM event_dedupe_recent WHERE site_id = $1 AND hour >= $2)::float8 AS recent,
            (SELECT count(*) FROM event_dedupe_sealed s, unnest(s.hours) o
              WHERE s.site_id = $1 AND s.gen_hour + o >= $2)::float8 AS sealed,
            (SELECT count(*) FROM event_dedupe_sealed WHERE site_id = $1)::float8 AS runs`,
    [site, now - W],
  );
  const inWindow = held[0].recent + held[0].sealed;

  // Today's shape, same number of ids in the window, inserted in random order as the write path does.
  await db.query(`DROP TABLE IF EXISTS bench_dedupe_flat`);
  await db.query(`CREATE TABLE bench_dedupe_flat (site_id uuid NOT NULL, day date NOT NULL, hash bigint NOT NULL,
                    PRIMARY KEY (site_id, hash, day))`);
  const FLAT = `WITH ins AS (INSERT INTO bench_dedupe_flat (site_id, day, hash)
                  SELECT $1, current_date, c.hash FROM unnest($2::bigint[]) c(hash)
                   WHERE NOT EXISTS (SELECT 1 FROM bench_dedupe_flat d WHERE d.site_id = $1 AND d.hash = c.hash
                                        AND d.day >= current_date - 2)
                  ON CONFLICT DO NOTHING RETURNING hash) SELECT count(*)::int AS n FROM ins`;
  const flatHashes = [];
  for (let n = 0; n < inWindow; n += batch) {
    const hs = randomHashes(Math.min(batch, inWindow - n));
    await db.query(FLAT, [site, hs]);
    if (flatHashes.length < 50_000) flatHashes.push(...hs.slice(0, 40));
  }
  await db.query('VACUUM ANALYZE bench_dedupe_flat');
  const flatBytes = await size(['bench_dedupe_flat']);

  // One lookup statement: `lookupSize` hashes, half received within the window (any age), half new; rolled back.
  const timeStatements = async (sql, pick, hourParam) => {
    const times = [];
    for (let i = 0; i < lookups; i++) {
      const hs = [...Array.from({ length: lookupSize / 2 }, () => pick()), ...randomHashes(lookupSize / 2)];
      const uniq = [...new Set(hs)];
      await db.query('BEGIN');
      const t = process.hrtime.bigint();
      await db.query(sql, hourParam ? [site, uniq, hourParam] : [site, uniq]);
      times.push(Number(process.hrtime.bigint() - t) / 1e3 / uniq.length);
      await db.query('ROLLBACK');
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  };
  const windowed = recentIds.filter(([, h]) => h >= now - W).map(([x]) => x);
  const pickWin = () => windowed[Math.floor(Math.random() * windowed.length)];
  const pickFlat = () => flatHashes[Math.floor(Math.random() * flatHashes.length)];
  // Interleaved, twice, so that neither side gets the warmer cache.
  const lookup = await timeStatements(FRESH, pickWin, now);
  const flatLookup = await timeStatements(FLAT, pickFlat);
  const lookup2 = await timeStatements(FRESH, pickWin, now);
  const flatLookup2 = await timeStatements(FLAT, pickFlat);
  const { rows: plan } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${FRESH}`, [
    site,
    [...new Set([...Array.from({ length: lookupSize / 2 }, pickWin), ...randomHashes(lookupSize / 2)])],
    now,
  ]);
  const buffers = (p) => (p['Shared Hit Blocks'] ?? 0) + (p['Shared Read Blocks'] ?? 0);
  const blocks = buffers(plan[0]['QUERY PLAN'][0].Plan);
  await db.query(`DROP TABLE bench_dedupe_flat`);
  await db.query(`DELETE FROM event_dedupe_recent WHERE site_id = $1`, [site]);
  await db.query(`DELETE FROM event_dedupe_sealed WHERE site_id = $1`, [site]);
  await db.query(`DELETE FROM event_dedupe_seals WHERE site_id = $1`, [site]);
  await db.end();
  await ds.destroy();
  return {
    ids: inWindow,
    recentIds: held[0].recent,
    runs: held[0].runs,
    bytesPerId: bytes / inWindow,
    recentBytesPerId: recentBytes / Math.max(1, held[0].recent),
    flatBytesPerId: flatBytes / inWindow,
    lookupUs: Math.min(lookup.p50, lookup2.p50),
    lookupP99Us: Math.min(lookup.p99, lookup2.p99),
    flatLookupUs: Math.min(flatLookup.p50, flatLookup2.p50),
    blocksPerId: blocks / lookupSize,
    fillMs,
  };
}

export function printDedupe(r) {
  const f = (n, d = 1) => n.toFixed(d);
  console.log(
    `dedupe window at steady state (${Math.round(r.ids).toLocaleString('en-US')} ids in 48 h, one site; filled in ${f(r.fillMs / 1000)} s):\n` +
      `  ${f(r.bytesPerId)} B/id (heap + indexes + TOAST of the three tables; recent tier ${Math.round(r.recentIds).toLocaleString('en-US')} ids at ${f(r.recentBytesPerId)} B/id, ${Math.round(r.runs).toLocaleString('en-US')} sealed runs)\n` +
      `  per-hash table (today's shape, same run): ${f(r.flatBytesPerId)} B/id → ratio ${f(r.bytesPerId / r.flatBytesPerId, 3)}\n` +
      `  lookup statement of 100 hashes (half within the window): ${f(r.lookupUs, 2)} µs/hash p50, ${f(r.lookupP99Us, 2)} p99, ` +
      `${f(r.blocksPerId, 1)} buffers/hash; per-hash table ${f(r.flatLookupUs, 2)} µs/hash → ratio ${f(r.lookupUs / r.flatLookupUs, 2)}`,
  );
}
