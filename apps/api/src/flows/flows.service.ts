import { HttpStatus, Injectable } from '@nestjs/common';
import {
  DEFAULT_FLOW_SETTINGS,
  diffGraphs,
  findFlowTemplate,
  FlowDocument,
  FlowGraph,
  FlowGraphSchema,
  FlowNodeSchema,
  FlowSettings,
  FlowSettingsSchema,
  FlowValidationError,
  GraphDiff,
  LooseFlowGraph,
  parseFlowDocument,
  serializeFlowDocument,
  validateFlow,
} from '@nudgeflow/flow-schema';
import { AppError, conflict, notFound } from '../common/app-error';
import { InvalidationBus } from '../redis/invalidation-bus';
import { FlowLiveRuns, FlowRunTotals } from './flow-activity';
import { FlowRefsProvider, refsOfDraft } from './flow-refs.provider';
import { FlowDraft, FlowRepository, FlowRow, FlowStatus, FlowSummaryRow } from './flow.repository';
import {
  ArchiveInput,
  CreateFlowInput,
  DuplicateInput,
  MAX_DRAFT_BYTES,
  PublishInput,
  SaveDraftInput,
} from './flow.schemas';
import { FlowVersionRepository, FlowVersionSummaryRow } from './flow-version.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

/** Runtime workers drop their per-site trigger index when this topic fires. */

export interface FlowSummaryView {
  id: string;
  name: string;
  status: FlowStatus;
  revision: number;
  publishedVersion: number | null;
  archivedExitRuns: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Visitors who entered / converted, over every version (list only; from the rollups, seconds behind). */
  counts?: { entered: number; converted: number };
}

export interface FlowDetailView extends FlowSummaryView {
  draft: FlowDraft;
}

export interface FlowVersionView {
  version: number;
  note: string | null;
  publishedAt: Date;
  publishedBy: { id: string; name: string | null; email: string | null } | null;
}

/** `draft` or a version number, for diffs. */
export type GraphSide = 'draft' | number;

const toSummary = (f: FlowSummaryRow): FlowSummaryView => ({
  id: f.id,
  name: f.name,
  status: f.status,
  revision: f.revision,
  publishedVersion: f.published_version,
  archivedExitRuns: f.archived_exit_runs,
  createdAt: f.created_at,
  updatedAt: f.updated_at,
});

const toDetail = (f: FlowRow): FlowDetailView => ({ ...toSummary(f), draft: f.draft });

const toVersionView = (v: FlowVersionSummaryRow): FlowVersionView => ({
  version: v.version,
  note: v.note,
  publishedAt: v.published_at,
  publishedBy: v.published_by
    ? { id: v.published_by, name: v.publisher_name, email: v.publisher_email }
    : null,
});

const flowNotFound = () => notFound('flow', 'FLOW_NOT_FOUND');
const versionNotFound = () => notFound('flow version', 'VERSION_NOT_FOUND');

const invalid = (errors: FlowValidationError[]) =>
  new AppError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'FLOW_INVALID',
    `flow has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0]?.message ?? ''}`,
    { errors },
  );

function checkSize(draft: FlowDraft): void {
  if (Buffer.byteLength(JSON.stringify(draft)) > MAX_DRAFT_BYTES) {
    throw new AppError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'FLOW_TOO_LARGE',
      `graph: a flow may take at most ${MAX_DRAFT_BYTES / 1024} KB of JSON`,
    );
  }
}

@Injectable()
export class FlowsService {
  constructor(
    private readonly flows: FlowRepository,
    private readonly versions: FlowVersionRepository,
    private readonly refs: FlowRefsProvider,
    private readonly bus: InvalidationBus,
    private readonly liveRuns: FlowLiveRuns,
    private readonly runTotals: FlowRunTotals,
  ) {}

