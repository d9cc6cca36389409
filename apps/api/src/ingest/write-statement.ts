import { createHash } from 'node:crypto';
import { TtlCache } from '../common/ttl-cache';
import { identityVisitorSql } from '../visitors/visitor.sql';
import { dedupeFreshCte } from './dedupe-window';
import type { NormalizedEvent } from './event-normalize';

/** RFC 4122 name-based UUID (version 5, SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The visitor id an event whose identity is not known yet is stored under: the same for every event
 * naming that identity first (userId, else anonymousId), so a new visitor's first events agree before
 * the fold creates the profile under that id (`ProfileFold`).
 */
export function provisionalVisitorId(siteId: string, e: NormalizedEvent): string {
  const [kind, value] = e.userId ? ['user', e.userId] : ['anon', e.anonymousId ?? e.previousId ?? ''];
  const key = `${siteId}|${kind}|${value}`;
  let id = provisionalIds.get(key);
  if (id === undefined) {
    id = uuidV5(siteId, `${kind}|${value}`);
    provisionalIds.set(key, id);
  }
  return id;
}

/**
 * Recent identities' provisional ids (a pure function of site and identity, so never stale; the TTL
 * only ages out the unused): a visitor sends many events, and a SHA-1 per event cost the batch path
 * 7 % of the API's CPU. 50,000 identities, oldest out first.
 */
const provisionalIds = new TtlCache<string, string>(3_600_000, 50_000);

/** One event of a site's write: the first of its messageId hash in the group. */
export interface WriteEntry {
  hash: string;
  event: NormalizedEvent;
  isBot: boolean;
  receivedAt: Date;
}

/**
 * The write path's one statement for one site (a named, prepared statement: its text never changes),
 * with its values: the hashes as one bigint array, every other column of the group's events in one
 * JSON document (one native JSON.stringify; an array parameter per column had the driver escape each
 * JSON text element in JavaScript). Answers the fresh hashes (`{ hash }` rows): those were stored.
 */
export function siteWrite(
  siteId: string,
  entries: WriteEntry[],
  today: number,
): { name: string; text: string; values: unknown[] } {
  const hashes: string[] = new Array<string>(entries.length);
  const rows: EventRow[] = new Array<EventRow>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const { hash, event: e, isBot, receivedAt } = entries[i];
    hashes[i] = hash;
    rows[i] = {
      hash,
      ts: e.ts.toISOString(),
      received_at: receivedAt.toISOString(),
      message_id: e.messageId,
      type: e.type,
      name: e.name,
      anonymous_id: e.anonymousId,
      user_id: e.userId,
      properties: e.type === 'alias' ? { ...e.properties, previousId: e.previousId } : e.properties,
      traits: e.traits,
      context: e.context,
      is_bot: isBot,
      provisional: provisionalVisitorId(siteId, e),
    };
  }
  return { name: 'nf_ingest_events', text: WRITE_SQL, values: [siteId, today, hashes, JSON.stringify(rows)] };
}

/** One event as the write statement's JSON parameter carries it (keys are the record's columns). */
interface EventRow {
  hash: string;
  ts: string;
  received_at: string;
  message_id: string | null;
  type: string;
  name: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  properties: unknown;
  traits: unknown;
  context: unknown;
  is_bot: boolean;
  provisional: string;
}

/**
 * $1 site, $2 today, $3 the hashes, $4 the events (a JSON array of `EventRow`, in the group's order).
 * The event's visitor: the one its userId, else its anonymousId, belongs to now (an index probe each,
 * read-only: no lock), else its provisional id. Events keep their order in the group (ids drawn in
 * it); the outbox row lists every stored event, bots too (the fold updates their profiles; it hands
 * only the others to trigger matching).
 */
const WRITE_SQL = `WITH fresh AS (${dedupeFreshCte({ site: 1, hashes: 3, today: 2 })}),
  e AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($4::jsonb)
             AS (hash bigint, ts timestamptz, received_at timestamptz, message_id text, type text, name text,
                 anonymous_id text, user_id text, properties jsonb, traits jsonb, context jsonb, is_bot boolean,
                 provisional uuid)) WITH ORDINALITY AS e(hash, ts, received_at, message_id, type, name,
                 anonymous_id, user_id, properties, traits, context, is_bot, provisional, n)),
  ins AS (
    INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
                        properties, traits, context, is_bot)
    SELECT $1::uuid, e.ts, e.received_at, e.message_id, e.type, e.name,
           coalesce(${identityVisitorSql('$1::uuid', 'user', 'e.user_id')},
                    ${identityVisitorSql('$1::uuid', 'anon', 'e.anonymous_id')},
                    e.provisional),
           e.anonymous_id, e.user_id, e.properties, e.traits, e.context, e.is_bot
      FROM e WHERE e.hash = ANY (ARRAY(SELECT hash FROM fresh))
     ORDER BY e.n
    RETURNING id, ts),
  ob AS (
    INSERT INTO event_outbox (site_id, event_ids, ts_min, ts_max)
    SELECT $1::uuid, array_agg(id ORDER BY id), min(ts), max(ts) FROM ins HAVING count(*) > 0)
  SELECT hash::text AS hash FROM fresh`;
