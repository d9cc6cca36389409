import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient, send } from './ingest-helpers';

const VISITORS = 2000;
const NAMED = 800;

/**
 * A group's dedupe, identity and visitor lookups are index probes per key, however many keys the group
 * names and whatever the planner estimates (`nf_ingest_prepare_probe`). The function it replaces
 * joined the keys to the tables, which PostgreSQL planned as hash joins over sequential scans of
 * `visitor_identities` once a group named a few hundred keys of a site with thousands of visitors:
 * tens of milliseconds a group. Both answer the same.
 */
describe('ingest: lookups of a large group', () => {
  let db: Client;
  let api: TestApi;
  let tenant: Tenant;
  const anons = Array.from({ length: VISITORS }, (_, i) => `probe-${i}-${randomUUID().slice(0, 8)}`);
  let seenHashes: string[];

  beforeAll(async () => {
    db = await dbClient();
    api = await startApi();
    tenant = await createTenant(api, 'probes');
    for (let at = 0; at < VISITORS; at += 500) {
      const batch = anons
        .slice(at, at + 500)
        .map((anonymousId) => ({ type: 'page', anonymousId, messageId: randomUUID() }));
      const res = await send(api, '/v1/batch', { batch }, { key: tenant.writeKey });
      expect(res.body.stored).toBe(batch.length);
    }
    await db.query('ANALYZE visitor_identities; ANALYZE visitors; ANALYZE event_dedupe');
    const { rows } = await db.query<{ hash: string }>(
      'SELECT hash::text FROM event_dedupe WHERE site_id = $1 LIMIT 100',
      [tenant.siteId],
    );
    seenHashes = rows.map((r) => r.hash);
  });
  afterAll(async () => {
    await db.end();
    await api.stop();
  });

  /**
   * Calls a prepare function in a transaction it rolls back; answers its result and the scans it ran.
   * On a connection of its own: `pg_stat_xact_user_tables` also counts a connection's earlier
   * statements whose statistics it has not flushed yet.
   */
  async function prepare(fn: string) {
    const conn = await dbClient();
    const site = tenant.siteId;
    const named = anons.slice(0, NAMED);
    const fresh = Array.from({ length: NAMED - seenHashes.length }, (_, i) => String(9e15 + i));
    const hashes = [...seenHashes, ...fresh];
    await conn.query('BEGIN');
    try {
      const {
        rows: [{ prepared }],
      } = await conn.query(
        `SELECT ${fn}($1::text[], $2::boolean[], $3::text[], $4::uuid[], $5::bigint[], current_date, 2,
                      $6::uuid[], $7::text[], $8::text[]) AS prepared`,
        [
          [site],
          [false],
          named.map((a) => `${site}|anon|${a}`),
          hashes.map(() => site),
          hashes,
          named.map(() => site),
          named.map(() => 'anon'),
          named,
        ],
      );
      const { rows: scans } = await conn.query<{ relname: string; seq_scan: string }>(
        // A scan of an empty day partition (reltuples 0 after ANALYZE) reads nothing: left out.
        `SELECT s.relname, s.seq_scan FROM pg_stat_xact_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE (s.relname IN ('visitor_identities', 'visitors') OR s.relname LIKE 'event_dedupe%')
            AND s.seq_scan > 0 AND c.reltuples > 0`,
      );
      return { prepared, scans };
    } finally {
      await conn.query('ROLLBACK');
      await conn.end();
    }
  }

  it('probes by index and answers like the join it replaces', async () => {
    const probe = await prepare('nf_ingest_prepare_probe');
    expect(probe.scans).toEqual([]);
    expect(probe.prepared.fresh).toHaveLength(NAMED - seenHashes.length);
    expect(probe.prepared.identities).toHaveLength(NAMED);
    expect(probe.prepared.visitors).toHaveLength(NAMED);

    const keyed = await prepare('nf_ingest_prepare_keyed');
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sorted(probe.prepared.fresh)).toEqual(sorted(keyed.prepared.fresh));
    expect(sorted(probe.prepared.identities)).toEqual(sorted(keyed.prepared.identities));
    expect(sorted(probe.prepared.visitors)).toEqual(sorted(keyed.prepared.visitors));
  });
});
