import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * On-site CTAs: a mutable draft per CTA (optimistic concurrency on `revision`) and immutable published
 * versions (the decision API serves the latest one). Flows refer to CTAs by `(site_id, id)` (text, so
 * flows as code may use readable ids). A partial index lets decide read a visitor's CTA events
 * (caps, stickiness, conversions) without walking their page views.
 */
export class Onsite1764300500000 implements MigrationInterface {
  name = 'Onsite1764300500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ctas (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
        revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
        draft jsonb NOT NULL,
        published_version integer CHECK (published_version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        CONSTRAINT ctas_published_has_version CHECK (status <> 'published' OR published_version IS NOT NULL)
      )`);
    await distributedTable(q, 'ctas');

    await q.query(`
      CREATE TABLE cta_versions (
        site_id uuid NOT NULL,
        cta_id text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        config jsonb NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, cta_id, version),
        FOREIGN KEY (site_id, cta_id) REFERENCES ctas (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'cta_versions');

    await q.query(`
      CREATE INDEX events_cta_idx ON events (site_id, visitor_id, ts)
        WHERE type = 'track' AND name IN ('cta_viewed', 'cta_clicked', 'cta_closed', 'cta_converted', 'form_submitted')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_cta_idx`);
    await q.query(`DROP TABLE IF EXISTS cta_versions`);
    await q.query(`DROP TABLE IF EXISTS ctas`);
  }
}
