import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface SmsProviderRow {
  site_id: string;
  base_url: string;
  account_sid: string;
  /** `SecretBox.seal` of the auth token: never shown, opened only to send. */
  auth_token_sealed: string;
  from_number: string;
  created_at: Date;
  updated_at: Date;
}

export interface SmsProviderWrite {
  baseUrl: string;
  accountSid: string;
  fromNumber: string;
}

/** One SMS provider account per site (`sms_providers`, keyed by site). */
@Injectable()
export class SmsProviderRepository {
  constructor(private readonly db: DataSource) {}

  async get(siteId: string): Promise<SmsProviderRow | undefined> {
    const rows = await queryRows<SmsProviderRow>(this.db, `SELECT * FROM sms_providers WHERE site_id = $1`, [
      siteId,
    ]);
    return rows[0];
  }

  /** Creates or replaces the site's provider, with a new sealed token. */
  async upsert(siteId: string, p: SmsProviderWrite, tokenSealed: string, at: Date): Promise<SmsProviderRow> {
    const [row] = await queryRows<SmsProviderRow>(
      this.db,
      `INSERT INTO sms_providers (site_id, base_url, account_sid, auth_token_sealed, from_number,
                                  created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (site_id) DO UPDATE
          SET base_url = EXCLUDED.base_url, account_sid = EXCLUDED.account_sid,
              auth_token_sealed = EXCLUDED.auth_token_sealed, from_number = EXCLUDED.from_number,
              updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [siteId, p.baseUrl, p.accountSid, tokenSealed, p.fromNumber, at],
    );
    return row;
  }

  /** Changes the provider but keeps its token; undefined when the site has none. */
  async update(siteId: string, p: SmsProviderWrite, at: Date): Promise<SmsProviderRow | undefined> {
    const rows = await queryRows<SmsProviderRow>(
      this.db,
      `UPDATE sms_providers SET base_url = $2, account_sid = $3, from_number = $4, updated_at = $5
        WHERE site_id = $1 RETURNING *`,
      [siteId, p.baseUrl, p.accountSid, p.fromNumber, at],
    );
    return rows[0];
  }

  async delete(siteId: string): Promise<boolean> {
    const rows = await queryRows(this.db, `DELETE FROM sms_providers WHERE site_id = $1 RETURNING site_id`, [
      siteId,
    ]);
    return rows.length > 0;
  }
}
