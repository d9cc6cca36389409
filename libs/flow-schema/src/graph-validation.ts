import { z } from 'zod';
import {
  FlowGraph,
  FlowNode,
  FlowNodeSchema,
  FlowSettingsSchema,
  LooseFlowGraphSchema,
  NODE_TYPES,
  NodeType,
} from './flow-graph.schema';
import { FlowRefs, REF_KIND_KEYS, RefKind, nodeRefs } from './flow-refs';
import {
  incomingEdgeOf,
  isNodeType,
  NODE_REGISTRY,
  nodeCategory,
  outputHandleDefinitions,
  outputHandles,
  TemplateField,
} from './node-registry';
import { TemplateMode, parseTemplate } from './template-syntax';
import { unknownTemplateVariables } from './template-variables';

export const FLOW_ERROR_CODES = [
  'INVALID_GRAPH',
  'INVALID_SETTINGS',
  'INVALID_NODE',
  'INVALID_CONFIG',
  'INVALID_TEMPLATE',
  'UNKNOWN_NODE_TYPE',
  'DUPLICATE_ID',
  'NO_TRIGGER',
  'DANGLING_EDGE',
  'INVALID_HANDLE',
  'HANDLE_ALREADY_CONNECTED',
  'TRIGGER_HAS_INPUT',
  'GOAL_HAS_INPUT',
  'UNREACHABLE_NODE',
  'OUTPUT_NOT_CONNECTED',
  'CYCLE_WITHOUT_WAIT',
  'UNKNOWN_CTA',
  'UNKNOWN_WEBHOOK_ENDPOINT',
  'UNKNOWN_EMAIL_SENDER',
  'UNKNOWN_NOTIFY_ENDPOINT',
  'UNKNOWN_INBOUND_HOOK',
  'UNKNOWN_TEMPLATE_VARIABLE',
] as const;
export type FlowErrorCode = (typeof FLOW_ERROR_CODES)[number];

export interface FlowValidationError {
  code: FlowErrorCode;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** Output handle concerned, for OUTPUT_NOT_CONNECTED / INVALID_HANDLE / HANDLE_ALREADY_CONNECTED. */
  handle?: string;
  /** Path inside the validated value, e.g. `['nodes', 2, 'config', 'group', 'rules', 0, 'value']`. */
  path?: Array<string | number>;
}

const UNKNOWN_REF_CODES: Record<RefKind, FlowErrorCode> = {
  cta: 'UNKNOWN_CTA',
  webhook_endpoint: 'UNKNOWN_WEBHOOK_ENDPOINT',
  email_sender: 'UNKNOWN_EMAIL_SENDER',
  notify_endpoint: 'UNKNOWN_NOTIFY_ENDPOINT',
  inbound_hook: 'UNKNOWN_INBOUND_HOOK',
};

const REF_LABELS: Record<RefKind, string> = {
  cta: 'CTA',
  webhook_endpoint: 'webhook endpoint',
  email_sender: 'email sender',
  notify_endpoint: 'notification endpoint',
  inbound_hook: 'inbound webhook',
};

function issuePath(issue: z.core.$ZodIssue): Array<string | number> {
  return issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
}

/**
 * A loop is only allowed when it passes through a node that always suspends the run (the kind's
 * `breaksCycles` in the registry: a duration wait, a wait for an event).
 */
export function isCycleBreaker(node: FlowNode): boolean {
  const breaks = NODE_REGISTRY[node.type].breaksCycles as (config: FlowNode['config']) => boolean;
  return breaks(node.config);
}

function isTriggerTypeName(type: string): boolean {
  return isNodeType(type) && nodeCategory(type) === 'trigger';
}

/**
 * The config fields of each node kind that hold a template, with how they render (the registry's
 * `templates`). The builder offers the variable catalogue on these fields.
 */
export const TEMPLATE_FIELDS: Record<NodeType, readonly TemplateField[]> = Object.fromEntries(
  NODE_TYPES.map((type) => [type, NODE_REGISTRY[type].templates]),
) as unknown as Record<NodeType, readonly TemplateField[]>;

/** Whether a form field (`setTraits.2.value`) of a node kind holds a template. */
export function isTemplateField(type: string, name: string): boolean {
  const parts = name.split('.');
  return (isNodeType(type) ? TEMPLATE_FIELDS[type] : []).some(({ field }) => {
    const pattern = field.split('.');
    return (
      pattern.length === parts.length &&
      pattern.every((p, i) => p === parts[i] || (p === '*' && /^\d+$/.test(parts[i])))
    );
  });
}

