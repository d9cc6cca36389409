import { queryRows } from '../database/sql';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import type { KeyKind } from './key-token';

export type { KeyKind };

export interface SiteKeyRow {
  site_id: string;
  id: string;
  kind: KeyKind;
  name: string;
  public_token: string | null;
  last4: string;
  created_at: Date;
  revoked_at: Date | null;
}

const KEY_COLUMNS = `site_id, id, kind, name, public_token, last4, created_at, revoked_at`;

@Injectable()
export class SiteKeyRepository {
  constructor(private readonly db: DataSource) {}

  async list(siteId: string): Promise<SiteKeyRow[]> {
    return queryRows(this.db, `SELECT ${KEY_COLUMNS} FROM site_keys WHERE site_id = $1 ORDER BY created_at`, [
      siteId,
    ]);
  }

  async get(siteId: string, keyId: string): Promise<SiteKeyRow | undefined> {
    const rows: SiteKeyRow[] = await queryRows(
      this.db,
      `SELECT ${KEY_COLUMNS} FROM site_keys WHERE site_id = $1 AND id = $2`,
      [siteId, keyId],
    );
    return rows[0];
  }

  async insert(
    siteId: string,
    key: { kind: KeyKind; name: string; tokenHash: Buffer; publicToken: string | null; last4: string },
  ): Promise<SiteKeyRow> {
    const [row]: SiteKeyRow[] = await queryRows(
      this.db,
      `INSERT INTO site_keys (site_id, kind, name, token_hash, public_token, last4)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${KEY_COLUMNS}`,
      [siteId, key.kind, key.name, key.tokenHash, key.publicToken, key.last4],
    );
    return row;
  }

  async revoke(siteId: string, keyId: string): Promise<SiteKeyRow | undefined> {
    const rows: SiteKeyRow[] = await queryRows(
      this.db,
      `UPDATE site_keys SET revoked_at = COALESCE(revoked_at, $3)
        WHERE site_id = $1 AND id = $2 RETURNING ${KEY_COLUMNS}`,
      [siteId, keyId, new Date()],
    );
    return rows[0];
  }

  /** The key, with its site's identity-verification settings (secrets still sealed). */
  async findActiveByHash(siteId: string, tokenHash: Buffer): Promise<ActiveKeyRow | undefined> {
    const rows: ActiveKeyRow[] = await queryRows(
      this.db,
      `SELECT k.id, k.kind, s.identity_verification, s.identity_secret, s.identity_secret_previous,
              s.identity_secret_previous_until
         FROM site_keys k JOIN sites s ON s.id = k.site_id
        WHERE k.site_id = $1 AND k.token_hash = $2 AND k.revoked_at IS NULL AND s.deleted_at IS NULL`,
      [siteId, tokenHash],
    );
    return rows[0];
  }
}

export interface ActiveKeyRow {
  id: string;
  kind: KeyKind;
  identity_verification: boolean;
  identity_secret: string | null;
  identity_secret_previous: string | null;
  identity_secret_previous_until: Date | null;
}
