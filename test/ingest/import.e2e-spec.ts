import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';
import { dbClient } from './ingest-helpers';

const ROOT = resolve(__dirname, '../..');
const runImport = (args: string[]) =>
  spawnSync(process.execPath, [resolve(ROOT, 'apps/api/dist/ingest/import-cli.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    encoding: 'utf8',
  });

describe('bulk import CLI', () => {
  let api: TestApi;
  let db: Client;
  let t: Tenant;
  const dir = mkdtempSync(join(tmpdir(), 'nf-import-'));

  beforeAll(async () => {
    api = await startApi();
    db = await dbClient();
    t = await createTenant(api, 'import');
  });
  afterAll(async () => {
    await db.end();
    await api.stop();
  });

  it('imports ndjson with validation, reports rejects, and a re-run stores nothing twice', async () => {
    const file = join(dir, 'events.ndjson');
    const lines = [
      ...Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({
          type: 'track',
          event: 'Imported',
          anonymousId: `imp-${i % 3}`,
          properties: { i },
          timestamp: '2025-06-01T10:00:00Z',
        }),
      ),
      JSON.stringify({ type: 'track', anonymousId: 'x' }),
      '{not json',
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    const first = runImport(['--site', t.siteId, file]);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ rows: 32, stored: 30, duplicates: 0, rejected: 2 });
    expect(first.stderr).toMatch(/rows\/s · ETA/);
    expect(first.stderr).toContain('MISSING_EVENT_NAME');

    // Interrupted before the checkpoint was written: the re-run reads everything and dedupes it.
    writeFileSync(`${file}.import-${t.siteId}.json`, JSON.stringify({ offset: 0, rows: 0 }));
    const again = runImport(['--site', t.siteId, file]);
    expect(JSON.parse(again.stdout)).toMatchObject({ stored: 0, duplicates: 30 });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM events WHERE site_id = $1 AND name = 'Imported'`,
      [t.siteId],
    );
    expect(rows[0].n).toBe(30);
  });

  it('imports CSV with nested property columns', async () => {
    const file = join(dir, 'events.csv');
    writeFileSync(
      file,
      'type,event,userId,timestamp,properties.plan\ntrack,Upgraded,u-1,2025-06-02T10:00:00Z,"pro, yearly"\n',
    );
    const res = runImport(['--site', t.siteId, file]);
    expect(JSON.parse(res.stdout)).toMatchObject({ rows: 1, stored: 1 });
    const { rows } = await db.query(
      `SELECT properties FROM events WHERE site_id = $1 AND name = 'Upgraded'`,
      [t.siteId],
    );
    expect(rows[0].properties).toEqual({ plan: 'pro, yearly' });
  });

  it('refuses an unknown site', () => {
    const res = runImport(['--site', '00000000-0000-4000-8000-000000000000', __filename]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('not found');
  });
});
