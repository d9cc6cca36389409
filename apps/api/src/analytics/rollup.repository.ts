import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { eventsReceivedSql } from '../ingest/events.sql';
import { RunStamp, runStepsWrittenSql, runsStampedSql } from '../runtime/runs.sql';
import { siteShards } from '../sites/live-sites';
import { siteExistsSql, siteTimezoneSql } from '../sites/site.sql';
import { foldDimParts } from './breakdowns';
import { deltaWindow } from './rollup-live';
import { mergeResult, PassFlags, PassParams, RollupResult, MAX_LIVE_WINDOW_MS } from './rollup-pass';
import { rollWindow } from './rollup-rerun';
import { dropTempTables, pruneRollups, record, StatementTiming, timedManager } from './rollup-sql';

export { HLL, MAX_LIVE_WINDOW_MS, SESSION_GAP } from './rollup-pass';
export type { PassFlags, RollupResult } from './rollup-pass';

/**
 * The rollup pass, per site and per shard (issue #20). Every site has its own watermark row
 * (`analytics_rollup_sites`: `hi`, `applied`), distributed with the site. A pass walks the sites in
 * groups — on Citus the sites of one shard, on plain PostgreSQL all sites (in chunks of
 * `GROUP_MAX`) — and rolls up each group in one transaction that first claims the group's
 * watermark rows with `FOR UPDATE SKIP LOCKED`: two workers never apply a site's window twice, and a
 * second worker takes the groups the first one has not reached (adding workers adds rollup capacity).
 * Every statement over raw or rollup rows filters by the group's sites (`site_id = ANY($1)`, one shard:
 * a router plan pushed down whole to the worker holding it); temp tables hold only what those
 * statements returned and are never joined back to a distributed table (their rows go back as array
 * parameters, or are inserted).
 *
 * Every rollup row is a function of the raw rows stamped before its site's watermark: R(hi) = events
 * with `received_at < hi` (plus the runtime ledger rows stamped before hi).
 *
 * - **Live pass** (`deltaWindow`, the site's window starts where its last pass stopped): only the rows
 *   of the window are read and their change is added, `n = n + excluded.n` and `hll_union` for
 *   uniques, to minute, hour and local-day rows. Sessions need each new page view's neighbours: per
 *   visitor, the page views from an hour before its earliest new one to an hour after its latest are
 *   flagged twice (over R(lo) and over R(hi)) and the difference is added, so a late page view that
 *   moves a later session start is exact too. Ledger rows, runs entered and runs ended in the window
 *   are added the same way (minute deltas). A pass advances the watermarks in its own transaction, so
 *   a window is applied once.
 * - **Re-run** (`rollWindow`, the window starts before `applied`, the furthest watermark ever applied:
 *   a manual rewind, or a site's first pass): every touched bucket is recomputed whole from R(hi), so
 *   re-running any window changes nothing, and hour and day buckets are rebuilt from minutes.
 *
 * `hi` stays behind every transaction still open in this database (minus a margin for the time
 * between a request's `received_at` and its transaction's start), so a slow transaction that commits
 * late with older stamps is never skipped: rows stamped before `hi` are all committed when we read them.
 */
@Injectable()
export class RollupRepository {
  /**
   * Per-statement timings of the passes (statement text → count, total and max ms), collected only
   * when `ANALYTICS_ROLLUP_TIMINGS=1` (the bench prints them; the job logs nothing more).
   */
  readonly timings = new Map<string, StatementTiming>();
  private citus: boolean | undefined;
  /** When this process last pruned a live group (keyed by its first site). */
  private readonly prunedAt = new Map<string, number>();
  /** When this process last folded a live group's breakdown parts (keyed by its first site). */
  private readonly foldedAt = new Map<string, number>();

  constructor(private readonly db: DataSource) {}

