import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, dataSourceOptions } from '../../apps/api/src/database/data-source';
import { DedupeWindow1764300850000 } from '../../apps/api/src/database/migrations/1764300850000-dedupe-window';
import { queryRows } from '../../apps/api/src/database/sql';
import {
  DEDUPE_GEN_HOURS,
  DEDUPE_RUN_IDS,
  DEDUPE_WINDOW_HOURS,
  dedupeFreshCte,
  dedupeHour,
} from '../../apps/api/src/ingest/dedupe-window';
import { DedupeWindowSealer } from '../../apps/api/src/ingest/dedupe-window-sealer';
import { DedupeWindowRepository } from '../../apps/api/src/ingest/dedupe-window.repository';
import { TEST_DATABASE_URL, testClientConfig } from '../support/test-env';

const HOUR_MS = 3_600_000;
const FRESH = `WITH fresh AS (${dedupeFreshCte({ site: 1, hashes: 2, today: 3 })}) SELECT hash::text FROM fresh`;

/**
 * The compact dedupe window (two tiers: a per-hash recent table, sealed sorted runs) against real
 * PostgreSQL: exact within the window and per site across the tier boundary, fresh again past it,
 * one winner when two writers insert one hash at once, and a model set under random arrival orders
 * with the sealing job run at random times.
 */