  /** Entered/converted come from the daily run rollups (analytics), never from scanning runs. */
  async list(siteId: string): Promise<FlowSummaryView[]> {
    const [flows, totals] = await Promise.all([
      this.flows.list(siteId),
      this.runTotals.flowRunTotals(siteId),
    ]);
    return flows.map((f) => ({
      ...toSummary(f),
      counts: totals.get(f.id) ?? { entered: 0, converted: 0 },
    }));
  }

  async get(siteId: string, flowId: string): Promise<FlowDetailView> {
    return toDetail(await this.mustGet(siteId, flowId));
  }

  /** From a template (its placeholder refs stay until the marketer picks real CTAs) or blank. */
  async create(siteId: string, input: CreateFlowInput, userId: string | null): Promise<FlowDetailView> {
    let draft: FlowDraft = { graph: { nodes: [], edges: [] }, settings: DEFAULT_FLOW_SETTINGS };
    if (input.templateId !== undefined) {
      const template = findFlowTemplate(input.templateId);
      if (!template) {
        throw new AppError(HttpStatus.BAD_REQUEST, 'UNKNOWN_TEMPLATE', 'templateId: no such template', {
          path: 'templateId',
        });
      }
      draft = { graph: template.graph, settings: template.settings };
    }
    return toDetail(await this.flows.insert(siteId, { name: input.name, draft, createdBy: userId }));
  }

  async saveDraft(
    siteId: string,
    flowId: string,
    input: SaveDraftInput,
  ): Promise<{ revision: number; updatedAt: Date }> {
    const draft: FlowDraft = { graph: input.graph, settings: input.settings };
    checkSize(draft);
    const saved = await this.flows.saveDraft(siteId, flowId, input.revision, draft, input.name);
    if (saved) return { revision: saved.revision, updatedAt: saved.updated_at };
    const currentRevision = await this.flows.currentRevision(siteId, flowId);
    if (currentRevision === undefined) throw flowNotFound();
    throw conflict(
      'REVISION_CONFLICT',
      `revision: the draft is at revision ${currentRevision}, not ${input.revision}; reload it`,
      { currentRevision },
    );
  }

  /** Publish rules on the stored draft, including whether referenced resources exist in this site. */
  async validate(siteId: string, flowId: string): Promise<{ errors: FlowValidationError[] }> {
    const flow = await this.mustGet(siteId, flowId);
    return { errors: await this.check(siteId, flow.draft.graph, flow.draft.settings) };
  }

  async publish(
    siteId: string,
    flowId: string,
    input: PublishInput,
    userId: string | null,
  ): Promise<{ version: number }> {
    const flow = await this.mustGet(siteId, flowId);
    if (flow.status === 'archived') throw this.archived();
    const { graph, settings } = await this.validated(siteId, flow.draft.graph, flow.draft.settings);
    const version = await this.versions.publish(siteId, flowId, {
      expectedRevision: flow.revision,
      graph,
      settings,
      note: input.note || null,
      publishedBy: userId,
    });
    if (version === undefined) {
      const current = await this.flows.get(siteId, flowId);
      if (!current) throw flowNotFound();
      if (current.status === 'archived') throw this.archived();
      throw conflict('REVISION_CONFLICT', 'revision: the draft changed while publishing; try again', {
        currentRevision: current.revision,
      });
    }
    await this.bus.publish(InvalidationTopic.Flows, siteId);
    return { version };
  }

  async pause(siteId: string, flowId: string): Promise<FlowSummaryView> {
    return this.move(siteId, flowId, ['live', 'paused'], 'paused');
  }

  async resume(siteId: string, flowId: string): Promise<FlowSummaryView> {
    return this.move(siteId, flowId, ['paused', 'live'], 'live');
  }

