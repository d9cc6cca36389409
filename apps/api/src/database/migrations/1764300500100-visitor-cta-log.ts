import { MigrationInterface, QueryRunner } from 'typeorm';
import { hasCitus } from '../citus';

/**
 * Each visitor's recent CTA interactions on their own row (`visitors.cta_log`: `[name, ctaId, variantId,
 * epoch ms]`, oldest first, at most 500 entries of the last 90 days), kept by ingestion in the same
 * write as the events. `/v1/decide` reads the visitor row it already loads instead of walking the
 * visitor's events across every daily partition of the window (30–90 index probes a request, most of
 * them cold at 100,000 visitors). `nf_rebuild_cta_log(site)` rebuilds the logs from raw events (this
 * migration's backfill; a site, or every site with NULL).
 *
 * On Citus a `LANGUAGE sql` function with parameters cannot be planned, so there the function is not
 * created and the backfill runs the same statement once per site (each one router-planned to the
 * site's shard).
 */
export class VisitorCtaLog1764300500100 implements MigrationInterface {
  name = 'VisitorCtaLog1764300500100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE visitors ADD COLUMN cta_log jsonb NOT NULL DEFAULT '[]'`);
    if (await hasCitus(q)) {
      const sites: { id: string }[] = await q.query(`SELECT id FROM sites`);
      for (const { id } of sites) await q.query(rebuild(`e.site_id = $1`, `AND v.site_id = $1`), [id]);
      return;
    }
    await q.query(`
      CREATE FUNCTION nf_rebuild_cta_log(p_site uuid) RETURNS bigint LANGUAGE sql AS $fn$${rebuild(`(p_site IS NULL OR e.site_id = p_site)`, '')}$fn$`);
    await q.query(`SELECT nf_rebuild_cta_log(NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS nf_rebuild_cta_log(uuid)`);
    await q.query(`ALTER TABLE visitors DROP COLUMN cta_log`);
  }
}

const rebuild = (sites: string, visitorSite: string): string => `
        WITH ranked AS (
          SELECT e.site_id, e.visitor_id, e.name, e.properties->>'cta_id' AS cta_id,
                 e.properties->>'variant_id' AS variant_id, floor(extract(epoch FROM e.ts) * 1000)::bigint AS ms,
                 row_number() OVER (PARTITION BY e.site_id, e.visitor_id ORDER BY e.ts DESC, e.id DESC) AS rn
            FROM events e
           WHERE ${sites} AND e.ts > now() - interval '90 days'
             AND e.type = 'track'
             AND e.name IN ('cta_viewed', 'cta_clicked', 'cta_closed', 'cta_converted', 'form_submitted')
             AND jsonb_typeof(e.properties->'cta_id') = 'string'),
        logs AS (
          SELECT site_id, visitor_id,
                 jsonb_agg(jsonb_build_array(name, cta_id, variant_id, ms) ORDER BY ms, rn DESC) AS log
            FROM ranked WHERE rn <= 500 GROUP BY site_id, visitor_id),
        upd AS (
          UPDATE visitors v SET cta_log = l.log
            FROM logs l WHERE v.site_id = l.site_id AND v.id = l.visitor_id ${visitorSite}
          RETURNING 1)
        SELECT count(*) FROM upd
      `;