  /**
   * One pass over every group of sites. A live window covers at most `maxWindowMs` of `received_at`,
   * so after downtime the backlog is caught up in bounded transactions (a pass each) rather than in
   * one huge one. Live groups fold their breakdown changes every `foldEveryMs` (0: never, for tests
   * that fold by hand). Null when every group was being rolled up by another worker.
   */
  async advance(
    marginMs: number,
    maxWindowMs = MAX_LIVE_WINDOW_MS,
    concurrency = 1,
    foldEveryMs = FOLD_EVERY_MS,
  ): Promise<RollupResult | null> {
    const groups = await this.siteGroups();
    const now = await this.horizon(marginMs);
    const out: RollupResult = { lo: '', hi: '', siteMinutes: 0, flowMinutes: 0, sites: 0 };
    let claimed = groups.length === 0;
    // Workers start at different groups, so two of them mostly work on different shards; up to
    // `concurrency` groups at once (on Citus each group's statements run on its shard's worker).
    const first = Math.floor(Math.random() * groups.length);
    let next = 0;
    const lane = async () => {
      while (next < groups.length) {
        const group = groups[(first + next++) % groups.length];
        const t0 = performance.now();
        const r = await this.advanceGroup(group, now, maxWindowMs, foldEveryMs);
        if (process.env.ANALYTICS_ROLLUP_TIMINGS === '1')
          record(
            this.timings,
            `(a group's whole pass${r?.siteMinutes || r?.flowMinutes ? '' : ', idle'})`,
            t0,
          );
        if (!r) continue;
        claimed = true;
        mergeResult(out, r);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, groups.length)) }, lane));
    return claimed ? out : null;
  }

  /**
   * The pass's `hi`: `least(now(), oldest xact_start of any other open transaction in this database)`
   * minus the margin, read once per pass before any group's transaction (an earlier hi is as safe: rows
   * stamped before it are committed). On Citus the coordinator's transactions: ingestion writes
   * through it.
   */
  async horizon(marginMs: number): Promise<Date> {
    const [{ hi }] = await queryRows<{ hi: Date }>(
      this.db,
      `SELECT least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                             WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                               AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL))
                - $1 * interval '1 millisecond' AS hi`,
      [marginMs],
    );
    return hi;
  }

  /**
   * The sites to roll up, grouped so that each group's statements are single-shard: on Citus by the
   * shard of `sites` holding them (co-located tables share it), read from `account_sites` (a
   * reference table: no fan-out); on plain PostgreSQL in chunks.
   */
  async siteGroups(): Promise<string[][]> {
    if (this.citus === undefined)
      this.citus =
        (await queryRows(this.db, `SELECT 1 FROM pg_extension WHERE extname = 'citus'`)).length > 0;
    const rows = await siteShards(this.db, this.citus);
    const groups = new Map<string, string[][]>();
    for (const r of rows) {
      const g = groups.get(r.shard) ?? [[]];
      if (g[g.length - 1].length >= GROUP_MAX) g.push([]);
      g[g.length - 1].push(r.site_id);
      groups.set(r.shard, g);
    }
    return [...groups.values()].flat().filter((g) => g.length > 0);
  }

  /**
   * One group's pass, in one transaction: claim its sites' watermarks, roll up, move them. The claim
   * also says, per site, whether anything new waits (`claim`), so a group with nothing new costs two
   * statements on its shard (claim, watermark move): on Citus each single-shard statement is a round
   * trip to a worker, and most groups are idle in most passes.
   */
  async advanceGroup(
    sites: string[],
    now: Date,
    maxWindowMs = MAX_LIVE_WINDOW_MS,
    foldEveryMs = FOLD_EVERY_MS,
  ): Promise<RollupResult | null> {
    return this.db.transaction(async (tx) => {
      const m = process.env.ANALYTICS_ROLLUP_TIMINGS === '1' ? timedManager(tx, this.timings) : tx;
      const claimed = await claimSites(m, sites, now, this.citus);
      if (claimed.length < sites.length) {
        // A site without a watermark row yet (created since the migration): it starts at 2000-01-01
        // with nothing applied, so its first pass is a re-run over its own events.
        const known = new Set(claimed.map((c) => c.site_id));
        const missing = sites.filter((s) => !known.has(s));
        const made = await queryRows<{ site_id: string }>(
          m,
          `INSERT INTO analytics_rollup_sites (site_id, hi)
           SELECT x.id, '2000-01-01T00:00:00Z' FROM unnest($1::uuid[]) x(id)
            WHERE ${siteExistsSql('x.id', '$1::uuid[]')}
           ON CONFLICT DO NOTHING RETURNING site_id`,
          [missing],
        );
        if (made.length > 0)
          claimed.push(
            ...(await claimSites(
              m,
              made.map((r) => r.site_id),
              now,
              this.citus,
            )),
          );
      }
      if (claimed.length === 0) return null;
      const out: RollupResult = { lo: '', hi: '', siteMinutes: 0, flowMinutes: 0, sites: 0 };
      const moves: { site: string; hi: Date }[] = [];
      const isLive = (c: Claimed) => c.applied !== null && c.applied.getTime() === c.lo.getTime();
      const live = claimed.filter((c) => isLive(c) && c.lo < now);
      const rerun = claimed.filter((c) => !isLive(c) && c.lo < now);
      // Live sites with nothing new: their watermark moves to now, nothing else is read or written.
      const idle = live.filter((c) => !c.events && !c.ledger && !c.rebuild);
      for (const c of idle) moves.push({ site: c.site_id, hi: now });
      if (idle.length > 0)
        mergeResult(out, {
          lo: new Date(Math.min(...idle.map((c) => c.lo.getTime()))).toISOString(),
          hi: now.toISOString(),
          siteMinutes: 0,
          flowMinutes: 0,
          sites: idle.length,
          funnels: { funnels: 0, rebuilt: 0, visitors: 0 },
        });
      const busy = live.filter((c) => !idle.includes(c));
      if (busy.length > 0) {
        // One hi for the group: at most maxWindowMs past its oldest watermark.
        const minLo = Math.min(...busy.map((c) => c.lo.getTime()));
        const hi = new Date(Math.min(now.getTime(), minLo + maxWindowMs));
        const todo = busy.filter((c) => c.lo < hi);
        await startWork(m, claimed);
        mergeResult(out, await deltaWindow(m, passParams(todo, hi), flagsOf(todo), this.citus));
        for (const c of todo) moves.push({ site: c.site_id, hi });
      }
      if (rerun.length > 0) {
        if (busy.length > 0) await dropTempTables(m);
        await startWork(m, claimed);
        mergeResult(out, await rollWindow(m, passParams(rerun, now)));
        for (const c of rerun) moves.push({ site: c.site_id, hi: now });
      }
      // Live groups fold the changes their passes left in part 1 of the breakdowns every foldEveryMs,
      // and drop their expired minute rows and hour breakdowns every PRUNE_EVERY_MS (a re-run already
      // did, for its sites).
      const live0 = live[0]?.site_id;
      if (live0 && foldEveryMs > 0 && Date.now() - (this.foldedAt.get(live0) ?? 0) >= foldEveryMs) {
        await foldDimParts(
          m,
          live.map((c) => c.site_id),
        );
        this.foldedAt.set(live0, Date.now());
      }
      if (live0 && Date.now() - (this.prunedAt.get(live0) ?? 0) >= PRUNE_EVERY_MS) {
        await pruneRollups(
          m,
          live.map((c) => c.site_id),
        );
        this.prunedAt.set(live0, Date.now());
      }
      if (moves.length > 0)
        await m.query(
          `UPDATE analytics_rollup_sites w SET hi = x.hi, applied = greatest(w.applied, x.hi), updated_at = $3
             FROM unnest($1::uuid[], $2::timestamptz[]) x(site_id, hi)
            WHERE w.site_id = ANY($1::uuid[]) AND w.site_id = x.site_id`,
          [moves.map((x) => x.site), moves.map((x) => x.hi), new Date()],
        );
      return out;
    });
  }
}

