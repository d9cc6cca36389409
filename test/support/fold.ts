import { DataSource } from 'typeorm';
import { createDataSource } from '../../apps/api/src/database/data-source';
import { ProfileFold } from '../../apps/api/src/ingest/profile-fold';
import { TriggerHandoffWriter } from '../../apps/api/src/runtime/trigger-handoff-writer';
import { VisitorFold } from '../../apps/api/src/visitors/visitor-fold';
import { TEST_DATABASE_URL } from './test-env';

/**
 * Since #19 a 2xx means the events are committed; profiles, identities and trigger hand-offs follow in
 * the worker's fold. Suites that start only the API fold in-process with the worker's own service
 * (`ProfileFold`) before they read profiles: `await folded(siteId)`. Suites with a worker running wait
 * for it instead (`waitFolded`), so its relay enqueues the hand-offs' jobs.
 */
const services = new Map<string, Promise<{ ds: DataSource; fold: ProfileFold }>>();

function service(url = TEST_DATABASE_URL): Promise<{ ds: DataSource; fold: ProfileFold }> {
  let ready = services.get(url);
  if (!ready) {
    ready = (async () => {
      const ds = createDataSource({ DATABASE_URL: url, DB_POOL_SIZE: 2 });
      await ds.initialize();
      const fold = new ProfileFold(ds, new VisitorFold(), new TriggerHandoffWriter());
      return { ds, fold };
    })();
    services.set(url, ready);
  }
  return ready;
}

/** Folds the site's committed events now, until its outbox is empty (another folder's turn is waited out). */
export async function folded(siteId: string, timeoutMs = 30_000, url = TEST_DATABASE_URL): Promise<void> {
  const { ds: db, fold: f } = await service(url);
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

/** One fold pass of the site (what one worker's relay does per site and pass). */
export async function foldOnce(siteId: string, url = TEST_DATABASE_URL): Promise<number> {
  const { fold: f } = await service(url);
  return (await f.foldSite(siteId)).rows;
}

/** Waits until a running worker folded every committed event of the site (`db`: the worker's database). */
export async function waitFolded(
  db: { query: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }> },
  siteId: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE site_id = $1`, [
      siteId,
    ]);
    const { n } = rows[0] as { n: number };
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`site ${siteId}: ${n} outbox rows still unfolded`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Closes the fold's pool of `url` (afterAll), or every one. */
export async function closeFold(url?: string): Promise<void> {
  for (const [u, ready] of [...services]) {
    if (url !== undefined && u !== url) continue;
    services.delete(u);
    const { ds } = await ready;
    if (ds.isInitialized) await ds.destroy();
  }
}
