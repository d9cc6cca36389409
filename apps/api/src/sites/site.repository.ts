import { queryRows } from '../database/sql';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '../common/roles';

export interface SiteRow {
  id: string;
  account_id: string;
  name: string;
  domain: string;
  timezone: string;
  retention_days: number;
  created_at: Date;
}

export interface SiteAccessRow {
  site_id: string;
  account_id: string;
  role: Role;
}

const SITE_COLUMNS = `s.id, s.account_id, s.name, s.domain, s.timezone, s.retention_days, s.created_at`;

/** Every method takes the site id first and filters by it, so each query routes to one shard. */
@Injectable()
export class SiteRepository {
  constructor(private readonly db: DataSource) {}

  async access(siteId: string, userId: string): Promise<SiteAccessRow | undefined> {
    const rows: SiteAccessRow[] = await queryRows(
      this.db,
      `SELECT s.id AS site_id, s.account_id, m.role
         FROM sites s JOIN memberships m ON m.account_id = s.account_id AND m.user_id = $2
        WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [siteId, userId],
    );
    return rows[0];
  }

  async get(siteId: string): Promise<SiteRow | undefined> {
    const rows: SiteRow[] = await queryRows(
      this.db,
      `SELECT ${SITE_COLUMNS} FROM sites s WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [siteId],
    );
    return rows[0];
  }

  /** Lists a marketer's sites; the only query that spans sites, bounded by their accounts. */
  async listForUser(userId: string): Promise<(SiteRow & { role: Role })[]> {
    return queryRows(
      this.db,
      `SELECT ${SITE_COLUMNS}, m.role
         FROM memberships m JOIN sites s ON s.account_id = m.account_id
        WHERE m.user_id = $1 AND s.deleted_at IS NULL
        ORDER BY s.created_at`,
      [userId],
    );
  }

  async create(input: {
    accountId: string;
    name: string;
    domain: string;
    timezone: string;
  }): Promise<SiteRow> {
    const [row]: SiteRow[] = await queryRows(
      this.db,
      `INSERT INTO sites (account_id, name, domain, timezone) VALUES ($1, $2, $3, $4)
       RETURNING id, account_id, name, domain, timezone, retention_days, created_at`,
      [input.accountId, input.name, input.domain, input.timezone],
    );
    return row;
  }

  async update(
    siteId: string,
    patch: Partial<{ name: string; domain: string; timezone: string; retentionDays: number }>,
  ): Promise<SiteRow | undefined> {
    const rows: SiteRow[] = await queryRows(
      this.db,
      `UPDATE sites s SET
          name = COALESCE($2, s.name),
          domain = COALESCE($3, s.domain),
          timezone = COALESCE($4, s.timezone),
          retention_days = COALESCE($5, s.retention_days)
        WHERE s.id = $1 AND s.deleted_at IS NULL
        RETURNING ${SITE_COLUMNS}`,
      [siteId, patch.name ?? null, patch.domain ?? null, patch.timezone ?? null, patch.retentionDays ?? null],
    );
    return rows[0];
  }

  async softDelete(siteId: string): Promise<void> {
    await queryRows(this.db, `UPDATE sites SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, [
      siteId,
    ]);
  }
}
