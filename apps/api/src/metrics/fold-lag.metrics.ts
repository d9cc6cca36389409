import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { FoldLagRepository, SiteFoldLag } from '../ingest/fold-lag.repository';
import { MetricsService } from './metrics.service';

/** Sites labelled one by one (the oldest backlogs first): bounded label cardinality. */
export const FOLD_LAG_TOP_SITES = 10;
/** The outbox is read at most this often, however many scrapers ask. */
export const FOLD_LAG_READ_EVERY_MS = 5_000;

/**
 * Fold lag on /metrics (runbook: ingest/README.md, "Fold lag"):
 * - `nudgeflow_fold_lag_seconds`: age of the oldest committed event not yet folded, all sites (0: none);
 * - `nudgeflow_fold_lag_site_seconds{site_id}` and `nudgeflow_fold_backlog_events{site_id}`: the same
 *   age and the events waiting, for the `FOLD_LAG_TOP_SITES` sites with the oldest backlog;
 * - `nudgeflow_fold_lag_read_timestamp_seconds`: when the outbox was last read (a stale value means the
 *   read fails: the gauges above keep their last value).
 */
@Injectable()
export class FoldLagMetrics {
  constructor(metrics: MetricsService, repo: FoldLagRepository) {
    let last: { at: number; sites: SiteFoldLag[] } | null = null;
    let reading: Promise<SiteFoldLag[]> | null = null;
    const read = async (): Promise<SiteFoldLag[]> => {
      const now = Date.now();
      if (last && now - last.at < FOLD_LAG_READ_EVERY_MS) return last.sites;
      reading ??= repo
        .oldest(FOLD_LAG_TOP_SITES, new Date(now))
        .then((sites) => {
          last = { at: now, sites };
          return sites;
        })
        .finally(() => (reading = null));
      return reading;
    };
    const registers = [metrics.registry];
    const refresh = () => read().catch(() => null);
    new Gauge({
      name: 'nudgeflow_fold_lag_read_timestamp_seconds',
      help: 'When event_outbox was last read for the fold lag gauges (Unix seconds)',
      registers,
      async collect() {
        await refresh();
        if (last) this.set(last.at / 1000);
      },
    });
    new Gauge({
      name: 'nudgeflow_fold_lag_seconds',
      help: 'Age of the oldest committed event not folded yet, all sites (0 when the fold has caught up)',
      registers,
      async collect() {
        const sites = await refresh();
        if (sites) this.set(sites[0]?.lagSeconds ?? 0);
      },
    });
    new Gauge({
      name: 'nudgeflow_fold_lag_site_seconds',
      help: `Age of the oldest committed event not folded yet, for the ${FOLD_LAG_TOP_SITES} sites with the oldest backlog`,
      labelNames: ['site_id'],
      registers,
      async collect() {
        const sites = await refresh();
        if (!sites) return;
        this.reset();
        for (const s of sites) this.set({ site_id: s.siteId }, s.lagSeconds);
      },
    });
    new Gauge({
      name: 'nudgeflow_fold_backlog_events',
      help: `Committed events waiting for the fold, for the ${FOLD_LAG_TOP_SITES} sites with the oldest backlog`,
      labelNames: ['site_id'],
      registers,
      async collect() {
        const sites = await refresh();
        if (!sites) return;
        this.reset();
        for (const s of sites) this.set({ site_id: s.siteId }, s.events);
      },
    });
  }
}
