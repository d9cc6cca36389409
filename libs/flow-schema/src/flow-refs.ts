import { FlowGraph, FlowNode } from './flow-graph.schema';
import { NODE_REGISTRY } from './node-registry';

export const REF_KINDS = [
  'cta',
  'webhook_endpoint',
  'email_sender',
  'notify_endpoint',
  'inbound_hook',
] as const;
export type RefKind = (typeof REF_KINDS)[number];

export interface FlowRef {
  kind: RefKind;
  id: string;
  nodeId: string;
  /** Path of the field inside the node, e.g. `['config', 'ctaId']`. */
  path: string[];
}

/** Ids of site resources known to exist; a missing set means "do not check this kind". */
export interface FlowRefs {
  ctaIds?: Iterable<string>;
  webhookEndpointIds?: Iterable<string>;
  emailSenderIds?: Iterable<string>;
  notifyEndpointIds?: Iterable<string>;
  inboundHookIds?: Iterable<string>;
}

export const REF_KIND_KEYS: Record<RefKind, keyof FlowRefs> = {
  cta: 'ctaIds',
  webhook_endpoint: 'webhookEndpointIds',
  email_sender: 'emailSenderIds',
  notify_endpoint: 'notifyEndpointIds',
  inbound_hook: 'inboundHookIds',
};

/** The references a node holds, from its kind's `refs` in the registry. */
export function nodeRefs(node: FlowNode): FlowRef[] {
  const config = node.config as Record<string, unknown>;
  const refs: readonly { field: string; kind: RefKind }[] = NODE_REGISTRY[node.type].refs;
  return refs.map(({ field, kind }) => ({
    kind,
    id: config[field] as string,
    nodeId: node.id,
    path: ['config', field],
  }));
}

/** Every site resource a graph references, so the API can check them or remap template placeholders. */
export function collectRefs(graph: FlowGraph): FlowRef[] {
  return graph.nodes.flatMap(nodeRefs);
}

/** Replaces referenced ids, e.g. a template's placeholder CTA id with a real one. Unmapped ids stay. */
export function remapRefs(
  graph: FlowGraph,
  mapping: Partial<Record<RefKind, Record<string, string>>>,
): FlowGraph {
  const remap = (kind: RefKind, id: string): string => mapping[kind]?.[id] ?? id;
  const nodes = graph.nodes.map((node): FlowNode => {
    const refs: readonly { field: string; kind: RefKind }[] = NODE_REGISTRY[node.type].refs;
    if (refs.length === 0) return node;
    const config: Record<string, unknown> = { ...node.config };
    for (const { field, kind } of refs) config[field] = remap(kind, config[field] as string);
    return { ...node, config } as FlowNode;
  });
  return { nodes, edges: graph.edges };
}
