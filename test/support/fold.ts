import { DataSource } from 'typeorm';
import { createDataSource } from '../../apps/api/src/database/data-source';
import { ProfileFold } from '../../apps/api/src/ingest/profile-fold';
import { TEST_DATABASE_URL } from './test-env';

/**
 * Since #19 a 2xx means the events are committed; profiles, identities and trigger hand-offs follow in
 * the worker's fold. Suites that start only the API fold in-process with the worker's own service
 * (`ProfileFold`) before they read profiles: `await folded(siteId)`. Suites with a worker running wait
 * for it instead (`waitFolded`), so its relay enqueues the hand-offs' jobs.
 */
let ds: DataSource | undefined;
let fold: ProfileFold | undefined;

async function service(): Promise<{ ds: DataSource; fold: ProfileFold }> {
  if (!ds || !fold) {
    ds = createDataSource({ DATABASE_URL: TEST_DATABASE_URL, DB_POOL_SIZE: 2 });
    await ds.initialize();
    fold = new ProfileFold(ds);
  }
  return { ds, fold };
}

/** Folds the site's committed events now, until its outbox is empty (another folder's turn is waited out). */
export async function folded(siteId: string, timeoutMs = 30_000): Promise<void> {
  const { ds: db, fold: f } = await service();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await f.foldSite(siteId);
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE site_id = $1`, [
      siteId,
    ])) as { n: number }[];
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`site ${siteId}: ${n} outbox rows still unfolded`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until a running worker folded every committed event of the site. */
export async function waitFolded(siteId: string, timeoutMs = 30_000): Promise<void> {
  const { ds: db } = await service();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE site_id = $1`, [
      siteId,
    ])) as { n: number }[];
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`site ${siteId}: ${n} outbox rows still unfolded`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Closes the fold's pool (afterAll). */
export async function closeFold(): Promise<void> {
  const d = ds;
  ds = undefined;
  fold = undefined;
  if (d?.isInitialized) await d.destroy();
}
