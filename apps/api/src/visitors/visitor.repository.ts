import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface VisitorListRow {
  id: string;
  anonymous_ids: string[];
  user_id: string | null;
  traits: Record<string, unknown>;
  tags: string[];
  first_seen_at: Date;
  last_seen_at: Date;
  session_count: number;
  visit_count: number;
  event_count: number;
  last_page_url: string | null;
  utm: Record<string, unknown>;
  referrer: string | null;
  device: Record<string, unknown>;
  country: string | null;
  is_bot: boolean;
  merged_into: string | null;
}

export interface TimelineRow {
  id: string;
  ts: Date;
  received_at: Date;
  message_id: string;
  type: string;
  name: string;
  visitor_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown> | null;
  is_bot: boolean;
}

const COLUMNS = `id, anonymous_ids, user_id, traits, tags, first_seen_at, last_seen_at, session_count, visit_count,
  event_count, last_page_url, utm, referrer, device, country, is_bot, merged_into`;

@Injectable()
export class VisitorRepository {
  constructor(private readonly db: DataSource) {}

  /** Newest first, keyset-paged on (last_seen_at, id); merged profiles are hidden (their target shows). */
  async list(
    siteId: string,
    opts: { search?: string; limit: number; after?: { lastSeenAt: string; id: string } },
  ): Promise<VisitorListRow[]> {
    const params: unknown[] = [siteId, opts.limit];
    let where = `site_id = $1 AND merged_into IS NULL`;
    if (opts.after) {
      params.push(opts.after.lastSeenAt, opts.after.id);
      where += ` AND (last_seen_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    if (opts.search) {
      params.push(opts.search, `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const exact = `$${params.length - 1}`;
      const like = `$${params.length}`;
      where += ` AND (user_id ILIKE ${like} OR ${exact} = ANY(anonymous_ids) OR traits->>'email' ILIKE ${like}
                 OR traits->>'name' ILIKE ${like} OR id::text = ${exact})`;
    }
    return queryRows(
      this.db,
      `SELECT ${COLUMNS} FROM visitors WHERE ${where} ORDER BY last_seen_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  async get(siteId: string, visitorId: string): Promise<VisitorListRow | undefined> {
    const rows = await queryRows<VisitorListRow>(
      this.db,
      `SELECT ${COLUMNS} FROM visitors WHERE site_id = $1 AND id = $2`,
      [siteId, visitorId],
    );
    return rows[0];
  }

  /** Visitors folded into this one (their events belong to its timeline). */
  async mergedInto(siteId: string, visitorId: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `SELECT id FROM visitors WHERE site_id = $1 AND merged_into = $2`,
      [siteId, visitorId],
    );
    return rows.map((r) => r.id);
  }

  async timeline(
    siteId: string,
    visitorIds: string[],
    opts: { limit: number; before?: { ts: string; id: string } },
  ): Promise<TimelineRow[]> {
    const params: unknown[] = [siteId, visitorIds, opts.limit];
    let where = `site_id = $1 AND visitor_id = ANY($2::uuid[])`;
    if (opts.before) {
      params.push(opts.before.ts, opts.before.id);
      where += ` AND (ts, id) < ($4::timestamptz, $5::bigint)`;
    }
    return queryRows(
      this.db,
      `SELECT id::text AS id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
              properties, traits, context, is_bot
         FROM events WHERE ${where} ORDER BY ts DESC, id DESC LIMIT $3`,
      params,
    );
  }
}
