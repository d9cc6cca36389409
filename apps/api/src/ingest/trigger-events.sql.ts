import { visitorIsBotSql, visitorOfEventJoin } from '../visitors/visitor.sql';
import { isNarrowRange } from './events.sql';

/** The row the job reads; bot if the event is or its visitor's profile (`visitorBot`) is. */
const columns = (visitorBot: string) => `e.id::text AS id, e.visitor_id, e.message_id, e.type, e.name, e.ts,
       e.properties, e.context, (e.is_bot OR coalesce(${visitorBot}, false)) AS is_bot`;

/**
 * A hand-off's events as the trigger job reads them ($1 site, $2 ids, $3 and $4 the hand-off's `ts`
 * bounds, ms precision): one primary-key probe per id in the partitions of that range, whatever the
 * statistics say. (Asked as `id = ANY($2)`, a day partition analysed while the site was small had the
 * planner walk the site's whole day through `(site_id, ts)` instead: 277 ms a job, 70 % of
 * PostgreSQL's time in the fold bench.) The visitor is joined inside the probe: on Citus a join on
 * the lateral's `site_id` outside it is not pushed down. A Nest-free module: the plan test runs this text.
 */
export const TRIGGER_EVENTS_SQL = `SELECT ${columns('e.visitor_is_bot')}
   FROM unnest($2::bigint[]) AS k(id)
   CROSS JOIN LATERAL (
        SELECT e.*, v.is_bot AS visitor_is_bot FROM events e
          ${visitorOfEventJoin('e')}
         WHERE e.site_id = $1 AND e.id = k.id
           AND e.ts >= $3 AND e.ts < $4::timestamptz + interval '1 millisecond' LIMIT 1) e
  ORDER BY e.id`;

/**
 * The same as one scan of the range (`isNarrowRange`: a hand-off of live traffic), its visitors by a
 * primary-key probe each (a join could hash the site's visitors while the statistics say it is small).
 */
export const TRIGGER_EVENTS_NARROW_SQL = `SELECT ${columns(visitorIsBotSql('$1', 'e.visitor_id'))}
   FROM events e
  WHERE e.site_id = $1 AND e.id = ANY($2::bigint[])
    AND e.ts >= $3 AND e.ts < $4::timestamptz + interval '1 millisecond'
  ORDER BY e.id`;

/** The statement reading a hand-off of these `ts` bounds ($3, $4). */
export const triggerEventsSql = (range: [string, string]): string =>
  isNarrowRange(range[0], range[1]) ? TRIGGER_EVENTS_NARROW_SQL : TRIGGER_EVENTS_SQL;

/** The same for a hand-off of the previous release (no bounds): the ids in every partition. */
export const TRIGGER_EVENTS_UNBOUNDED_SQL = `SELECT ${columns('v.is_bot')}
   FROM events e
   ${visitorOfEventJoin('e')}
  WHERE e.site_id = $1 AND e.id = ANY($2::bigint[])
  ORDER BY e.id`;
