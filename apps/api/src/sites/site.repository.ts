import { Queryable, queryRows } from '../database/sql';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { membershipJoin } from '../auth/membership.sql';
import type { SiteAccessRow } from '../auth/site-directory';
import { Role } from '../common/roles';

export interface SiteRow {
  id: string;
  account_id: string;
  name: string;
  domain: string;
  timezone: string;
  retention_days: number;
  identity_verification: boolean;
  created_at: Date;
}

/** The site's identity verification, secrets sealed. */
export interface SiteIdentityRow {
  identity_verification: boolean;
  identity_secret: string | null;
  identity_secret_previous: string | null;
  identity_secret_previous_until: Date | null;
}

const IDENTITY_COLUMNS = `identity_verification, identity_secret, identity_secret_previous, identity_secret_previous_until`;

export type { SiteAccessRow };

const SITE_COLUMNS = `s.id, s.account_id, s.name, s.domain, s.timezone, s.retention_days, s.identity_verification, s.created_at`;

/** Every method takes the site id first and filters by it, so each query routes to one shard. */
@Injectable()
export class SiteRepository {
  constructor(private readonly db: DataSource) {}

  async access(siteId: string, userId: string): Promise<SiteAccessRow | undefined> {
    const rows: SiteAccessRow[] = await queryRows(
      this.db,
      `SELECT s.id AS site_id, s.account_id, m.role
         FROM sites s ${membershipJoin('s.account_id', '$2')}
        WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [siteId, userId],
    );
    return rows[0];
  }

  /** The site's timezone (the runtime's waits and quiet hours); deleted sites too. */
  async timezone(siteId: string): Promise<string | undefined> {
    const rows = await queryRows<{ timezone: string }>(this.db, `SELECT timezone FROM sites WHERE id = $1`, [
      siteId,
    ]);
    return rows[0]?.timezone;
  }

  async get(siteId: string): Promise<SiteRow | undefined> {
    const rows: SiteRow[] = await queryRows(
      this.db,
      `SELECT ${SITE_COLUMNS} FROM sites s WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [siteId],
    );
    return rows[0];
  }

  /**
   * Lists a marketer's sites without touching every shard: the site ids come from `account_sites`
   * and auth's `memberships` (reference tables, on every node), then each site is read from its own shard.
   */
  async listForUser(userId: string): Promise<(SiteRow & { role: Role })[]> {
    const access: SiteAccessRow[] = await queryRows(
      this.db,
      `SELECT a.site_id, a.account_id, m.role
         FROM account_sites a ${membershipJoin('a.account_id', '$1')}`,
      [userId],
    );
    const sites = await Promise.all(
      access.map(async ({ site_id, role }) => {
        const site = await this.get(site_id);
        return site && { ...site, role };
      }),
    );
    return sites
      .filter((s): s is SiteRow & { role: Role } => s !== undefined)
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  }

  async create(input: {
    accountId: string;
    name: string;
    domain: string;
    timezone: string;
    identityVerification: boolean;
  }): Promise<SiteRow> {
    return this.db.transaction(async (tx) => {
      const [row]: SiteRow[] = await queryRows(
        tx,
        `INSERT INTO sites (account_id, name, domain, timezone, identity_verification) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, account_id, name, domain, timezone, retention_days, identity_verification, created_at`,
        [input.accountId, input.name, input.domain, input.timezone, input.identityVerification],
      );
      await listSite(tx, row);
      return row;
    });
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

  async identity(siteId: string): Promise<SiteIdentityRow | undefined> {
    const rows: SiteIdentityRow[] = await queryRows(
      this.db,
      `SELECT ${IDENTITY_COLUMNS} FROM sites WHERE id = $1 AND deleted_at IS NULL`,
      [siteId],
    );
    return rows[0];
  }

  async setIdentityVerification(siteId: string, on: boolean): Promise<SiteIdentityRow | undefined> {
    const rows: SiteIdentityRow[] = await queryRows(
      this.db,
      `UPDATE sites SET identity_verification = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING ${IDENTITY_COLUMNS}`,
      [siteId, on],
    );
    return rows[0];
  }

  /** The first secret; a concurrent caller that set one first wins (the row is then read back). */
  async initIdentitySecret(siteId: string, sealed: string): Promise<SiteIdentityRow | undefined> {
    await queryRows(
      this.db,
      `UPDATE sites SET identity_secret = $2 WHERE id = $1 AND deleted_at IS NULL AND identity_secret IS NULL`,
      [siteId, sealed],
    );
    return this.identity(siteId);
  }

  /** A new current secret; the old one stays valid until `previousUntil`. */
  async rotateIdentitySecret(
    siteId: string,
    sealed: string,
    previousUntil: Date,
  ): Promise<SiteIdentityRow | undefined> {
    const rows: SiteIdentityRow[] = await queryRows(
      this.db,
      `UPDATE sites SET identity_secret_previous = identity_secret, identity_secret_previous_until = $3,
              identity_secret = $2
        WHERE id = $1 AND deleted_at IS NULL RETURNING ${IDENTITY_COLUMNS}`,
      [siteId, sealed, previousUntil],
    );
    return rows[0];
  }

  async softDelete(siteId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await queryRows(tx, `UPDATE sites SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL`, [
        siteId,
        new Date(),
      ]);
      await queryRows(tx, `DELETE FROM account_sites WHERE site_id = $1`, [siteId]);
    });
  }
}

/** A site's row in `account_sites`, written in the transaction that creates the site (the seed's too). */
export async function listSite(db: Queryable, site: { id: string; account_id: string; created_at: Date }) {
  await queryRows(
    db,
    `INSERT INTO account_sites (account_id, site_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [site.account_id, site.id, site.created_at],
  );
}
