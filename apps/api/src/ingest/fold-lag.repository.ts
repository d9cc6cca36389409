import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface SiteFoldLag {
  siteId: string;
  /** Seconds since the oldest outbox row of the site (committed, not yet folded) was written. */
  lagSeconds: number;
  /** Events in the site's outbox rows. */
  events: number;
}

/**
 * Fold lag, read from `event_outbox` (committed events the fold has not taken yet): the sites with
 * the oldest rows first. One grouped read of every site's outbox: on Citus a cluster-wide statement,
 * opted out of strict mode explicitly (listed in database/README.md), read-only, `LIMIT` sites, and
 * read at most once per `FOLD_LAG_READ_EVERY_MS` whatever the scrape rate (`FoldLagMetrics`).
 */
@Injectable()
export class FoldLagRepository {
  constructor(private readonly db: DataSource) {}

  async oldest(limit: number, now: Date): Promise<SiteFoldLag[]> {
    const rows = await this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL citus.multi_task_query_log_level TO 'off'`);
      return queryRows<{ site_id: string; lag: number; events: string }>(
        tx,
        `SELECT site_id, extract(epoch FROM $2::timestamptz - min(created_at))::float8 AS lag,
                sum(cardinality(event_ids))::text AS events
           FROM event_outbox GROUP BY site_id ORDER BY min(created_at) LIMIT $1`,
        [limit, now],
      );
    });
    return rows.map((r) => ({ siteId: r.site_id, lagSeconds: Math.max(0, r.lag), events: Number(r.events) }));
  }
}
