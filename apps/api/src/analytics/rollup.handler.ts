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
    );
    if (!result) return { skipped: true };
    if (result.siteMinutes || result.flowMinutes)
      this.logger.debug({ ...result, ms: Date.now() - started }, 'rollups advanced');
    return result;
  }
}
