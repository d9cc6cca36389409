/**
 * Every call of the flows API (issue #4) lives here, so contract changes touch one file.
 */
import type { FlowGraph, FlowSettings, FlowValidationError, GraphDiff } from '@nudgeflow/flow-schema';
import { api, ApiError, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type FlowSummary = Schema<'FlowSummary'>;
export type FlowStatus = FlowSummary['status'];

/**
 * `GET /flows/:id`, and what create, duplicate and import answer: the summary plus the draft. The API
 * leaves the graph open in its document (its type lives in libs/flow-schema, shared with the builder).
 */
export type FlowDetail = Omit<Schema<'FlowDetail'>, 'draft'> & {
  draft: { graph: FlowGraph; settings: FlowSettings };
};

export type FlowVersionSummary = Schema<'FlowVersionSummary'>;
export type FlowVersion = Omit<Schema<'FlowVersion'>, 'graph' | 'settings'> & {
  graph: FlowGraph;
  settings: FlowSettings;
};

export type FlowTemplateSummary = Pick<Schema<'FlowTemplateSummary'>, 'id' | 'name' | 'description'>;

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
  create: (siteId: string, input: RequestBody<'/api/sites/{siteId}/flows', 'post'>) =>
    api.post<FlowDetail>(base(siteId), input),
  get: (siteId: string, flowId: string) => api.get<FlowDetail>(one(siteId, flowId)),

  /** Optimistic concurrency: a stale revision comes back as a conflict value, not a thrown error. */
  saveDraft: async (
    siteId: string,
    flowId: string,
    input: { revision: number; graph: FlowGraph; settings: FlowSettings; name?: string },
  ): Promise<SaveDraftResult> => {
    try {
      const result = await api.put<Schema<'DraftSaved'>>(`${one(siteId, flowId)}/draft`, input);
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
      const result = await api.post<Schema<'FlowPublished'>>(`${one(siteId, flowId)}/publish`, {
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
  pause: (siteId: string, flowId: string) => api.post<FlowSummary>(`${one(siteId, flowId)}/pause`),
  resume: (siteId: string, flowId: string) => api.post<FlowSummary>(`${one(siteId, flowId)}/resume`),
  archive: (siteId: string, flowId: string) => api.post<FlowSummary>(`${one(siteId, flowId)}/archive`),
  duplicate: (siteId: string, flowId: string) => api.post<FlowDetail>(`${one(siteId, flowId)}/duplicate`),

  versions: (siteId: string, flowId: string) =>
    api.get<FlowVersionSummary[]>(`${one(siteId, flowId)}/versions`),
  version: (siteId: string, flowId: string, version: number) =>
    api.get<FlowVersion>(`${one(siteId, flowId)}/versions/${version}`),
  diff: (siteId: string, flowId: string, a: number, b: number) =>
    api.get<GraphDiff>(`${one(siteId, flowId)}/versions/${a}/diff/${b}`),
  /** Publishes `version` again as a new version and makes it the draft too (a new `revision`). */
  rollback: (siteId: string, flowId: string, version: number) =>
    api.post<Schema<'FlowRolledBack'>>(`${one(siteId, flowId)}/versions/${version}/rollback`),

  templates: () => api.get<FlowTemplateSummary[]>('/api/flow-templates'),
  exportJson: (siteId: string, flowId: string) => api.get<unknown>(`${one(siteId, flowId)}/export`),
  importJson: (siteId: string, document: unknown) => api.post<FlowDetail>(`${base(siteId)}/import`, document),

  stats: (siteId: string, flowId: string, signal?: AbortSignal) =>
    api.get<FlowStats>(`${one(siteId, flowId)}/stats`, signal),
};
