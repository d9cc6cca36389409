import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ingest fast path: `nf_ingest_prepare` does, in ONE round trip, what a group commit used to do in
 * four statements before resolving visitors: take the per-site advisory locks (same keys as before),
 * insert the dedupe hashes that are new in the window, and load the identities and (locked) visitor
 * rows the events reference. Each statement inside a plpgsql function takes a fresh snapshot, so the
 * loads run after the locks are held and see every commit that released them.
 */
export class IngestFastPath1764300100100 implements MigrationInterface {
  name = 'IngestFastPath1764300100100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION nf_ingest_prepare(
        p_sites text[], p_dsite uuid[], p_dhash bigint[], p_today date, p_days_back integer,
        p_ksite uuid[], p_kkind text[], p_kvalue text[])
      RETURNS json LANGUAGE plpgsql AS $fn$
      DECLARE fresh json; idents json; vis json;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(s, 7401)) FROM unnest(p_sites) WITH ORDINALITY AS t(s, n)
          ORDER BY n;
        WITH ins AS (
          INSERT INTO event_dedupe (site_id, day, hash)
          SELECT c.site_id, p_today, c.hash FROM unnest(p_dsite, p_dhash) AS c(site_id, hash)
           WHERE NOT EXISTS (SELECT 1 FROM event_dedupe d
                              WHERE d.site_id = c.site_id AND d.hash = c.hash AND d.day >= p_today - p_days_back)
          ON CONFLICT DO NOTHING RETURNING site_id, hash)
        SELECT coalesce(json_agg(json_build_array(site_id, hash::text)), '[]') INTO fresh FROM ins;
        IF json_array_length(fresh) = 0 THEN
          RETURN json_build_object('fresh', fresh, 'identities', '[]'::json, 'visitors', '[]'::json);
        END IF;
        SELECT coalesce(json_agg(json_build_array(i.site_id, i.kind, i.value, i.visitor_id)), '[]') INTO idents
          FROM visitor_identities i
          JOIN unnest(p_ksite, p_kkind, p_kvalue) AS k(site_id, kind, value)
            ON i.site_id = k.site_id AND i.kind = k.kind AND i.value = k.value;
        SELECT coalesce(json_agg(row_to_json(v)), '[]') INTO vis FROM (
          SELECT v.* FROM visitors v
           WHERE (v.site_id, v.id) IN (
                  SELECT (e->>0)::uuid, (e->>3)::uuid FROM json_array_elements(idents) e)
           ORDER BY v.site_id, v.id FOR UPDATE OF v) v;
        RETURN json_build_object('fresh', fresh, 'identities', idents, 'visitors', vis);
      END $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION nf_ingest_prepare(text[], uuid[], bigint[], date, integer, uuid[], text[], text[])`,
    );
  }
}
