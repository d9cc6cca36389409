import { Injectable } from '@nestjs/common';
import { conflict, notFound } from '../common/app-error';
import { FlowRepository } from '../flows/flow.repository';
import { RunQueueService } from './run-queue.service';
import { RunQueryRepository } from './run-query.repository';
import type { DeadLetterQuery, ListRunsQuery } from './runs.schemas';
import type { RunRow, RunStepRow } from './runtime.types';

export function runView(r: RunRow) {
  return {
    id: r.id,
    flowId: r.flow_id,
    version: r.flow_version,
    visitorId: r.visitor_id,
    status: r.status,
    triggerEventId: r.trigger_event_id,
    triggerNodeId: r.trigger_node_id,
    waitingAt: r.status === 'waiting' ? r.wait_node_id : null,
    nextStepAt: r.next_step_at,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at,
    heldOut: r.held_out,
  };
}

function stepView(s: RunStepRow) {
  return {
    nodeId: s.node_id,
    nodeType: s.node_type,
    iteration: s.iteration,
    input: s.input,
    output: s.handle,
    effect: s.effect,
    effectStatus: s.effect_status,
    effectResult: s.effect_result,
    attempts: s.attempts,
    error: s.error,
    skipped: s.skipped,
    at: s.created_at,
    completedAt: s.completed_at,
  };
}

export interface NodeCounters {
  entered: number;
  waiting: number;
  exited: Record<string, number>;
}

/** Runs API for marketers: lists, timeline, dead letter actions, and the builder's live counters. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunQueryRepository,
    private readonly queue: RunQueueService,
    private readonly flows: FlowRepository,
  ) {}

  /** An unknown or foreign flow is a 404, not an empty list (nothing tells the two apart otherwise). */
  private async assertFlow(siteId: string, flowId: string): Promise<void> {
    if (!(await this.flows.exists(siteId, flowId))) throw notFound('flow', 'FLOW_NOT_FOUND');
  }

  async list(siteId: string, flowId: string, q: ListRunsQuery) {
    await this.assertFlow(siteId, flowId);
    const rows = await this.runs.list(siteId, flowId, q);
    const last = rows.at(-1);
    return {
      runs: rows.map(runView),
      next: rows.length === q.limit && last ? last.created_at.toISOString() : null,
    };
  }

  async get(siteId: string, runId: string) {
    const run = await this.runs.get(siteId, runId);
    if (!run) throw notFound('run', 'RUN_NOT_FOUND');
    const steps = await this.runs.steps(siteId, runId);
    return { ...runView(run), state: run.state, timeline: steps.map(stepView) };
  }

  async cancel(siteId: string, runId: string) {
    const run = await this.runs.cancel(siteId, runId);
    if (!run) throw notFound('run', 'RUN_NOT_FOUND');
    if (run.status !== 'cancelled')
      throw conflict('RUN_ALREADY_ENDED', `run: already ${run.status}, nothing to cancel`);
    return runView((await this.runs.get(siteId, runId)) ?? run);
  }

  async resume(siteId: string, runId: string, mode: 'retry' | 'skip') {
    const seq = await this.runs.resumeFailed(siteId, runId, mode);
    if (seq === null) {
      const run = await this.runs.get(siteId, runId);
      if (!run) throw notFound('run', 'RUN_NOT_FOUND');
      throw conflict('RUN_NOT_RETRYABLE', `run: status ${run.status} has no failed action to ${mode}`);
    }
    await this.queue.enqueueDue(siteId, runId, seq);
    const run = await this.runs.get(siteId, runId);
    return run ? runView(run) : null;
  }

  async deadLetter(siteId: string, q: DeadLetterQuery) {
    const rows = await this.runs.failed(siteId, q.flowId, q.limit);
    return { runs: rows.map(runView) };
  }

  async stats(siteId: string, flowId: string): Promise<{ nodes: Record<string, NodeCounters> }> {
    await this.assertFlow(siteId, flowId);
    const { steps, waiting } = await this.runs.nodeStats(siteId, flowId);
    const nodes: Record<string, NodeCounters> = {};
    const node = (id: string) => (nodes[id] ??= { entered: 0, waiting: 0, exited: {} });
    for (const s of steps) {
      const n = node(s.node_id);
      n.entered += Number(s.n);
      if (s.handle !== null) n.exited[s.handle] = (n.exited[s.handle] ?? 0) + Number(s.n);
    }
    for (const w of waiting) {
      const n = node(w.node_id);
      n.waiting += Number(w.n);
      n.entered += Number(w.n);
    }
    return { nodes };
  }
}
