import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { testClientConfig } from '../support/test-env';

const METRICS_TOKEN = 'fold-lag-metrics-token';

/**
 * Fold lag on /metrics, read from `event_outbox` (committed events not folded yet): the oldest age
 * overall and per site for the sites with the oldest backlogs, with their events, read at most once
 * per few seconds however often it is scraped.
 */
describe('ingest: fold lag metrics', () => {
  let api: TestApi;
  let db: Client;
  const [old, older] = [randomUUID(), randomUUID()];
  // Older than any row another suite leaves in this database: these two sites lead the list.
  const DAYS = 400;

  const scrape = async () => {
    const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (name: string, site?: string) => {
      const label = site ? `\\{site_id="${site}"\\}` : '';
      const m = new RegExp(`^${name}${label} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { text, value };
  };

  beforeAll(async () => {
    db = new Client(testClientConfig());
    await db.connect();
    await db.query(
      `INSERT INTO event_outbox (site_id, event_ids, created_at) VALUES
         ($1, '{1,2,3}', now() - make_interval(days => $3) - interval '1 hour'),
         ($2, '{4,5,6,7,8}', now() - make_interval(days => $3) - interval '2 hours'),
         ($2, '{9,10}', now() - make_interval(days => $3))`,
      [old, older, DAYS],
    );
    api = await startApi({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await db.query(`DELETE FROM event_outbox WHERE site_id = $1`, [old]);
    await db.query(`DELETE FROM event_outbox WHERE site_id = $1`, [older]);
    await db.end();
    await api.stop();
  });

  it('exposes the oldest unfolded event age, overall and per site, and the events waiting', async () => {
    const { value, text } = await scrape();
    const base = DAYS * 86_400;
    expect(value('nudgeflow_fold_lag_seconds')).toBeGreaterThanOrEqual(base + 7200);
    expect(value('nudgeflow_fold_lag_seconds')).toBeLessThan(base + 7200 + 120);
    expect(value('nudgeflow_fold_lag_site_seconds', older)).toBe(value('nudgeflow_fold_lag_seconds'));
    expect(value('nudgeflow_fold_lag_site_seconds', old)).toBeGreaterThanOrEqual(base + 3600);
    expect(value('nudgeflow_fold_lag_site_seconds', old)).toBeLessThan(base + 3600 + 120);
    expect(value('nudgeflow_fold_backlog_events', older)).toBe(7);
    expect(value('nudgeflow_fold_backlog_events', old)).toBe(3);
    // Bounded label cardinality: at most 10 sites labelled.
    expect(text.match(/^nudgeflow_fold_lag_site_seconds\{/gm)!.length).toBeLessThanOrEqual(10);
    expect(value('nudgeflow_fold_lag_read_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('reads the outbox at most once per few seconds, then follows it', async () => {
    const first = await scrape();
    const readAt = first.value('nudgeflow_fold_lag_read_timestamp_seconds')!;
    await db.query(`DELETE FROM event_outbox WHERE site_id = $1`, [older]);
    const cached = await scrape();
    // Within the read interval: the same reading, the folded site still shown.
    if (cached.value('nudgeflow_fold_lag_read_timestamp_seconds') === readAt)
      expect(cached.value('nudgeflow_fold_backlog_events', older)).toBe(7);
    await new Promise((r) => setTimeout(r, 5_500));
    const fresh = await scrape();
    expect(fresh.value('nudgeflow_fold_lag_read_timestamp_seconds')).toBeGreaterThan(readAt);
    expect(fresh.value('nudgeflow_fold_backlog_events', older)).toBeUndefined();
    expect(fresh.value('nudgeflow_fold_lag_site_seconds', old)).toBe(
      fresh.value('nudgeflow_fold_lag_seconds'),
    );
  });
});
