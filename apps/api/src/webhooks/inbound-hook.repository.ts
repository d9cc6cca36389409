import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface InboundHookRow {
  site_id: string;
  id: string;
  name: string;
  token_hash: Buffer;
  last4: string;
  event_path: string;
  visitor_path: string;
  default_event: string | null;
  secret_enc: string | null;
  enabled: boolean;
  created_at: Date;
}

@Injectable()
export class InboundHookRepository {
  constructor(private readonly db: DataSource) {}

  async insert(
    siteId: string,
    h: {
      name: string;
      tokenHash: Buffer;
      last4: string;
      eventPath: string;
      visitorPath: string;
      defaultEvent: string | null;
      secretEnc: string | null;
    },
  ): Promise<InboundHookRow> {
    const [row] = await queryRows<InboundHookRow>(
      this.db,
      `INSERT INTO inbound_hooks (site_id, name, token_hash, last4, event_path, visitor_path, default_event, secret_enc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [siteId, h.name, h.tokenHash, h.last4, h.eventPath, h.visitorPath, h.defaultEvent, h.secretEnc],
    );
    return row;
  }

  async list(siteId: string): Promise<InboundHookRow[]> {
    return queryRows(this.db, `SELECT * FROM inbound_hooks WHERE site_id = $1 ORDER BY created_at`, [siteId]);
  }

  async findByToken(siteId: string, tokenHash: Buffer): Promise<InboundHookRow | undefined> {
    const rows = await queryRows<InboundHookRow>(
      this.db,
      `SELECT * FROM inbound_hooks WHERE site_id = $1 AND token_hash = $2 AND enabled`,
      [siteId, tokenHash],
    );
    return rows[0];
  }

  async delete(siteId: string, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `DELETE FROM inbound_hooks WHERE site_id = $1 AND id = $2 RETURNING id`,
      [siteId, id],
    );
    return rows.length > 0;
  }

  /** Records a webhook-id once per hook; false when it was already received (a duplicate). */
  async receive(siteId: string, hookId: string, webhookId: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `INSERT INTO inbound_hook_receipts (site_id, hook_id, webhook_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING webhook_id`,
      [siteId, hookId, webhookId],
    );
    return rows.length > 0;
  }

  async forget(siteId: string, hookId: string, webhookId: string): Promise<void> {
    await queryRows(
      this.db,
      `DELETE FROM inbound_hook_receipts WHERE site_id = $1 AND hook_id = $2 AND webhook_id = $3`,
      [siteId, hookId, webhookId],
    );
  }
}
