import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnJob } from '../jobs/job-handler.decorator';
import type { JobContext } from '../jobs/job-registry';
import { JobQueueService } from '../jobs/job-queue.service';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { EventReplayRepository } from '../ingest/event-replay.repository';
import { CtaRepository } from '../onsite/cta.repository';
import { SiteRepository } from '../sites/site.repository';
import { VisitorRepository } from '../visitors/visitor.repository';
import { BacktestRepository } from './backtest.repository';
import { BacktestRunner, DEFAULT_SLICE, SliceOutcome } from './backtest-runner';
import { backtestJobId } from './backtest.service';

/**
 * One slice per job, then the job re-enqueues itself at the back of the `backtests` queue: backtests of
 * several sites take turns slice by slice, and a cancel takes effect at the next page.
 */
@Injectable()
export class BacktestHandler {
  private readonly runner: BacktestRunner;

  constructor(
    private readonly repo: BacktestRepository,
    private readonly queue: JobQueueService,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    events: EventReplayRepository,
    visitors: VisitorRepository,
    ctas: CtaRepository,
    sites: SiteRepository,
  ) {
    this.runner = new BacktestRunner(repo, { events, visitors, ctas, sites });
  }

  @OnJob(JobName.BacktestRun)
  async run(data: JobPayloadMap[JobName.BacktestRun], ctx: JobContext): Promise<{ outcome: SliceOutcome }> {
    const { siteId, backtestId } = data;
    let outcome: SliceOutcome;
    try {
      outcome = await this.runner.runSlice(siteId, backtestId, {
        ...DEFAULT_SLICE,
        budgetMs: this.cfg.BACKTEST_SLICE_MS,
        visitorsPerPage: this.cfg.BACKTEST_PAGE_VISITORS,
      });
    } catch (err) {
      await this.repo.fail(siteId, backtestId, err instanceof Error ? err.message : String(err), new Date());
      throw err;
    }
    if (outcome === 'more') {
      const slice = Number(/_(\d+)$/.exec(ctx.jobId ?? '')?.[1] ?? 0) + 1;
      await this.queue.enqueue(JobName.BacktestRun, data, { jobId: backtestJobId(backtestId, slice) });
    }
    return { outcome };
  }
}
