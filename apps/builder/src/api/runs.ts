/**
 * Every call of the runs API (issue #5: runs of a flow, a run's timeline, dead letter) lives here.
 * Shapes follow apps/api/src/runtime/runs.service.ts.
 */
import { api, enc } from './client';

export const RUN_STATUSES = [
  'pending',
  'running',
  'waiting',
  'completed',
  'converted',
  'exited',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunSummary {
  id: string;
  flowId: string;
  version: number;
  visitorId: string;
  status: RunStatus;
  triggerEventId: string | null;
  triggerNodeId: string | null;
  waitingAt: string | null;
  nextStepAt: string | null;
  error: { code: string; message: string; nodeId: string | null } | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export type EffectStatus = 'none' | 'pending' | 'done' | 'failed' | 'skipped' | 'cancelled';

/** What woke a step: the trigger, a timer or timeout, a visitor event, or a dead-letter resume. */
export type StepInput =
  | { kind: 'start'; eventId: string }
  | { kind: 'timer' | 'timeout'; nodeId: string }
  | { kind: 'event'; eventId: string; event: string }
  | { kind: 'resume' };

export interface RunStep {
  nodeId: string;
  nodeType: string;
  iteration: number;
  input: StepInput | null;
  output: string | null;
  /** The engine's effect (`kind`: an action's node type, see `EffectPayloads` in libs/flow-schema). */
  effect: ({ kind: string } & Record<string, unknown>) | null;
  effectStatus: EffectStatus;
  effectResult: Record<string, unknown> | null;
  attempts: number;
  error: string | null;
  skipped: string | null;
  at: string;
  completedAt: string | null;
}

export interface RunDetail extends RunSummary {
  state: unknown;
  timeline: RunStep[];
}

export interface RunFilter {
  status?: RunStatus;
  visitorId?: string;
  version?: number;
  before?: string;
  limit?: number;
}

export function runsQuery(filter: RunFilter): string {
  const params = new URLSearchParams();
  if (filter.status) params.set('status', filter.status);
  if (filter.visitorId) params.set('visitorId', filter.visitorId);
  if (filter.version) params.set('version', String(filter.version));
  if (filter.before) params.set('before', filter.before);
  if (filter.limit) params.set('limit', String(filter.limit));
  const query = params.toString();
  return query ? `?${query}` : '';
}

const site = (siteId: string) => `/api/sites/${enc(siteId)}`;

export const runsApi = {
  list: (siteId: string, flowId: string, filter: RunFilter, signal?: AbortSignal) =>
    api.get<{ runs: RunSummary[]; next: string | null }>(
      `${site(siteId)}/flows/${enc(flowId)}/runs${runsQuery(filter)}`,
      signal,
    ),
  get: (siteId: string, runId: string) => api.get<RunDetail>(`${site(siteId)}/runs/${enc(runId)}`),
  deadLetter: (siteId: string, flowId?: string) =>
    api.get<{ runs: RunSummary[] }>(
      `${site(siteId)}/runs/dead-letter${flowId ? `?flowId=${enc(flowId)}` : ''}`,
    ),
  cancel: (siteId: string, runId: string) =>
    api.post<RunSummary>(`${site(siteId)}/runs/${enc(runId)}/cancel`),
  retry: (siteId: string, runId: string) => api.post<RunSummary>(`${site(siteId)}/runs/${enc(runId)}/retry`),
  skip: (siteId: string, runId: string) => api.post<RunSummary>(`${site(siteId)}/runs/${enc(runId)}/skip`),
};
