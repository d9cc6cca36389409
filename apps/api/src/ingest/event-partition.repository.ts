import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import { liveSiteRetentions } from '../sites/live-sites';

export const EVENTS_DAYS_AHEAD = 7;
export const DEDUPE_DAYS_KEPT = 3;

/**
 * Partition maintenance. Whole partitions are dropped only when every site allows it; sites with a
 * shorter retention get their older rows deleted (bounded per run) from the partitions that stay.
 */
@Injectable()
export class EventPartitionRepository {
  constructor(private readonly db: DataSource) {}

  async ensureAhead(): Promise<number> {
    const [a] = await queryRows<{ n: number }>(
      this.db,
      `SELECT nf_ensure_daily_partitions('events', current_date - 1, current_date + $1::int) AS n`,
      [EVENTS_DAYS_AHEAD],
    );
    const [b] = await queryRows<{ n: number }>(
      this.db,
      `SELECT nf_ensure_daily_partitions('event_dedupe', current_date - 2, current_date + 2) AS n`,
    );
    return a.n + b.n;
  }

  /** Daily children of a partitioned table, with the UTC day each one holds. */
  async partitions(parent: 'events' | 'event_dedupe'): Promise<{ name: string; day: string }[]> {
    const rows = await queryRows<{ name: string }>(
      this.db,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1`,
      [parent],
    );
    return rows
      .map((r) => ({ name: r.name, m: /_p(\d{4})(\d{2})(\d{2})$/.exec(r.name) }))
      .filter((r) => r.m)
      .map((r) => ({ name: r.name, day: `${r.m![1]}-${r.m![2]}-${r.m![3]}` }));
  }

  async drop(name: string): Promise<void> {
    if (!/^(events|event_dedupe)_p\d{8}$/.test(name)) throw new Error(`refusing to drop ${name}`);
    await this.db.query(`DROP TABLE IF EXISTS "${name}"`);
  }

  /** The longest retention of any live site (whole partitions older than this can go). */
  async retentionPolicy(): Promise<{ maxDays: number; sites: { siteId: string; days: number }[] }> {
    // Every site's row (sites' `liveSiteRetentions`): a cluster-wide read on Citus, hourly, one row per
    // site; listed in database/README.md.
    const rows = await liveSiteRetentions(this.db);
    return {
      maxDays: rows.reduce((m, r) => Math.max(m, r.retention_days), 0),
      sites: rows.map((r) => ({ siteId: r.id, days: r.retention_days })),
    };
  }

  async deleteOlderThan(siteId: string, days: number, limit: number): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `DELETE FROM events e USING (
         SELECT id, ts FROM events WHERE site_id = $1 AND ts < now() - make_interval(days => $2::int) LIMIT $3
       ) old WHERE e.site_id = $1 AND e.id = old.id AND e.ts = old.ts RETURNING e.id`,
      [siteId, days, limit],
    );
    return rows.length;
  }
}