function templatesOf(
  node: FlowNode,
): Array<{ field: Array<string | number>; template: string; mode: TemplateMode }> {
  const found: Array<{ field: Array<string | number>; template: string; mode: TemplateMode }> = [];
  const walk = (value: unknown, pattern: string[], path: Array<string | number>, mode: TemplateMode) => {
    if (pattern.length === 0) {
      if (typeof value === 'string') found.push({ field: path, template: value, mode });
      return;
    }
    const [head, ...rest] = pattern;
    if (head === '*') {
      if (Array.isArray(value)) value.forEach((item, i) => walk(item, rest, [...path, i], mode));
    } else if (typeof value === 'object' && value !== null) {
      walk((value as Record<string, unknown>)[head], rest, [...path, head], mode);
    }
  };
  for (const { field, mode } of TEMPLATE_FIELDS[node.type]) walk(node.config, field.split('.'), [], mode);
  return found;
}

function toSet(ids: Iterable<string> | undefined): ReadonlySet<string> | undefined {
  return ids === undefined ? undefined : new Set(ids);
}

/**
 * Checks a whole flow before publishing. Takes unknown input so the API can pass request bodies
 * straight in; returns every problem found, each with a stable code and the node/edge it concerns.
 */
export function validateFlow(graph: unknown, settings?: unknown, refs?: FlowRefs): FlowValidationError[] {
  const errors: FlowValidationError[] = [];
  const loose = LooseFlowGraphSchema.safeParse(graph);
  if (!loose.success) {
    return loose.error.issues.map((issue) => ({
      code: 'INVALID_GRAPH',
      message: issue.message,
      path: issuePath(issue),
    }));
  }

  if (settings !== undefined) {
    const parsedSettings = FlowSettingsSchema.safeParse(settings);
    if (!parsedSettings.success) {
      for (const issue of parsedSettings.error.issues) {
        errors.push({
          code: 'INVALID_SETTINGS',
          message: issue.message,
          path: ['settings', ...issuePath(issue)],
        });
      }
    }
  }

  const { nodes, edges } = loose.data;
  const refSets = new Map<RefKind, ReadonlySet<string> | undefined>();
  for (const [kind, key] of Object.entries(REF_KIND_KEYS) as Array<[RefKind, keyof FlowRefs]>) {
    refSets.set(kind, toSet(refs?.[key]));
  }

  const nodeIndex = new Map<string, number>();
  const typed = new Map<string, FlowNode>();
  nodes.forEach((node, index) => {
    if (nodeIndex.has(node.id)) {
      errors.push({
        code: 'DUPLICATE_ID',
        message: `Node id "${node.id}" is used more than once`,
        nodeId: node.id,
        path: ['nodes', index, 'id'],
      });
      return;
    }
    nodeIndex.set(node.id, index);
    if (!isNodeType(node.type)) {
      errors.push({
        code: 'UNKNOWN_NODE_TYPE',
        message: `Unknown node type "${node.type}"`,
        nodeId: node.id,
        path: ['nodes', index, 'type'],
      });
      return;
    }
    const parsed = FlowNodeSchema.safeParse(node);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issuePath(issue);
        errors.push({
          code: path[0] === 'config' ? 'INVALID_CONFIG' : 'INVALID_NODE',
          message: issue.message,
          nodeId: node.id,
          path: ['nodes', index, ...path],
        });
      }
      return;
    }
    typed.set(node.id, parsed.data);
    for (const { field, template, mode } of templatesOf(parsed.data)) {
      const result = parseTemplate(template, mode);
      if (!result.ok) {
        errors.push({
          code: 'INVALID_TEMPLATE',
          message: result.message,
          nodeId: node.id,
          path: ['nodes', index, 'config', ...field],
        });
        continue;
      }
      for (const name of unknownTemplateVariables(result.nodes)) {
        errors.push({
          code: 'UNKNOWN_TEMPLATE_VARIABLE',
          message: `Unknown template variable {{${name}}} (see the variable list of this field)`,
          nodeId: node.id,
          path: ['nodes', index, 'config', ...field],
        });
      }
    }
    for (const ref of nodeRefs(parsed.data)) {
      const known = refSets.get(ref.kind);
      if (known && !known.has(ref.id)) {
        errors.push({
          code: UNKNOWN_REF_CODES[ref.kind],
          message: `Unknown ${REF_LABELS[ref.kind]} "${ref.id}"`,
          nodeId: node.id,
          path: ['nodes', index, ...ref.path],
        });
      }
    }
  });

  if (!nodes.some((node) => isTriggerTypeName(node.type))) {
    errors.push({ code: 'NO_TRIGGER', message: 'The flow needs at least one trigger' });
  }

  const edgeIds = new Set<string>();
  const connected = new Set<string>();
  const successors = new Map<string, string[]>();
  edges.forEach((edge, index) => {
    const path = ['edges', index];
    if (edgeIds.has(edge.id)) {
      errors.push({
        code: 'DUPLICATE_ID',
        message: `Edge id "${edge.id}" is used more than once`,
        edgeId: edge.id,
        path,
      });
      return;
    }
    edgeIds.add(edge.id);
    const missing = [edge.source, edge.target].filter((id) => !nodeIndex.has(id));
    if (missing.length > 0) {
      errors.push({
        code: 'DANGLING_EDGE',
        message: `Edge points at missing node${missing.length > 1 ? 's' : ''} ${missing.map((id) => `"${id}"`).join(', ')}`,
        edgeId: edge.id,
        path,
      });
      return;
    }
    const source = typed.get(edge.source);
    if (source && !outputHandles(source).includes(edge.sourceHandle)) {
      errors.push({
        code: 'INVALID_HANDLE',
        message: `Node "${source.id}" has no output "${edge.sourceHandle}"`,
        nodeId: source.id,
        edgeId: edge.id,
        handle: edge.sourceHandle,
        path: [...path, 'sourceHandle'],
      });
      return;
    }
    const handleKey = `${edge.source}\u0000${edge.sourceHandle}`;
    if (connected.has(handleKey)) {
      errors.push({
        code: 'HANDLE_ALREADY_CONNECTED',
        message: `Output "${edge.sourceHandle}" of node "${edge.source}" already has an edge`,
        nodeId: edge.source,
        edgeId: edge.id,
        handle: edge.sourceHandle,
        path,
      });
      return;
    }
    connected.add(handleKey);
    const targetType = nodes[nodeIndex.get(edge.target) ?? 0]?.type ?? '';
    const incoming = isNodeType(targetType) ? incomingEdgeOf(targetType) : 'accepted';
    if (incoming !== 'accepted') {
      errors.push({
        code: incoming.refused,
        message: incoming.onPublish(edge.target),
        nodeId: edge.target,
        edgeId: edge.id,
        path,
      });
    }
    const list = successors.get(edge.source) ?? [];
    list.push(edge.target);
    successors.set(edge.source, list);
  });

  const reachable = new Set<string>();
  const queue = nodes.filter((node) => isTriggerTypeName(node.type)).map((node) => node.id);
  for (const id of queue) reachable.add(id);
  while (queue.length > 0) {
    const id = queue.pop() as string;
    for (const next of successors.get(id) ?? []) {
      if (!reachable.has(next)) {
        reachable.add(next);
        queue.push(next);
      }
    }
  }
  for (const [id, index] of nodeIndex) {
    const type = nodes[index]?.type ?? '';
    // A kind that takes no incoming edge (a trigger, a goal) is not reached through one.
    if (!reachable.has(id) && !(isNodeType(type) && incomingEdgeOf(type) !== 'accepted')) {
      errors.push({
        code: 'UNREACHABLE_NODE',
        message: `Node "${id}" cannot be reached from any trigger`,
        nodeId: id,
        path: ['nodes', index],
      });
    }
  }

  for (const node of typed.values()) {
    for (const handle of outputHandleDefinitions(node)) {
      if (handle.required && !connected.has(`${node.id}\u0000${handle.id}`)) {
        errors.push({
          code: 'OUTPUT_NOT_CONNECTED',
          message: `Output "${handle.label}" of node "${node.id}" must be connected`,
          nodeId: node.id,
          handle: handle.id,
          path: ['nodes', nodeIndex.get(node.id) ?? 0],
        });
      }
    }
  }

  for (const component of cyclesWithoutWait([...nodeIndex.keys()], successors, typed)) {
    const first = component[0] as string;
    errors.push({
      code: 'CYCLE_WITHOUT_WAIT',
      message: `Loop through ${component.map((id) => `"${id}"`).join(', ')} has no wait; add a duration wait or a wait for event`,
      nodeId: first,
      path: ['nodes', nodeIndex.get(first) ?? 0],
    });
  }

  return errors;
}

