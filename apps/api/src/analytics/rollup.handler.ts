import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobName } from '../jobs/job.types';
import { ANALYTICS_CONFIG, AnalyticsConfig } from './analytics-config';
import { RollupRepository, RollupResult } from './rollup.repository';

/**
 * RollupsAdvance: one window per site group per run; a group another worker is rolling up is skipped
 * (its watermark rows are locked), so concurrent runs share the groups.
 */
@Injectable()
export class RollupHandler {
  private readonly logger = new Logger(RollupHandler.name);
  private timingsLoggedAt = Date.now();

  constructor(
    private readonly rollups: RollupRepository,
    @Inject(ANALYTICS_CONFIG) private readonly cfg: AnalyticsConfig,
  ) {}

  @OnJob(JobName.RollupsAdvance)
  async advance(): Promise<RollupResult | { skipped: true }> {
    const started = Date.now();
    const result = await this.rollups.advance(
      this.cfg.ANALYTICS_ROLLUP_MARGIN_MS,
      this.cfg.ANALYTICS_ROLLUP_MAX_WINDOW_MS,
      this.cfg.ANALYTICS_ROLLUP_CONCURRENCY,
      this.cfg.ANALYTICS_ROLLUP_FOLD_EVERY_MS,
    );
    this.logTimings();
    if (!result) return { skipped: true };
    if (result.siteMinutes || result.flowMinutes)
      this.logger.debug({ ...result, ms: Date.now() - started }, 'rollups advanced');
    return result;
  }

  /** With ANALYTICS_ROLLUP_TIMINGS=1, the slowest statements of the passes, every 30 s (then reset). */
  private logTimings(): void {
    const t = this.rollups.timings;
    if (t.size === 0 || Date.now() - this.timingsLoggedAt < 30_000) return;
    this.timingsLoggedAt = Date.now();
    const top = [...t.entries()]
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .slice(0, 12)
      .map(
        ([sql, x]) =>
          `${x.n} × ${(x.totalMs / x.n).toFixed(1)} ms (max ${x.maxMs.toFixed(0)}): ${sql.slice(0, 90)}`,
      );
    const statements = [...t.values()].reduce((a, x) => a + x.n, 0);
    this.logger.log({ statements, top }, 'rollup statement timings');
    t.clear();
  }
}
