import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { VariantStatRow } from '../ingest/ingested-events.repository';
import { queryRows } from '../database/sql';
import type { CtaConfig } from './cta.schemas';

export type CtaStatus = 'draft' | 'published' | 'archived';

export interface CtaRow {
  site_id: string;
  id: string;
  name: string;
  status: CtaStatus;
  revision: number;
  draft: CtaConfig;
  published_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface PublishedRow {
  id: string;
  version: number;
  config: CtaConfig;
}

export type { VariantStatRow };

const COLUMNS = `site_id, id, name, status, revision, draft, published_version, created_at, updated_at`;

/** Every CTA query; each one filters by site_id first. */
@Injectable()
export class CtaRepository {
  constructor(private readonly db: DataSource) {}

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async list(siteId: string): Promise<CtaRow[]> {
    return queryRows<CtaRow>(
      this.db,
      `SELECT ${COLUMNS} FROM ctas WHERE site_id = $1 AND status <> 'archived' ORDER BY created_at, id`,
      [siteId],
    );
  }

  async get(
    siteId: string,
    id: string,
    tx: DataSource | EntityManager = this.db,
    lock = false,
  ): Promise<CtaRow | undefined> {
    const rows = await queryRows<CtaRow>(
      tx,
      `SELECT ${COLUMNS} FROM ctas WHERE site_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [siteId, id],
    );
    return rows[0];
  }

  /** Undefined when the id is taken. */
  async insert(siteId: string, id: string, name: string, draft: CtaConfig): Promise<CtaRow | undefined> {
    const rows = await queryRows<CtaRow>(
      this.db,
      `INSERT INTO ctas (site_id, id, name, draft) VALUES ($1, $2, $3, $4)
       ON CONFLICT (site_id, id) DO NOTHING RETURNING ${COLUMNS}`,
      [siteId, id, name, JSON.stringify(draft)],
    );
    return rows[0];
  }

  /** Undefined when the revision moved on (someone else saved). */
  async update(
    siteId: string,
    id: string,
    revision: number,
    patch: { name?: string; draft?: CtaConfig },
  ): Promise<CtaRow | undefined> {
    const rows = await queryRows<CtaRow>(
      this.db,
      `UPDATE ctas SET name = coalesce($4, name), draft = coalesce($5::jsonb, draft),
              revision = revision + 1, updated_at = now()
        WHERE site_id = $1 AND id = $2 AND revision = $3 AND status <> 'archived' RETURNING ${COLUMNS}`,
      [siteId, id, revision, patch.name ?? null, patch.draft ? JSON.stringify(patch.draft) : null],
    );
    return rows[0];
  }

  async insertVersion(tx: EntityManager, siteId: string, id: string, config: CtaConfig): Promise<number> {
    const rows = await queryRows<{ version: number }>(
      tx,
      `INSERT INTO cta_versions (site_id, cta_id, version, config)
       SELECT $1, $2, coalesce(max(version), 0) + 1, $3 FROM cta_versions WHERE site_id = $1 AND cta_id = $2
       RETURNING version`,
      [siteId, id, JSON.stringify(config)],
    );
    return rows[0].version;
  }

  async setStatus(
    siteId: string,
    id: string,
    status: CtaStatus,
    publishedVersion?: number,
    tx: DataSource | EntityManager = this.db,
  ): Promise<CtaRow | undefined> {
    const rows = await queryRows<CtaRow>(
      tx,
      `UPDATE ctas SET status = $3, published_version = coalesce($4, published_version), updated_at = now()
        WHERE site_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [siteId, id, status, publishedVersion ?? null],
    );
    return rows[0];
  }

  async delete(siteId: string, id: string): Promise<boolean> {
    const rows = await queryRows(this.db, `DELETE FROM ctas WHERE site_id = $1 AND id = $2 RETURNING 1`, [
      siteId,
      id,
    ]);
    return rows.length > 0;
  }

  /** What the decision API serves: the published version of every published CTA of the site. */
  async published(siteId: string): Promise<PublishedRow[]> {
    return queryRows<PublishedRow>(
      this.db,
      `SELECT c.id, v.version, v.config FROM ctas c
         JOIN cta_versions v ON v.site_id = c.site_id AND v.cta_id = c.id AND v.version = c.published_version
        WHERE c.site_id = $1 AND c.status = 'published'`,
      [siteId],
    );
  }

  /** The caps of the site's CTAs with these ids: the published version's, else the draft's (backtest). */
  async caps(siteId: string, ctaIds: string[]): Promise<{ id: string; caps: unknown }[]> {
    if (!ctaIds.length) return [];
    return queryRows(
      this.db,
      `SELECT c.id, coalesce(v.config, c.draft) -> 'caps' AS caps
         FROM ctas c LEFT JOIN cta_versions v
           ON v.site_id = c.site_id AND v.cta_id = c.id AND v.version = c.published_version
        WHERE c.site_id = $1 AND c.id = ANY($2::text[])`,
      [siteId, ctaIds],
    );
  }
}