/** Strongly connected components (iterative Tarjan) of the graph without cycle breakers that contain a loop. */
function cyclesWithoutWait(
  ids: string[],
  successors: ReadonlyMap<string, string[]>,
  typed: ReadonlyMap<string, FlowNode>,
): string[][] {
  const order = new Map(ids.map((id, index) => [id, index]));
  const breaks = (id: string): boolean => {
    const node = typed.get(id);
    return node !== undefined && isCycleBreaker(node);
  };
  const next = (id: string): string[] =>
    breaks(id) ? [] : (successors.get(id) ?? []).filter((t) => !breaks(t));

  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;

  for (const root of ids) {
    if (index.has(root) || breaks(root)) continue;
    const work: Array<{ id: string; children: string[]; position: number }> = [];
    const open = (id: string): void => {
      index.set(id, counter);
      low.set(id, counter);
      counter += 1;
      stack.push(id);
      onStack.add(id);
      work.push({ id, children: next(id), position: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      if (frame.position < frame.children.length) {
        const child = frame.children[frame.position] as string;
        frame.position += 1;
        if (!index.has(child)) {
          open(child);
        } else if (onStack.has(child)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(child) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && next(frame.id).includes(frame.id);
        if (component.length > 1 || selfLoop) {
          component.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
          result.push(component);
        }
      }
    }
  }
  return result.sort((a, b) => (order.get(a[0] as string) ?? 0) - (order.get(b[0] as string) ?? 0));
}

export interface ConnectionRequest {
  source: string;
  /** React Flow passes null for nodes with a single unnamed handle. */
  sourceHandle?: string | null;
  target: string;
}

export type ConnectionCheck =
  | { ok: true; sourceHandle: string }
  | {
      ok: false;
      code: Extract<
        FlowErrorCode,
        | 'DANGLING_EDGE'
        | 'INVALID_HANDLE'
        | 'HANDLE_ALREADY_CONNECTED'
        | 'TRIGGER_HAS_INPUT'
        | 'GOAL_HAS_INPUT'
        | 'CYCLE_WITHOUT_WAIT'
      >;
      message: string;
    };

/** For the builder's isValidConnection: would adding this edge keep the graph publishable? */
export function canConnect(graph: FlowGraph, connection: ConnectionRequest): ConnectionCheck {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const source = byId.get(connection.source);
  const target = byId.get(connection.target);
  if (!source || !target)
    return { ok: false, code: 'DANGLING_EDGE', message: 'Both ends must be existing nodes' };
  const handles = outputHandles(source);
  const handle = connection.sourceHandle ?? (handles.length === 1 ? handles[0] : undefined);
  if (handle === undefined || !handles.includes(handle)) {
    return { ok: false, code: 'INVALID_HANDLE', message: `Node "${source.id}" has no such output` };
  }
  if (graph.edges.some((edge) => edge.source === source.id && edge.sourceHandle === handle)) {
    return {
      ok: false,
      code: 'HANDLE_ALREADY_CONNECTED',
      message: `Output "${handle}" is already connected`,
    };
  }
  const incoming = incomingEdgeOf(target.type);
  if (incoming !== 'accepted') return { ok: false, code: incoming.refused, message: incoming.onConnect };
  if (!isCycleBreaker(source) && !isCycleBreaker(target)) {
    // The new edge closes a loop without a wait if target already reaches source through non-waits.
    const seen = new Set<string>([target.id]);
    const queue = [target.id];
    while (queue.length > 0) {
      const id = queue.pop() as string;
      if (id === source.id) {
        return { ok: false, code: 'CYCLE_WITHOUT_WAIT', message: 'This would create a loop without a wait' };
      }
      for (const edge of graph.edges) {
        if (edge.source !== id || seen.has(edge.target)) continue;
        const next = byId.get(edge.target);
        if (!next || isCycleBreaker(next)) continue;
        seen.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  return { ok: true, sourceHandle: handle };
}