  /** `exitRuns` is stored for the runtime, which ends the flow's waiting runs when it is set. */
  async archive(siteId: string, flowId: string, input: ArchiveInput): Promise<FlowSummaryView> {
    const row = await this.flows.transition(
      siteId,
      flowId,
      ['draft', 'live', 'paused', 'archived'],
      'archived',
      input.exitRuns ?? false,
    );
    if (!row) throw flowNotFound();
    await this.bus.publish(InvalidationTopic.Flows, siteId);
    return toSummary(row);
  }

  /** A new draft flow with the same draft; versions and status are not copied. */
  async duplicate(
    siteId: string,
    flowId: string,
    input: DuplicateInput,
    userId: string | null,
  ): Promise<FlowDetailView> {
    const source = await this.mustGet(siteId, flowId);
    const name = input.name ?? `${source.name} (copy)`.slice(0, 200);
    return toDetail(await this.flows.insert(siteId, { name, draft: source.draft, createdBy: userId }));
  }

  async remove(siteId: string, flowId: string): Promise<void> {
    await this.mustGet(siteId, flowId);
    if (await this.liveRuns.hasLiveRuns(siteId, flowId)) {
      throw conflict('FLOW_HAS_RUNS', 'flow: it still has live runs; archive it with exitRuns first');
    }
    try {
      if (!(await this.flows.delete(siteId, flowId))) throw flowNotFound();
    } catch (err) {
      // Ended runs still pin versions through a foreign key: history is kept, the flow is not deleted.
      if ((err as { code?: string }).code === '23503') {
        throw conflict('FLOW_HAS_RUNS', 'flow: it has runs; archive it instead');
      }
      throw err;
    }
    await this.bus.publish(InvalidationTopic.Flows, siteId);
  }

  async listVersions(siteId: string, flowId: string): Promise<FlowVersionView[]> {
    await this.mustGet(siteId, flowId);
    return (await this.versions.list(siteId, flowId)).map(toVersionView);
  }

  async getVersion(siteId: string, flowId: string, version: number) {
    const row = await this.versions.get(siteId, flowId, version);
    if (!row) {
      await this.mustGet(siteId, flowId);
      throw versionNotFound();
    }
    return { ...toVersionView(row), graph: row.graph, settings: row.settings };
  }

  async diff(siteId: string, flowId: string, a: GraphSide, b: GraphSide): Promise<GraphDiff> {
    const [before, after] = await Promise.all([
      this.graphOf(siteId, flowId, a),
      this.graphOf(siteId, flowId, b),
    ]);
    return diffGraphs(before, after);
  }

  /** Publishes an old version again (validated against today's site resources) as a new version. */
  async rollback(
    siteId: string,
    flowId: string,
    version: number,
    input: PublishInput,
    userId: string | null,
  ): Promise<{ version: number; revision: number }> {
    const flow = await this.mustGet(siteId, flowId);
    if (flow.status === 'archived') throw this.archived();
    const old = await this.versions.get(siteId, flowId, version);
    if (!old) throw versionNotFound();
    await this.validated(siteId, old.graph, old.settings);
    const result = await this.versions.rollback(siteId, flowId, version, {
      note: input.note || `Rollback to version ${version}`,
      publishedBy: userId,
    });
    if (!result) throw flowNotFound();
    await this.bus.publish(InvalidationTopic.Flows, siteId);
    return result;
  }

  /** Flows as code: the draft (or a published version) as a stable, sorted JSON document. */
  async exportDocument(siteId: string, flowId: string, version?: number): Promise<string> {
    const flow = await this.mustGet(siteId, flowId);
    let graph: FlowGraph;
    let settings: FlowSettings;
    if (version !== undefined) {
      const row = await this.versions.get(siteId, flowId, version);
      if (!row) throw versionNotFound();
      ({ graph, settings } = row);
    } else {
      // A draft that does not parse yet is exported as it is; importing it reports the problems.
      const g = FlowGraphSchema.safeParse(flow.draft.graph);
      const s = FlowSettingsSchema.safeParse(flow.draft.settings);
      graph = g.success ? g.data : (flow.draft.graph as FlowGraph);
      settings = s.success ? s.data : (flow.draft.settings as FlowSettings);
    }
    return serializeFlowDocument({ name: flow.name, settings, graph });
  }