describe('ingest: dedupe window', () => {
  let ds: DataSource;
  let db: Client;
  let sealer: DedupeWindowSealer;
  // A current hour: the generations the lookups probe are those of real time.
  const base = dedupeHour(Date.now());

  beforeAll(async () => {
    ds = createDataSource({ DATABASE_URL: TEST_DATABASE_URL, DB_POOL_SIZE: 6 });
    await ds.initialize();
    sealer = new DedupeWindowSealer(new DedupeWindowRepository(ds));
    db = new Client(testClientConfig());
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await ds.destroy();
  });

  const fresh = async (siteId: string, hashes: bigint[], hour: number, on: Pick<DataSource, 'query'> = ds) =>
    (await queryRows<{ hash: string }>(on, FRESH, [siteId, hashes.map(String), hour])).map((r) =>
      BigInt(r.hash),
    );
  const sorted = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const randomHash = () => BigInt.asIntN(64, BigInt(`0x${randomUUID().replace(/-/g, '').slice(0, 16)}`));
  /** Runs the sealing job for the site at `hour` plus `minutes`, to completion. */
  const seal = async (siteId: string, hour: number, minutes = 30) => {
    const r = await sealer.sealSite(siteId, hour * HOUR_MS + minutes * 60_000);
    expect(r.complete).toBe(true);
    return r;
  };
  const tiers = async (siteId: string) => {
    const { rows } = await db.query<{ recent: number; sealed: number }>(
      `SELECT (SELECT count(*)::int FROM event_dedupe_recent WHERE site_id = $1) AS recent,
              (SELECT coalesce(sum(array_length(hashes, 1)), 0)::int FROM event_dedupe_sealed WHERE site_id = $1) AS sealed`,
      [siteId],
    );
    return rows[0];
  };

  it('answers only the hashes new to the site, per site', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const hs = Array.from({ length: 50 }, randomHash);
    expect(sorted(await fresh(a, hs, base))).toEqual(sorted(hs));
    expect(await fresh(a, hs, base)).toEqual([]);
    expect(sorted(await fresh(a, [...hs.slice(0, 5), 7n, 8n], base))).toEqual([7n, 8n]);
    expect(sorted(await fresh(b, hs, base))).toEqual(sorted(hs));
  });

  it('stays exact across the tier boundary and frees a hash once it is older than the window', async () => {
    const site = randomUUID();
    const h0 = base - 60; // received 60 hours "ago" in the test's clock, which then moves forward
    const hs = Array.from({ length: 12 * DEDUPE_RUN_IDS + 17 }, randomHash); // several runs, the last one partial
    expect((await fresh(site, hs, h0)).length).toBe(hs.length);
    // One generation later the job seals h0's generation; later still it cleans its recent rows.
    const gen1 = Math.floor(h0 / DEDUPE_GEN_HOURS) * DEDUPE_GEN_HOURS + DEDUPE_GEN_HOURS;
    expect((await seal(site, gen1)).sealed).toBe(hs.length);
    expect(await tiers(site)).toEqual({ recent: hs.length, sealed: hs.length });
    expect((await seal(site, gen1 + 1)).cleaned).toBe(hs.length);
    expect(await tiers(site)).toEqual({ recent: 0, sealed: hs.length });
    // Sealed an hour ago and at the window's last hour: still duplicates, found in the runs only.
    for (const at of [gen1 + 1, h0 + DEDUPE_WINDOW_HOURS])
      expect(await fresh(site, [hs[0], hs[300], hs[hs.length - 1], hs[5 * DEDUPE_RUN_IDS]], at)).toEqual([]);
    expect(sorted(await fresh(site, [hs[1], 42n], gen1 + 2))).toEqual([42n]);
    // One hour past the window: fresh again, before the job has dropped anything...
    expect(sorted(await fresh(site, hs.slice(0, 10), h0 + DEDUPE_WINDOW_HOURS + 1))).toEqual(
      sorted(hs.slice(0, 10)),
    );
    // ...and now a duplicate again (received anew), while the other hashes stay fresh to take.
    expect(await fresh(site, hs.slice(0, 10), h0 + DEDUPE_WINDOW_HOURS + 2)).toEqual([]);
    // The job drops the expired generation's runs; the re-received hashes are sealed in theirs.
    const later = h0 + DEDUPE_WINDOW_HOURS + 2 * DEDUPE_GEN_HOURS;
    const r = await seal(site, later);
    expect(r.expired).toBeGreaterThanOrEqual(4);
    expect(await tiers(site)).toEqual({ recent: expect.any(Number), sealed: 10 });
    expect(await fresh(site, hs.slice(0, 10), later)).toEqual([]);
    expect(await fresh(site, hs.slice(10, 20), later)).toHaveLength(10);
  });

  it('takes over a recent row older than the window when the job has not run', async () => {
    const site = randomUUID();
    expect(await fresh(site, [1n, 2n], base - 49)).toHaveLength(2);
    expect(await fresh(site, [1n, 3n], base - 1)).toEqual([3n]); // 48 hours later: still a duplicate
    expect(sorted(await fresh(site, [1n, 2n, 3n], base))).toEqual([1n, 2n]); // 49: fresh again
    expect(await fresh(site, [1n, 2n, 3n], base)).toEqual([]);
  });

  it('two writers inserting one hash at once: exactly one gets it', async () => {
    const site = randomUUID();
    const [c1, c2] = [
      new Client({ connectionString: TEST_DATABASE_URL }),
      new Client({ connectionString: TEST_DATABASE_URL }),
    ];
    await Promise.all([c1.connect(), c2.connect()]);
    try {
      await c1.query('BEGIN');
      await c2.query('BEGIN');
      const first = await c1.query(FRESH, [site, ['5', '6'], base]);
      const second = c2.query(FRESH, [site, ['6', '7'], base]); // waits on c1's row for 6
      await new Promise((r) => setTimeout(r, 200));
      await c1.query('COMMIT');
      const got = await second;
      await c2.query('COMMIT');
      expect(first.rows.map((r) => r.hash).sort()).toEqual(['5', '6']);
      expect(got.rows.map((r) => r.hash)).toEqual(['7']);
    } finally {
      await Promise.all([c1.end(), c2.end()]);
    }
    // Many writers over a shared pool of hashes, across a sealed generation: each hash answered once.
    const pool = Array.from({ length: 400 }, randomHash);
    const old = pool.slice(0, 100);
    expect(await fresh(site, old, base - 20)).toHaveLength(100);
    await seal(site, base - 20 + 2 * DEDUPE_GEN_HOURS);
    await seal(site, base - 20 + 2 * DEDUPE_GEN_HOURS + 1);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, w) =>
        fresh(
          site,
          pool.filter((_, i) => (i * 7 + w) % 3 !== 0),
          base,
        ),
      ),
    );
    const won = answers.flat();
    expect(new Set(won).size).toBe(won.length);
    expect(sorted(won)).toEqual(sorted(pool.slice(100)));
  });

  it('matches a model set under random arrival orders and sealing times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('arrive' as const),
              ids: fc.uniqueArray(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 12 }),
              // Small steps, and jumps that land right on the window's edge from a sealed generation.
              advance: fc.oneof(
                fc.integer({ min: 0, max: 6 }),
                fc.constantFrom(8, 16, 23, 24, 25, 47, 48, 49),
              ),
            }),
            fc.record({ kind: fc.constant('seal' as const), minutes: fc.integer({ min: 0, max: 59 }) }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        async (ops) => {
          const site = randomUUID();
          const seen = new Map<bigint, number>(); // the model: hash -> hour last taken
          let hour = base - 120;
          for (const op of ops) {
            if (op.kind === 'seal') {
              await seal(site, hour, op.minutes);
              continue;
            }
            hour += op.advance;
            const hs = op.ids.map((i) => BigInt(i) * 0x9e3779b97f4a7c15n - (1n << 62n));
            const want = hs.filter((h) => !(seen.has(h) && seen.get(h)! >= hour - DEDUPE_WINDOW_HOURS));
            for (const h of want) seen.set(h, hour);
            expect(
              sorted(
                await fresh(
                  site,
                  hs.map((h) => BigInt.asIntN(64, h)),
                  hour,
                ),
              ),
            ).toEqual(sorted(want.map((h) => BigInt.asIntN(64, h))));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('the migration carries event_dedupe over: its hashes stay duplicates', async () => {
    // Run again as a deploy runs it (its own connection, strict mode off on Citus), over old rows.
    const migrator = new DataSource({
      ...dataSourceOptions({ DATABASE_URL: TEST_DATABASE_URL, DB_POOL_SIZE: 1 }),
      ...(process.env.CITUS_WORKER_URLS
        ? { extra: { max: 1, options: '-c citus.multi_task_query_log_level=off' } }
        : {}),
    } as ConstructorParameters<typeof DataSource>[0]);
    await migrator.initialize();
    const site = randomUUID();
    const day = new Date(base * HOUR_MS).toISOString().slice(0, 10);
    const dayHour = Math.floor(Date.parse(day) / HOUR_MS);
    try {
      await db.query(`SELECT nf_ensure_daily_partitions('event_dedupe', $1::date - 1, $1::date)`, [day]);
      await db.query(
        `INSERT INTO event_dedupe (site_id, day, hash) VALUES ($1, $2::date, 11), ($1, $2::date - 1, 12), ($1, $2::date, 12)`,
        [site, day],
      );
      const qr = migrator.createQueryRunner();
      const migration = new DedupeWindow1764300850000();
      await qr.startTransaction();
      await migration.down(qr);
      await migration.up(qr);
      await qr.commitTransaction();
      await qr.release();
    } finally {
      await migrator.destroy();
    }
    const { rows } = await db.query<{ hash: string; hour: number }>(
      `SELECT hash::text, hour FROM event_dedupe_recent WHERE site_id = $1 ORDER BY hash`,
      [site],
    );
    // Each hash once, at the last hour of its latest day: a duplicate at least as long as before.
    expect(rows).toEqual([
      { hash: '11', hour: dayHour + 23 },
      { hash: '12', hour: dayHour + 23 },
    ]);
    expect(sorted(await fresh(site, [11n, 12n, 13n], dayHour + 23 + DEDUPE_WINDOW_HOURS))).toEqual([13n]);
    expect(sorted(await fresh(site, [11n, 12n], dayHour + 24 + DEDUPE_WINDOW_HOURS))).toEqual([11n, 12n]);
  });
});
