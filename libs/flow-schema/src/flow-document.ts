import { z } from 'zod';
import {
  FLOW_SCHEMA_VERSION,
  FlowDocument,
  FlowDocumentSchema,
  FlowEdge,
  FlowGraph,
  FlowNode,
} from './flow-graph.schema';

export type FlowDocumentErrorCode = 'INVALID_JSON' | 'UNSUPPORTED_SCHEMA_VERSION' | 'INVALID_DOCUMENT';

export interface FlowDocumentError {
  code: FlowDocumentErrorCode;
  message: string;
  path?: Array<string | number>;
}

export type FlowDocumentParseResult =
  { ok: true; document: FlowDocument } | { ok: false; errors: FlowDocumentError[] };

/**
 * Parses a flows-as-code document (a JSON string or an already parsed value). This checks shape and
 * per-kind configs; run `validateFlow` on the graph for publish rules (reachability, refs, loops).
 */
export function parseFlowDocument(json: unknown): FlowDocumentParseResult {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      return { ok: false, errors: [{ code: 'INVALID_JSON', message: (error as Error).message }] };
    }
  }
  if (typeof value === 'object' && value !== null && 'schemaVersion' in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (version !== FLOW_SCHEMA_VERSION) {
      return {
        ok: false,
        errors: [
          {
            code: 'UNSUPPORTED_SCHEMA_VERSION',
            message: `schemaVersion ${JSON.stringify(version)} is not supported (expected ${FLOW_SCHEMA_VERSION})`,
            path: ['schemaVersion'],
          },
        ],
      };
    }
  }
  const parsed = FlowDocumentSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue: z.core.$ZodIssue) => ({
        code: 'INVALID_DOCUMENT',
        message: issue.message,
        path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
      })),
    };
  }
  return { ok: true, document: parsed.data };
}

/** Stable JSON for flows-as-code: object keys sorted, two-space indent, trailing newline. */
export function serializeFlowDocument(
  document: Omit<FlowDocument, 'schemaVersion'> & { schemaVersion?: number },
): string {
  return `${JSON.stringify(canonicalize({ ...document, schemaVersion: FLOW_SCHEMA_VERSION }), null, 2)}\n`;
}

function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = canonicalize(item);
    }
    return sorted;
  }
  return value;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalize(a)) === JSON.stringify(canonicalize(b));
}

export type NodeChangeField = 'type' | 'config' | 'label' | 'position';
export type EdgeChangeField = 'source' | 'sourceHandle' | 'target';

export interface NodeChange {
  id: string;
  before: FlowNode;
  after: FlowNode;
  fields: NodeChangeField[];
}

export interface EdgeChange {
  id: string;
  before: FlowEdge;
  after: FlowEdge;
  fields: EdgeChangeField[];
}

export interface GraphDiff {
  nodes: { added: FlowNode[]; removed: FlowNode[]; changed: NodeChange[] };
  edges: { added: FlowEdge[]; removed: FlowEdge[]; changed: EdgeChange[] };
  /** True when the only differences are node positions (a layout-only edit). */
  layoutOnly: boolean;
  /** True when nothing differs at all. */
  identical: boolean;
}

/** Compares two graphs by node and edge id; order of the arrays does not matter. */
export function diffGraphs(a: FlowGraph, b: FlowGraph): GraphDiff {
  const nodes = diffById(a.nodes, b.nodes, ['type', 'config', 'label', 'position'] as const);
  const edges = diffById(a.edges, b.edges, ['source', 'sourceHandle', 'target'] as const);
  const identical = [nodes, edges].every((d) => d.added.length + d.removed.length + d.changed.length === 0);
  const layoutOnly =
    !identical &&
    nodes.added.length + nodes.removed.length === 0 &&
    edges.added.length + edges.removed.length + edges.changed.length === 0 &&
    nodes.changed.every((change) => change.fields.length === 1 && change.fields[0] === 'position');
  return { nodes, edges, layoutOnly, identical };
}

function diffById<T extends { id: string }, F extends keyof T & string>(
  before: readonly T[],
  after: readonly T[],
  fields: readonly F[],
): { added: T[]; removed: T[]; changed: Array<{ id: string; before: T; after: T; fields: F[] }> } {
  const beforeById = new Map(before.map((item) => [item.id, item]));
  const afterById = new Map(after.map((item) => [item.id, item]));
  const added = after.filter((item) => !beforeById.has(item.id));
  const removed = before.filter((item) => !afterById.has(item.id));
  const changed: Array<{ id: string; before: T; after: T; fields: F[] }> = [];
  for (const item of after) {
    const previous = beforeById.get(item.id);
    if (!previous) continue;
    const differing = fields.filter((field) => !sameJson(previous[field], item[field]));
    if (differing.length > 0) changed.push({ id: item.id, before: previous, after: item, fields: differing });
  }
  return { added, removed, changed };
}
