import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { liveSiteIds } from '../sites/live-sites';
import { DEDUPE_GEN_HOURS, DEDUPE_RUN_IDS } from './dedupe-window';

export interface GenState {
  genHour: number;
  sealedAt: Date | null;
  cleanedAt: Date | null;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * The sealing job's statements over the dedupe window's tables (see dedupe-window.ts). Every statement
 * names one site (single-shard on Citus); each moves at most `limit` hashes.
 * A plain class (the worker module provides it from its `DataSource`): the tests drive it directly.
 */
export class DedupeWindowRepository {
  constructor(private readonly db: DataSource) {}

  /** Every live site, in id order (sites' `liveSiteIds`: a cluster-wide read, listed in database/README.md). */
  sites(): Promise<string[]> {
    return liveSiteIds(this.db);
  }

  /** The sealing job's record of the site's generations (sealed and cleaned times). */
  async gens(siteId: string): Promise<GenState[]> {
    const rows = await queryRows<{ gen_hour: number; sealed_at: Date | null; cleaned_at: Date | null }>(
      this.db,
      `SELECT gen_hour, sealed_at, cleaned_at FROM event_dedupe_seals WHERE site_id = $1 ORDER BY gen_hour`,
      [siteId],
    );
    return rows.map((r) => ({ genHour: r.gen_hour, sealedAt: r.sealed_at, cleanedAt: r.cleaned_at }));
  }

  /**
   * Seals the next `limit` hashes (in hash order) of the generation from the recent tier into runs, after
   * the last run already sealed; marks the generation sealed when none is left. Under the site's
   * sealing lock, so two jobs never write overlapping runs. Answers the hashes sealed.
   */
  async sealChunk(
    siteId: string,
    genHour: number,
    limit: number,
    now: Date,
  ): Promise<{ n: number; done: boolean }> {
    return this.db.transaction(async (tx) => {
      await this.lock(tx, siteId);
      const [last] = await queryRows<{ hi: string }>(
        tx,
        `SELECT hashes[array_upper(hashes, 1)]::text AS hi FROM event_dedupe_sealed
          WHERE site_id = $1 AND gen_hour = $2 ORDER BY lo DESC LIMIT 1`,
        [siteId, genHour],
      );
      const marked = await queryRows(
        tx,
        `SELECT 1 FROM event_dedupe_seals WHERE site_id = $1 AND gen_hour = $2 AND sealed_at IS NOT NULL`,
        [siteId, genHour],
      );
      if (marked.length) return { n: 0, done: true };
      let n = 0;
      if (!last || BigInt(last.hi) < INT64_MAX) {
        const from = last ? BigInt(last.hi) + 1n : INT64_MIN;
        const runs = await queryRows<{ n: number }>(
          tx,
          `WITH c AS (
             SELECT hash, hour FROM event_dedupe_recent
              WHERE site_id = $1 AND hash >= $3::bigint AND hour >= $2 AND hour < $2 + $4::integer
              ORDER BY hash LIMIT $5),
           k AS (SELECT hash, hour, (row_number() OVER (ORDER BY hash) - 1) / $6 AS run FROM c)
           INSERT INTO event_dedupe_sealed (site_id, gen_hour, lo, hashes, hours)
           SELECT $1, $2, min(hash), array_agg(hash ORDER BY hash), array_agg((hour - $2)::smallint ORDER BY hash)
             FROM k GROUP BY run
           RETURNING array_length(hashes, 1) AS n`,
          [siteId, genHour, from.toString(), DEDUPE_GEN_HOURS, limit, DEDUPE_RUN_IDS],
        );
        n = runs.reduce((s, r) => s + r.n, 0);
      }
      const done = n < limit;
      if (done)
        await tx.query(
          `INSERT INTO event_dedupe_seals (site_id, gen_hour, sealed_at) VALUES ($1, $2, $3)
           ON CONFLICT (site_id, gen_hour) DO UPDATE SET sealed_at = EXCLUDED.sealed_at`,
          [siteId, genHour, now],
        );
      return { n, done };
    });
  }

  /** Deletes up to `limit` recent-tier rows of the generation's hours; marks it cleaned when none is left. */
  async cleanChunk(
    siteId: string,
    genHour: number,
    limit: number,
    now: Date,
  ): Promise<{ n: number; done: boolean }> {
    return this.db.transaction(async (tx) => {
      const [{ n }] = await queryRows<{ n: number }>(
        tx,
        // The batch's keys as one array (an InitPlan), deleted by primary key: never a join the
        // planner could run as a loop over a scan.
        `WITH d AS (
           DELETE FROM event_dedupe_recent
            WHERE site_id = $1 AND hour >= $2 AND hour < $2 + $3::integer
              AND hash = ANY (ARRAY(SELECT hash FROM event_dedupe_recent
                                     WHERE site_id = $1 AND hour >= $2 AND hour < $2 + $3::integer LIMIT $4))
           RETURNING 1)
         SELECT count(*)::integer AS n FROM d`,
        [siteId, genHour, DEDUPE_GEN_HOURS, limit],
      );
      const done = n < limit;
      if (done)
        await tx.query(
          `INSERT INTO event_dedupe_seals (site_id, gen_hour, cleaned_at) VALUES ($1, $2, $3)
           ON CONFLICT (site_id, gen_hour) DO UPDATE SET cleaned_at = EXCLUDED.cleaned_at`,
          [siteId, genHour, now],
        );
      return { n, done };
    });
  }

  /** Deletes up to `limit` sealed runs of generations wholly before `cutoffHour`; answers the runs deleted. */
  async expireChunk(siteId: string, cutoffHour: number, limit: number): Promise<number> {
    const [{ n }] = await queryRows<{ n: number }>(
      this.db,
      `WITH d AS (
         DELETE FROM event_dedupe_sealed
          WHERE site_id = $1 AND gen_hour <= $2::integer - $3::integer
            AND lo = ANY (ARRAY(SELECT lo FROM event_dedupe_sealed
                                 WHERE site_id = $1 AND gen_hour <= $2::integer - $3::integer LIMIT $4))
         RETURNING 1)
       SELECT count(*)::integer AS n FROM d`,
      [siteId, cutoffHour, DEDUPE_GEN_HOURS, limit],
    );
    return n;
  }

  /** Forgets the record of cleaned generations before `beforeHour` (the job no longer looks at them). */
  async forgetGens(siteId: string, beforeHour: number): Promise<void> {
    await this.db.query(
      `DELETE FROM event_dedupe_seals WHERE site_id = $1 AND gen_hour < $2 AND cleaned_at IS NOT NULL`,
      [siteId, beforeHour],
    );
  }

  private async lock(tx: EntityManager, siteId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7403))`, [`dedupe-seal|${siteId}`]);
  }
}
