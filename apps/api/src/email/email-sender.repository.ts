import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface EmailSenderRow {
  site_id: string;
  id: string;
  name: string;
  from_name: string;
  from_address: string;
  reply_to: string | null;
  created_at: Date;
}

@Injectable()
export class EmailSenderRepository {
  constructor(private readonly db: DataSource) {}

  async insert(
    siteId: string,
    s: { name: string; fromName: string; fromAddress: string; replyTo: string | null },
  ): Promise<EmailSenderRow> {
    const [row] = await queryRows<EmailSenderRow>(
      this.db,
      `INSERT INTO email_senders (site_id, name, from_name, from_address, reply_to)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [siteId, s.name, s.fromName, s.fromAddress, s.replyTo],
    );
    return row;
  }

  async list(siteId: string): Promise<EmailSenderRow[]> {
    return queryRows(this.db, `SELECT * FROM email_senders WHERE site_id = $1 ORDER BY created_at`, [siteId]);
  }

  async get(siteId: string, id: string): Promise<EmailSenderRow | undefined> {
    const rows = await queryRows<EmailSenderRow>(
      this.db,
      `SELECT * FROM email_senders WHERE site_id = $1 AND id = $2`,
      [siteId, id],
    );
    return rows[0];
  }

  async delete(siteId: string, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `DELETE FROM email_senders WHERE site_id = $1 AND id = $2 RETURNING id`,
      [siteId, id],
    );
    return rows.length > 0;
  }
}
