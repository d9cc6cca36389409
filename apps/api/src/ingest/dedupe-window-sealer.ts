import {
  DEDUPE_GEN_HOURS,
  DEDUPE_RUN_IDS,
  DEDUPE_WINDOW_HOURS,
  dedupeGen,
  dedupeHour,
} from './dedupe-window';
import { DedupeWindowRepository } from './dedupe-window.repository';

const HOUR_MS = 3_600_000;
/** A generation is sealed this long after its last hour ends (a write takes its hour just before its statement). */
export const DEDUPE_SEAL_GRACE_MS = 10 * 60_000;
/** Its recent rows are deleted this long after it is sealed (a lookup that began before the seal committed still finds them). */
export const DEDUPE_CLEAN_DELAY_MS = 10 * 60_000;
/** Ended generations this far before the window are still cleaned (a job down for a day, the migrated rows). */
const LOOKBACK_HOURS = 24;
const SEAL_CHUNK = DEDUPE_RUN_IDS * 100;
const CLEAN_CHUNK = 20_000;
const EXPIRE_CHUNK = 500;
/** One run of the job stops starting new statements after this long; the next run goes on. */
const RUN_BUDGET_MS = 30_000;

/**
 * The dedupe window's sealing job (`DedupeWindowSeal`, every few minutes): for each site, drops the sealed runs of
 * generations past the window, seals each ended generation of the recent tier into sorted runs, and
 * deletes its recent rows once sealed (or expired). One site per statement; bounded per statement and
 * per run, resumable (a run picks up where the last sealed run of a generation ends). A plain class:
 * the tests drive `sealSite` at chosen times.
 */
export class DedupeWindowSealer {
  constructor(private readonly repo: DedupeWindowRepository) {}

  /** Every site, as of now, within the run's time budget. */
  async run(): Promise<{ sites: number; sealed: number; cleaned: number; expired: number }> {
    const now = Date.now();
    const deadline = now + RUN_BUDGET_MS;
    const total = { sites: 0, sealed: 0, cleaned: 0, expired: 0 };
    for (const siteId of await this.repo.sites()) {
      if (Date.now() > deadline) break;
      const r = await this.sealSite(siteId, now, deadline);
      total.sites++;
      total.sealed += r.sealed;
      total.cleaned += r.cleaned;
      total.expired += r.expired;
    }
    return total;
  }

  /** One site's work as of `now` (ms); stops starting statements after `deadline`. */
  async sealSite(
    siteId: string,
    now: number,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<{ sealed: number; cleaned: number; expired: number; complete: boolean }> {
    const out = { sealed: 0, cleaned: 0, expired: 0, complete: false };
    const hour = dedupeHour(now);
    const cutoff = hour - DEDUPE_WINDOW_HOURS;
    for (;;) {
      if (Date.now() > deadline) return out;
      const n = await this.repo.expireChunk(siteId, cutoff, EXPIRE_CHUNK);
      out.expired += n;
      if (n < EXPIRE_CHUNK) break;
    }
    const states = new Map((await this.repo.gens(siteId)).map((g) => [g.genHour, g]));
    const low = dedupeGen(cutoff - LOOKBACK_HOURS);
    for (
      let gen = low;
      (gen + DEDUPE_GEN_HOURS) * HOUR_MS + DEDUPE_SEAL_GRACE_MS <= now;
      gen += DEDUPE_GEN_HOURS
    ) {
      const state = states.get(gen);
      if (state?.cleanedAt) continue;
      const expired = gen + DEDUPE_GEN_HOURS <= cutoff;
      let sealedAt = state?.sealedAt?.getTime();
      if (!expired && sealedAt === undefined) {
        for (;;) {
          if (Date.now() > deadline) return out;
          const r = await this.repo.sealChunk(siteId, gen, SEAL_CHUNK, new Date(now));
          out.sealed += r.n;
          if (r.done) break;
        }
        sealedAt = now;
      }
      if (!expired && sealedAt! > now - DEDUPE_CLEAN_DELAY_MS) continue;
      for (;;) {
        if (Date.now() > deadline) return out;
        const r = await this.repo.cleanChunk(siteId, gen, CLEAN_CHUNK, new Date(now));
        out.cleaned += r.n;
        if (r.done) break;
      }
    }
    await this.repo.forgetGens(siteId, low);
    out.complete = true;
    return out;
  }
}
