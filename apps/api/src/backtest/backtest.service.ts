import { HttpStatus, Injectable } from '@nestjs/common';
import {
  FlowGraphSchema,
  FlowSettingsSchema,
  validateFlow,
  type FlowGraph,
  type FlowSettings,
} from '@nudgeflow/flow-schema';
import { AppError, conflict, notFound } from '../common/app-error';
import { FlowRepository } from '../flows/flow.repository';
import { FlowVersionRepository } from '../flows/flow-version.repository';
import { JobQueueService } from '../jobs/job-queue.service';
import { JobName } from '../jobs/job.types';
import { BacktestRepository, type BacktestRow } from './backtest.repository';
import type { StartBacktestInput } from './backtest.schemas';

const DAY_MS = 86_400_000;
const flowNotFound = () => notFound('flow', 'FLOW_NOT_FOUND');
const backtestNotFound = () => notFound('backtest', 'BACKTEST_NOT_FOUND');

/** The job id of a backtest's n-th slice (no `:`: BullMQ refuses it). */
export const backtestJobId = (id: string, slice: number) => `backtest_${id}_${slice}`;

export function backtestView(row: BacktestRow) {
  const total = row.visitors_total;
  const fraction =
    row.status === 'completed' ? 1 : total ? Math.min(1, row.visitors_done / total) : total === 0 ? 1 : 0;
  return {
    id: row.id,
    flowId: row.flow_id,
    version: row.flow_version,
    from: row.window_from,
    to: row.window_to,
    status: row.status,
    progress: {
      visitorsDone: row.visitors_done,
      visitorsTotal: total,
      eventsDone: Number(row.events_done),
      fraction,
    },
    result: row.result,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Starts, reads and cancels backtests; the replay itself is the `BacktestRun` job (backtest.handler.ts). */
@Injectable()
export class BacktestService {
  constructor(
    private readonly backtests: BacktestRepository,
    private readonly flows: FlowRepository,
    private readonly versions: FlowVersionRepository,
    private readonly queue: JobQueueService,
  ) {}

  async start(siteId: string, flowId: string, input: StartBacktestInput, userId: string | null) {
    const flow = await this.flows.get(siteId, flowId);
    if (!flow) throw flowNotFound();
    const { graph, settings } = await this.definition(siteId, flowId, input.version, flow.draft);
    const to = input.to ? new Date(input.to) : new Date();
    const from = input.from ? new Date(input.from) : new Date(to.getTime() - (input.days ?? 7) * DAY_MS);
    const row = await this.backtests.insert(siteId, {
      flowId,
      version: input.version === 'draft' ? null : input.version,
      graph,
      settings,
      from,
      to,
      createdBy: userId,
    });
    if (!row)
      throw conflict('BACKTEST_RUNNING', 'flow: a backtest of this flow is already queued or running');
    await this.queue.enqueue(
      JobName.BacktestRun,
      { siteId, backtestId: row.id },
      { jobId: backtestJobId(row.id, 0) },
    );
    return backtestView(row);
  }

  async get(siteId: string, flowId: string, id: string) {
    const row = await this.backtests.get(siteId, flowId, id);
    if (!row) throw backtestNotFound();
    return backtestView(row);
  }

  async list(siteId: string, flowId: string) {
    if (!(await this.flows.exists(siteId, flowId))) throw flowNotFound();
    return (await this.backtests.list(siteId, flowId, 20)).map(backtestView);
  }

  /** Cancels a queued or running backtest (its next slice stops); an ended one answers 409. */
  async cancel(siteId: string, flowId: string, id: string) {
    if (await this.backtests.cancel(siteId, flowId, id, new Date())) return this.get(siteId, flowId, id);
    const row = await this.backtests.get(siteId, flowId, id);
    if (!row) throw backtestNotFound();
    throw conflict('BACKTEST_ENDED', `backtest: already ${row.status}`);
  }

  private async definition(
    siteId: string,
    flowId: string,
    version: StartBacktestInput['version'],
    draft: { graph: unknown; settings: unknown },
  ): Promise<{ graph: FlowGraph; settings: FlowSettings }> {
    if (version !== 'draft') {
      const row = await this.versions.get(siteId, flowId, version);
      if (!row) throw notFound('flow version', 'VERSION_NOT_FOUND');
      return { graph: row.graph, settings: row.settings };
    }
    // The draft must be a runnable flow (references to CTAs and endpoints are not needed: nothing is sent).
    const errors = validateFlow(draft.graph, draft.settings);
    const graph = FlowGraphSchema.safeParse(draft.graph);
    const settings = FlowSettingsSchema.safeParse(draft.settings);
    if (errors.length > 0 || !graph.success || !settings.success)
      throw new AppError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'FLOW_INVALID',
        `draft: ${errors[0]?.message ?? 'does not parse'}`,
        { errors },
      );
    return { graph: graph.data, settings: settings.data };
  }
}
