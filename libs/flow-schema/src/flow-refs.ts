import { FlowGraph, FlowNode } from './flow-graph.schema';

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

export function nodeRefs(node: FlowNode): FlowRef[] {
  const ref = (kind: RefKind, id: string, field: string): FlowRef[] => [
    { kind, id, nodeId: node.id, path: ['config', field] },
  ];
  switch (node.type) {
    case 'trigger_cta_interaction':
    case 'show_cta':
      return ref('cta', node.config.ctaId, 'ctaId');
    case 'trigger_inbound_webhook':
      return ref('inbound_hook', node.config.hookId, 'hookId');
    case 'send_webhook':
      return ref('webhook_endpoint', node.config.endpointId, 'endpointId');
    case 'send_email':
      return ref('email_sender', node.config.senderId, 'senderId');
    case 'notify':
      return ref('notify_endpoint', node.config.endpointId, 'endpointId');
    case 'trigger_event':
    case 'trigger_page_visit':
    case 'trigger_visitor_identified':
    case 'trigger_trait_changed':
    case 'condition':
    case 'split':
    case 'wait':
    case 'wait_for_event':
    case 'goal':
    case 'exit':
    case 'update_visitor':
      return [];
    default: {
      const _never: never = node;
      return _never;
    }
  }
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
    switch (node.type) {
      case 'trigger_cta_interaction':
        return { ...node, config: { ...node.config, ctaId: remap('cta', node.config.ctaId) } };
      case 'show_cta':
        return { ...node, config: { ...node.config, ctaId: remap('cta', node.config.ctaId) } };
      case 'trigger_inbound_webhook':
        return { ...node, config: { ...node.config, hookId: remap('inbound_hook', node.config.hookId) } };
      case 'send_webhook':
        return {
          ...node,
          config: { ...node.config, endpointId: remap('webhook_endpoint', node.config.endpointId) },
        };
      case 'send_email':
        return { ...node, config: { ...node.config, senderId: remap('email_sender', node.config.senderId) } };
      case 'notify':
        return {
          ...node,
          config: { ...node.config, endpointId: remap('notify_endpoint', node.config.endpointId) },
        };
      default:
        return node;
    }
  });
  return { nodes, edges: graph.edges };
}
