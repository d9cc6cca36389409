/**
 * Every call of the flows API (issue #4) lives here, so contract changes touch one file.
 */
import type { FlowGraph, FlowSettings, FlowValidationError, GraphDiff } from '@nudgeflow/flow-schema';
import { api, ApiError, enc } from './client';

export type FlowStatus = 'draft' | 'live' | 'paused' | 'archived';

export interface FlowSummary {
  id: string;
  name: string;
  status: FlowStatus;
  revision: number;
  publishedVersion: number | null;
  archivedExitRuns?: boolean;
  createdAt?: string;
  updatedAt: string;
  /** Not in the API's list yet (the runtime's reports will add it); the list shows "—" without it. */
  counts?: { entered: number; converted: number };
}

/** `GET /flows/:id`, and what create, duplicate and import answer: the summary plus the draft. */
export interface FlowDetail extends FlowSummary {
  draft: { graph: FlowGraph; settings: FlowSettings };
}

export interface FlowVersionSummary {
  version: number;
  note?: string | null;
  publishedAt?: string;
  createdAt?: string;
  publishedBy?: string | { id?: string; name?: string | null; email?: string | null } | null;
}

export interface FlowVersion extends FlowVersionSummary {
  graph: FlowGraph;
  settings: FlowSettings;
}

export interface FlowTemplateSummary {
  id: string;
  name: string;
  description: string;
}

/** What the server says about one issue; the shape follows `FlowValidationError` loosely on purpose. */
export type FlowIssue = Pick<FlowValidationError, 'code' | 'message' | 'nodeId' | 'edgeId' | 'handle'> & {
  path?: Array<string | number> | string;
};

export interface NodeStats {
  entered: number;
  waiting: number;
  exited: Record<string, number>;
}

export interface FlowStats {
  nodes: Record<string, NodeStats>;
}

export type SaveDraftResult =
  { ok: true; revision: number } | { ok: false; conflict: true; currentRevision: number };

const base = (siteId: string) => `/api/sites/${enc(siteId)}/flows`;
const one = (siteId: string, flowId: string) => `${base(siteId)}/${enc(flowId)}`;

export const flowsApi = {
  list: (siteId: string) => api.get<FlowSummary[]>(base(siteId)),
  create: (siteId: string, input: { name: string; templateId?: string }) =>
    api.post<FlowDetail>(base(siteId), input),
  get: (siteId: string, flowId: string) => api.get<FlowDetail>(one(siteId, flowId)),

  /** Optimistic concurrency: a stale revision comes back as a conflict value, not a thrown error. */
  saveDraft: async (
    siteId: string,
    flowId: string,
    input: { revision: number; graph: FlowGraph; settings: FlowSettings; name?: string },
  ): Promise<SaveDraftResult> => {
    try {
      const result = await api.put<{ revision: number }>(`${one(siteId, flowId)}/draft`, input);
      return { ok: true, revision: result.revision };
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.code === 'REVISION_CONFLICT') {
        const body = error.body as { currentRevision?: number } | undefined;
        return { ok: false, conflict: true, currentRevision: body?.currentRevision ?? -1 };
      }
      throw error;
    }
  },

  validate: (siteId: string, flowId: string) =>
    api.post<{ errors: FlowIssue[] }>(`${one(siteId, flowId)}/validate`),

  /** A flow that fails validation comes back as `{ok: false, errors}` (422 FLOW_INVALID). */
  publish: async (
    siteId: string,
    flowId: string,
    note?: string,
  ): Promise<{ ok: true; version: number } | { ok: false; errors: FlowIssue[] }> => {
    try {
      const result = await api.post<{ version: number }>(`${one(siteId, flowId)}/publish`, {
        note: note || undefined,
      });
      return { ok: true, version: result.version };
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const body = error.body as { errors?: FlowIssue[] } | undefined;
        return { ok: false, errors: body?.errors ?? [{ code: 'INVALID_GRAPH', message: error.message }] };
      }
      throw error;
    }
  },
  pause: (siteId: string, flowId: string) => api.post<unknown>(`${one(siteId, flowId)}/pause`),
  resume: (siteId: string, flowId: string) => api.post<unknown>(`${one(siteId, flowId)}/resume`),
  archive: (siteId: string, flowId: string) => api.post<unknown>(`${one(siteId, flowId)}/archive`),
  duplicate: (siteId: string, flowId: string) => api.post<FlowDetail>(`${one(siteId, flowId)}/duplicate`),

  versions: (siteId: string, flowId: string) =>
    api.get<FlowVersionSummary[]>(`${one(siteId, flowId)}/versions`),
  version: (siteId: string, flowId: string, version: number) =>
    api.get<FlowVersion>(`${one(siteId, flowId)}/versions/${version}`),
  diff: (siteId: string, flowId: string, a: number, b: number) =>
    api.get<GraphDiff>(`${one(siteId, flowId)}/versions/${a}/diff/${b}`),
  /** Publishes `version` again as a new version and makes it the draft too (a new `revision`). */
  rollback: (siteId: string, flowId: string, version: number) =>
    api.post<{ version: number; revision: number }>(`${one(siteId, flowId)}/versions/${version}/rollback`),

  templates: () => api.get<FlowTemplateSummary[]>('/api/flow-templates'),
  exportJson: (siteId: string, flowId: string) => api.get<unknown>(`${one(siteId, flowId)}/export`),
  importJson: (siteId: string, document: unknown) => api.post<FlowDetail>(`${base(siteId)}/import`, document),

  stats: (siteId: string, flowId: string, signal?: AbortSignal) =>
    api.get<FlowStats>(`${one(siteId, flowId)}/stats`, signal),
};
