import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ingest without one writer per site: `nf_ingest_prepare_keyed` is `nf_ingest_prepare` (same dedupe
 * window, identity and visitor loads) with a lock mode per site. A group whose events only touch
 * their own identities takes the site's lock SHARED plus one exclusive lock per identity key it
 * references, so groups of one site with different visitors commit in parallel; a group that merges
 * visitors (identify/alias joining two profiles) takes the site's lock EXCLUSIVE, as every group did
 * before. Same site lock ids as before (seed 7401), so a process still calling `nf_ingest_prepare`
 * (rolling deploy) excludes the new ones and is excluded by them. Key locks use seed 7402 and are
 * taken in hash order after every site lock: no lock cycle between groups.
 *
 * Its statements are planned per call with the call's arrays and dates (`force_custom_plan`): plpgsql
 * otherwise keeps a generic plan chosen while the tables were small, and one chose a hash join over a
 * sequential scan of `visitor_identities` that every later call of that connection repeated (the
 * top of PostgreSQL's profile under single-event load); the date also prunes the dedupe partitions.
 */
export class IngestKeyLocks1764300100200 implements MigrationInterface {
  name = 'IngestKeyLocks1764300100200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION nf_ingest_prepare_keyed(
        p_sites text[], p_exclusive boolean[], p_keys text[],
        p_dsite uuid[], p_dhash bigint[], p_today date, p_days_back integer,
        p_ksite uuid[], p_kkind text[], p_kvalue text[])
      RETURNS json LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$
      DECLARE fresh json; idents json; vis json;
      BEGIN
        PERFORM CASE WHEN x THEN pg_advisory_xact_lock(hashtextextended(s, 7401))
                     ELSE pg_advisory_xact_lock_shared(hashtextextended(s, 7401)) END
           FROM unnest(p_sites, p_exclusive) WITH ORDINALITY AS t(s, x, n) ORDER BY n;
        PERFORM pg_advisory_xact_lock(h)
           FROM (SELECT DISTINCT hashtextextended(k, 7402) AS h FROM unnest(p_keys) k ORDER BY 1) l;
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
    // A merge re-points every identity of the merged profile (found by this index), not only its
    // anonymous ids: a user id aliased into a profile that is merged later followed it nowhere, and
    // a second merge through it counted the profile twice. Identities left on merged profiles by
    // that follow the profile they went into (merges are one level deep).
    await q.query(`CREATE INDEX visitor_identities_visitor_idx ON visitor_identities (site_id, visitor_id)`);
    await q.query(`
      UPDATE visitor_identities i SET visitor_id = v.merged_into
        FROM visitors v
       WHERE v.site_id = i.site_id AND v.id = i.visitor_id AND v.merged_into IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX visitor_identities_visitor_idx`);
    await q.query(
      `DROP FUNCTION nf_ingest_prepare_keyed(text[], boolean[], text[], uuid[], bigint[], date, integer, uuid[], text[], text[])`,
    );
  }
}