  /**
   * Same checks as publishing, except that referenced CTAs/endpoints are not looked up: their ids
   * belong to the exporting site, and the imported draft is where the marketer picks this site's.
   */
  async importDocument(siteId: string, body: unknown, userId: string | null): Promise<FlowDetailView> {
    const parsed = parseFlowDocument(body);
    if (!parsed.ok) {
      const first = parsed.errors[0];
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'FLOW_DOCUMENT_INVALID',
        `${first?.path?.join('.') || 'body'}: ${first?.message ?? 'not a flow document'}`,
        { path: first?.path?.join('.'), errors: parsed.errors },
      );
    }
    const document: FlowDocument = parsed.document;
    const draft: FlowDraft = { graph: document.graph, settings: document.settings };
    checkSize(draft);
    const errors = validateFlow(document.graph, document.settings);
    if (errors.length > 0) throw invalid(errors);
    return toDetail(await this.flows.insert(siteId, { name: document.name, draft, createdBy: userId }));
  }

  private async check(siteId: string, graph: unknown, settings: unknown): Promise<FlowValidationError[]> {
    const structural = validateFlow(graph, settings);
    if (structural.some((e) => e.code === 'INVALID_GRAPH')) return structural;
    const refs = await this.refs.refsFor(siteId, refsOfDraft(graph as LooseFlowGraph));
    return validateFlow(graph, settings, refs);
  }

  private async validated(
    siteId: string,
    graph: unknown,
    settings: unknown,
  ): Promise<{ graph: FlowGraph; settings: FlowSettings }> {
    const errors = await this.check(siteId, graph, settings);
    if (errors.length > 0) throw invalid(errors);
    const g = FlowGraphSchema.safeParse(graph);
    const s = FlowSettingsSchema.safeParse(settings);
    if (!g.success || !s.success) {
      throw invalid([{ code: g.success ? 'INVALID_SETTINGS' : 'INVALID_GRAPH', message: 'does not parse' }]);
    }
    return { graph: g.data, settings: s.data };
  }

  private async graphOf(siteId: string, flowId: string, side: GraphSide): Promise<FlowGraph> {
    if (side === 'draft') {
      // Nodes that parse get their defaults, as on publish, so an unchanged draft diffs as identical;
      // diffGraphs only compares ids and JSON of fields, which the loose shape has.
      const { graph } = (await this.mustGet(siteId, flowId)).draft;
      const nodes = graph.nodes.map((node) => {
        const parsed = FlowNodeSchema.safeParse(node);
        return parsed.success ? parsed.data : node;
      });
      return { nodes, edges: graph.edges } as FlowGraph;
    }
    const row = await this.versions.get(siteId, flowId, side);
    if (!row) {
      await this.mustGet(siteId, flowId);
      throw versionNotFound();
    }
    return row.graph;
  }

  private async move(
    siteId: string,
    flowId: string,
    from: readonly FlowStatus[],
    to: FlowStatus,
  ): Promise<FlowSummaryView> {
    const row = await this.flows.transition(siteId, flowId, from, to);
    if (!row) {
      const flow = await this.mustGet(siteId, flowId);
      if (flow.status === 'archived') throw this.archived();
      throw conflict('FLOW_NOT_PUBLISHED', 'flow: publish it first');
    }
    await this.bus.publish(InvalidationTopic.Flows, siteId);
    return toSummary(row);
  }

  private archived(): AppError {
    return conflict('FLOW_ARCHIVED', 'flow: it is archived; duplicate it to work on it again');
  }

  private async mustGet(siteId: string, flowId: string): Promise<FlowRow> {
    const flow = await this.flows.get(siteId, flowId);
    if (!flow) throw flowNotFound();
    return flow;
  }
}
