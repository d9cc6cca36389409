import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { dedupeToday } from '../../apps/api/src/ingest/dedupe-window';
import { messageHash, normalizeEvent } from '../../apps/api/src/ingest/event-normalize';
import { provisionalVisitorId, siteWrite } from '../../apps/api/src/ingest/write-statement';
import { closeFold, folded } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient, send } from './ingest-helpers';

const VISITORS = 2000;
const NAMED = 800;

/**
 * The write path's one statement per site (`siteWrite`: dedupe window, events with their visitor by
 * identity probe, outbox row) finds every row by key, however many events the group names and
 * whatever the planner estimates: the dedupe check and both identity lookups are probes per key
 * (`LATERAL … LIMIT 1` / scalar subqueries on a unique key), never a hash join over a sequential scan
 * of `visitor_identities` or the window's partitions (tens of milliseconds a group, as the previous
 * prepare function's joins showed on a site with thousands of visitors).
 */
describe('ingest: lookups of a large group', () => {
  let db: Client;
  let api: TestApi;
  let tenant: Tenant;
  const anons = Array.from({ length: VISITORS }, (_, i) => `probe-${i}-${randomUUID().slice(0, 8)}`);
  let seen: string[];

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
    await folded(tenant.siteId);
    await db.query('ANALYZE visitor_identities; ANALYZE visitors; ANALYZE event_dedupe');
    const { rows } = await db.query<{ message_id: string }>(
      'SELECT message_id FROM events WHERE site_id = $1 LIMIT 100',
      [tenant.siteId],
    );
    seen = rows.map((r) => r.message_id);
  });
  afterAll(async () => {
    await closeFold();
    await db.end();
    await api.stop();
  });

  it('probes by index and resolves each event to the visitor its identity names', async () => {
    const conn = await dbClient();
    const site = tenant.siteId;
    const named = anons.slice(0, NAMED);
    const events = named.map((anonymousId, i) => {
      const r = normalizeEvent(
        {
          type: 'track',
          event: 'probe',
          anonymousId,
          messageId: i < seen.length ? seen[i] : randomUUID(),
        },
        { receivedAt: new Date(), newMessageId: randomUUID },
      );
      if (!r.ok) throw new Error(r.reason);
      return r.event;
    });
    const write = siteWrite(
      site,
      events.map((event) => ({
        hash: messageHash(event.messageId),
        event,
        isBot: false,
        receivedAt: new Date(),
      })),
      dedupeToday(),
    );
    await conn.query('BEGIN');
    try {
      const { rows: fresh } = await conn.query(write);
      const { rows: scans } = await conn.query<{ relname: string; seq_scan: string }>(
        // A scan of an empty day partition (reltuples 0 after ANALYZE) reads nothing: left out.
        `SELECT s.relname, s.seq_scan FROM pg_stat_xact_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE (s.relname IN ('visitor_identities', 'visitors') OR s.relname LIKE 'event_dedupe%')
            AND s.seq_scan > 0 AND c.reltuples > 0`,
      );
      expect(scans).toEqual([]);
      expect(fresh).toHaveLength(NAMED - seen.length);
      // Each stored event names the visitor its anonymous id already belongs to (none is provisional).
      const { rows } = await conn.query<{ anonymous_id: string; visitor_id: string; known: string }>(
        `SELECT e.anonymous_id, e.visitor_id, i.visitor_id AS known FROM events e
           JOIN visitor_identities i ON i.site_id = e.site_id AND i.kind = 'anon' AND i.value = e.anonymous_id
          WHERE e.site_id = $1 AND e.name = 'probe'`,
        [site],
      );
      expect(rows).toHaveLength(NAMED - seen.length);
      for (const r of rows) expect(r.visitor_id).toBe(r.known);
      expect(rows.some((r) => r.visitor_id === provisionalVisitorId(site, events[0]))).toBe(false);
    } finally {
      await conn.query('ROLLBACK');
      await conn.end();
    }
  });
});
