import {
  EventMatcher,
  FlowGraph,
  FlowNode,
  SYSTEM_EVENTS,
  ctaInteractionEventName,
  nodeCategory,
  TriggerKind,
} from '@nudgeflow/flow-schema';
import { FlowEvent } from './engine-types';
import { getPath } from './json-value';
import { matchesFilters, matchesUrlRule, parseUrl } from './rule-evaluation';

/** A trigger node (the registry's trigger kinds). */
export type TriggerNode = Extract<FlowNode, { type: TriggerKind }>;

export function isTriggerNode(node: FlowNode): node is TriggerNode {
  return nodeCategory(node.type) === 'trigger';
}

/** The event name a trigger listens to, for the runtime's per-site trigger index. */
export function triggerEventName(node: TriggerNode): string {
  switch (node.type) {
    case 'trigger_event':
      return node.config.event;
    case 'trigger_page_visit':
      return SYSTEM_EVENTS.pageView;
    case 'trigger_cta_interaction':
      return ctaInteractionEventName(node.config.interaction);
    case 'trigger_visitor_identified':
      return SYSTEM_EVENTS.identify;
    case 'trigger_trait_changed':
      return SYSTEM_EVENTS.traitChanged;
    case 'trigger_inbound_webhook':
      return SYSTEM_EVENTS.inboundWebhook;
    default: {
      const _never: never = node;
      return _never;
    }
  }
}

/**
 * Whether an event enrols a run through this trigger. System event properties: `$page` has `url`;
 * `$cta_*` has `ctaId`; `$trait_changed` has `key` (plus `previous`, `value`); `$webhook` has `hookId`.
 */
export function matchesTrigger(node: FlowNode, event: FlowEvent): boolean {
  if (!isTriggerNode(node) || event.name !== triggerEventName(node)) return false;
  const properties = event.properties ?? {};
  switch (node.type) {
    case 'trigger_event':
      return matchesFilters(node.config.filters, properties);
    case 'trigger_page_visit': {
      const url = getPath(properties, 'url');
      if (typeof url !== 'string') return false;
      const { urlRules, queryFilters } = node.config;
      if (urlRules.length > 0 && !urlRules.some((rule) => matchesUrlRule(rule, url))) return false;
      return matchesFilters(queryFilters, parseUrl(url).query);
    }
    case 'trigger_cta_interaction':
      return getPath(properties, 'ctaId') === node.config.ctaId;
    case 'trigger_visitor_identified':
      return true;
    case 'trigger_trait_changed':
      return getPath(properties, 'key') === node.config.traitKey;
    case 'trigger_inbound_webhook':
      return getPath(properties, 'hookId') === node.config.hookId;
    default: {
      const _never: never = node;
      return _never;
    }
  }
}

/** Trigger nodes of a graph that this event would enrol, in graph order. */
export function matchingTriggers(graph: FlowGraph, event: FlowEvent): TriggerNode[] {
  return graph.nodes.filter(
    (node): node is TriggerNode => isTriggerNode(node) && matchesTrigger(node, event),
  );
}

export function matchesEventMatcher(matcher: EventMatcher, event: FlowEvent): boolean {
  return event.name === matcher.event && matchesFilters(matcher.filters, event.properties ?? {});
}