/**
 * Default of ANALYTICS_ROLLUP_FOLD_EVERY_MS: how often a live group's breakdown changes (part 1) are
 * folded into their packed rows (`foldDimParts`): each pass merges its change into parts 1, which
 * hold what changed since.
 */
export const FOLD_EVERY_MS = 5 * 60_000;

/** How often a live group's expired minute rows and hour breakdowns are deleted (`pruneRollups`). */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Sites per pass transaction on plain PostgreSQL (on Citus a shard's sites, chunked the same way). */
const GROUP_MAX = 2_000;

interface Claimed {
  site_id: string;
  lo: Date;
  applied: Date | null;
  timezone: string;
  /** Events received in [lo, now): the site has something to roll up. */
  events: boolean;
  /** Runtime ledger rows (steps, runs created or ended) stamped in [lo, now). */
  ledger: boolean;
  /** Whether the site has saved funnels, and whether one waits for a rebuild. */
  funnels: boolean;
  rebuild: boolean;
}

const flagsOf = (cs: Claimed[]): PassFlags => ({
  events: cs.some((c) => c.events),
  ledger: cs.some((c) => c.ledger),
  funnels: cs.some((c) => c.funnels),
});

/**
 * Claims the watermark rows of `sites` not being rolled up elsewhere (`FOR UPDATE SKIP LOCKED`) and
 * tells, per site, whether anything was stamped since its watermark (one scan per raw table from the
 * group's smallest live watermark: a site with rows between that and its own is only a false "busy"),
 * its time zone and its funnels: one single-shard statement. On plain PostgreSQL the events scan (BRIN
 * over `received_at`) and the time zone lookup do not repeat the group's site list, which `w` already
 * applies: a list of up to GROUP_MAX sites in them cost more planning (its selectivity estimated
 * against every event partition) and a scan of `sites` per site; on Citus it keeps them on the shard.
 */
async function claimSites(
  m: EntityManager,
  sites: string[],
  now: Date,
  citus: boolean | undefined,
): Promise<Claimed[]> {
  const group = citus ? '$1::uuid[]' : undefined;
  // The sites with rows of the raw table read stamped in [lo, now) (`read`: its owner's fragment).
  const since = (read: string) => `w.site_id IN (SELECT x.site_id FROM ${read})`;
  const ledger = (stamp: RunStamp) => since(runsStampedSql('x', stamp, '$1::uuid[]', '(TABLE lo)', '$2'));
  return queryRows<Claimed>(
    m,
    `WITH lo AS (SELECT coalesce(min(hi), $2) FROM analytics_rollup_sites
                  WHERE site_id = ANY($1::uuid[]) AND applied = hi)
     SELECT w.site_id, w.hi AS lo, w.applied,
            ${siteTimezoneSql('w.site_id', group)} AS timezone,
            ${since(eventsReceivedSql('x', '(TABLE lo)', '$2', group))} AS events,
            (${since(runStepsWrittenSql('x', '$1::uuid[]', '(TABLE lo)', '$2'))} OR ${ledger('created_at')} OR ${ledger('ended_at')}) AS ledger,
            w.site_id IN (SELECT f.site_id FROM analytics_funnels f WHERE f.site_id = ANY($1::uuid[])) AS funnels,
            w.site_id IN (SELECT f.site_id FROM analytics_funnels f WHERE f.site_id = ANY($1::uuid[])
                             AND f.built_version IS DISTINCT FROM f.version) AS rebuild
       FROM analytics_rollup_sites w
      WHERE w.site_id = ANY($1::uuid[]) ORDER BY w.site_id FOR UPDATE OF w SKIP LOCKED`,
    [sites, now],
  );
}

/**
 * Before a group's first rollup statement, in one round trip: `nf_site_tz` from the claim, and no JIT
 * for the rest of the transaction (`SET LOCAL jit = off`, see README).
 */
async function startWork(m: EntityManager, claimed: Claimed[]): Promise<void> {
  await m.query(
    `CREATE TEMP TABLE IF NOT EXISTS nf_site_tz ON COMMIT DROP AS
     SELECT x.* FROM unnest($1::uuid[], $2::text[]) x(site_id, timezone), (SELECT set_config('jit', 'off', true)) j`,
    [claimed.map((c) => c.site_id), claimed.map((c) => c.timezone)],
  );
}

function passParams(claimed: Claimed[], hi: Date): PassParams {
  const los = claimed.map((c) => c.lo.getTime());
  return [
    claimed.map((c) => c.site_id),
    claimed.map((c) => c.lo),
    new Date(Math.min(...los)),
    hi,
    new Date(Math.max(...los)),
  ];
}
