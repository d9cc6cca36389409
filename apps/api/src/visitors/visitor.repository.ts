import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import type { VisitorUpdate } from './visitor-updates';

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

/** A visitor as a replay reads it (the engine's snapshot columns and the bot flag). */
export interface VisitorSnapshotRow {
  id: string;
  anonymous_ids: string[];
  user_id: string | null;
  traits: Record<string, unknown>;
  tags: string[];
  visit_count: number;
  first_seen_at: Date;
  device: Record<string, unknown>;
  utm: Record<string, string>;
  last_page_url: string | null;
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

  /** These visitors as a replay reads them (backtest); missing ones are left out. */
  async snapshots(siteId: string, ids: string[]): Promise<VisitorSnapshotRow[]> {
    return queryRows(
      this.db,
      `SELECT id, anonymous_ids, user_id, traits, tags, visit_count, first_seen_at, device, utm, last_page_url,
              coalesce(is_bot, false) AS is_bot
         FROM visitors WHERE site_id = $1 AND id = ANY($2::uuid[])`,
      [siteId, ids],
    );
  }

  /** The anonymous ids of a visitor (live push finds the connections a flow message is for). */
  async anonymousIds(siteId: string, visitorId: string): Promise<string[]> {
    const rows = await queryRows<{ anonymous_ids: string[] }>(
      this.db,
      `SELECT anonymous_ids FROM visitors WHERE site_id = $1 AND id = $2`,
      [siteId, visitorId],
    );
    return rows[0]?.anonymous_ids ?? [];
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

  /**
   * Several visitors' updates in one statement (one composed update per visitor, in visitor id order
   * so concurrent batches lock rows in the same order). Returns the ids of the visitors that exist.
   */
  async applyUpdates(
    tx: EntityManager,
    siteId: string,
    updates: { visitorId: string; update: VisitorUpdate }[],
  ): Promise<Set<string>> {
    if (!updates.length) return new Set();
    const sorted = [...updates].sort((a, b) =>
      a.visitorId < b.visitorId ? -1 : a.visitorId > b.visitorId ? 1 : 0,
    );
    const rows = await queryRows<{ id: string }>(
      tx,
      `UPDATE visitors v SET
          traits = (v.traits || u.set_traits) - u.unset_traits,
          tags = ARRAY(SELECT DISTINCT t FROM unnest(array_cat(
                   ARRAY(SELECT x FROM unnest(v.tags) x WHERE x <> ALL(u.remove_tags)), u.add_tags)) t ORDER BY t)
         FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, set_traits jsonb, unset_traits text[], remove_tags text[],
              add_tags text[])
        WHERE v.site_id = $1 AND v.id = u.id
       RETURNING v.id::text AS id`,
      [
        siteId,
        JSON.stringify(
          sorted.map(({ visitorId, update }) => ({
            id: visitorId,
            set_traits: update.setTraits,
            unset_traits: update.unsetTraits,
            remove_tags: update.removeTags,
            add_tags: update.addTags,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }
}
