import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `nf_ingest_prepare_probe`: `nf_ingest_prepare_keyed` (same locks, dedupe window, identity and visitor
 * loads, same answer) with every lookup an index probe per key, whatever the planner estimates.
 *
 * The keyed function joined the group's keys to `visitor_identities` and `event_dedupe` and its visitor
 * ids to `visitors`. Planned per call, those joins turned into hash joins over a sequential scan as
 * soon as a group named a few hundred keys while the table still held tens of thousands of rows (one
 * site's visitors): 25–42 ms a call to hash 35,000 identities for 220 keys, every group, the top of
 * PostgreSQL's profile under /v1/batch load. A group names at most a few thousand keys and each table
 * only grows, so a probe per key is never the wrong plan: each lookup is a LATERAL subquery with
 * `LIMIT 1` (on a unique key, so the answer is the same), which the planner cannot flatten into a join.
 * Visitors are locked in (site_id, id) order as before, through the ordered outer side of the loop.
 * With no plan left to choose, the statements keep their generic plans (`force_generic_plan`): planning
 * the five of them per call cost ~1.3 ms a group, ~57 µs an event for single-event groups of 23.
 *
 * The keyed function stays for processes of the previous release (rolling deploy): same lock ids.
 */
export class IngestIndexProbes1764300100300 implements MigrationInterface {
  name = 'IngestIndexProbes1764300100300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION nf_ingest_prepare_probe(
        p_sites text[], p_exclusive boolean[], p_keys text[],
        p_dsite uuid[], p_dhash bigint[], p_today date, p_days_back integer,
        p_ksite uuid[], p_kkind text[], p_kvalue text[])
      RETURNS json LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
      DECLARE fresh json; idents json; vis json;
      BEGIN
        PERFORM CASE WHEN x THEN pg_advisory_xact_lock(hashtextextended(s, 7401))
                     ELSE pg_advisory_xact_lock_shared(hashtextextended(s, 7401)) END
           FROM unnest(p_sites, p_exclusive) WITH ORDINALITY AS t(s, x, n) ORDER BY n;
        PERFORM pg_advisory_xact_lock(h)
           FROM (SELECT DISTINCT hashtextextended(k, 7402) AS h FROM unnest(p_keys) k ORDER BY 1) l;
        WITH ins AS (
          INSERT INTO event_dedupe (site_id, day, hash)
          SELECT c.site_id, p_today, c.hash
            FROM unnest(p_dsite, p_dhash) AS c(site_id, hash)
            LEFT JOIN LATERAL (
                 SELECT true AS seen FROM event_dedupe d
                  WHERE d.site_id = c.site_id AND d.hash = c.hash AND d.day >= p_today - p_days_back
                  LIMIT 1) s ON true
           WHERE s.seen IS NULL
          ON CONFLICT DO NOTHING RETURNING site_id, hash)
        SELECT coalesce(json_agg(json_build_array(site_id, hash::text)), '[]') INTO fresh FROM ins;
        IF json_array_length(fresh) = 0 THEN
          RETURN json_build_object('fresh', fresh, 'identities', '[]'::json, 'visitors', '[]'::json);
        END IF;
        SELECT coalesce(json_agg(json_build_array(k.site_id, k.kind, k.value, i.visitor_id)), '[]') INTO idents
          FROM unnest(p_ksite, p_kkind, p_kvalue) AS k(site_id, kind, value)
          CROSS JOIN LATERAL (
               SELECT i.visitor_id FROM visitor_identities i
                WHERE i.site_id = k.site_id AND i.kind = k.kind AND i.value = k.value
                LIMIT 1) i;
        SELECT coalesce(json_agg(row_to_json(v)), '[]') INTO vis FROM (
          SELECT v.*
            FROM (SELECT DISTINCT (e->>0)::uuid AS site_id, (e->>3)::uuid AS id
                    FROM json_array_elements(idents) e ORDER BY 1, 2) k
            CROSS JOIN LATERAL (
                 SELECT * FROM visitors v WHERE v.site_id = k.site_id AND v.id = k.id LIMIT 1 FOR UPDATE) v) v;
        RETURN json_build_object('fresh', fresh, 'identities', idents, 'visitors', vis);
      END $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION nf_ingest_prepare_probe(text[], boolean[], text[], uuid[], bigint[], date, integer, uuid[], text[], text[])`,
    );
  }
}
