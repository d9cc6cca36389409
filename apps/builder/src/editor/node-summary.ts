/** One line per node kind for the canvas; the switch is exhaustive so a new kind fails to compile here. */
import type { ConditionRule, FlowNode, PropertyFilter, RuleGroup } from '@nudgeflow/flow-schema';

const MAX = 70;

export function nodeSummary(node: FlowNode): string {
  return clip(summarize(node));
}

function summarize(node: FlowNode): string {
  switch (node.type) {
    case 'trigger_event':
      return node.config.event
        ? `When “${node.config.event}”${filters(node.config.filters)}`
        : 'Pick an event';
    case 'trigger_page_visit': {
      const rules = node.config.urlRules ?? [];
      if (rules.length === 0) return 'Any page';
      const first = rules[0];
      const rest = rules.length > 1 ? ` +${rules.length - 1}` : '';
      return first
        ? `${first.target} ${first.operator.replace('_', ' ')} “${first.value}”${rest}`
        : 'Any page';
    }
    case 'trigger_cta_interaction':
      return node.config.ctaId ? `CTA ${node.config.ctaId} ${node.config.interaction}` : 'Pick a CTA';
    case 'trigger_visitor_identified':
      return 'When a visitor is identified';
    case 'trigger_trait_changed':
      return node.config.traitKey ? `When trait “${node.config.traitKey}” changes` : 'Pick a trait';
    case 'trigger_inbound_webhook':
      return node.config.hookId ? `Hook ${node.config.hookId}` : 'Pick an inbound webhook';
    case 'condition':
      return group(node.config.group);
    case 'split':
      return node.config.branches
        .map((branch) => `${branch.label ?? branch.id} ${branch.weight}`)
        .join(' / ');
    case 'wait':
      return node.config.mode === 'duration'
        ? `Wait ${node.config.duration.amount} ${node.config.duration.unit}`
        : `Until ${node.config.window.days.join(', ')} ${node.config.window.from}–${node.config.window.to}`;
    case 'wait_for_event':
      return node.config.event
        ? `“${node.config.event}” within ${node.config.timeout.amount} ${node.config.timeout.unit}`
        : 'Pick an event to wait for';
    case 'goal':
      return node.config.event ? `Converts on “${node.config.event}”` : 'Pick a conversion event';
    case 'exit':
      return 'End of the flow';
    case 'show_cta':
      return node.config.ctaId ? `Show CTA ${node.config.ctaId}` : 'Pick a CTA';
    case 'send_webhook':
      return node.config.endpointId ? `POST to ${node.config.endpointId}` : 'Pick an endpoint';
    case 'update_visitor': {
      const config = node.config;
      const parts = [
        ...(config.setTraits ?? []).map((trait) => `${trait.key}=`),
        ...(config.unsetTraits ?? []).map((key) => `−${key}`),
        ...(config.addTags ?? []).map((tag) => `+#${tag}`),
        ...(config.removeTags ?? []).map((tag) => `−#${tag}`),
      ];
      return parts.length ? parts.join(' ') : 'Nothing to change yet';
    }
    case 'send_email':
      return node.config.subject ? `“${node.config.subject}”` : 'Write a subject';
    case 'notify':
      return node.config.text || 'Write a message';
    default: {
      const unknownNode: never = node;
      return (unknownNode as { type: string }).type;
    }
  }
}

function filters(list: readonly PropertyFilter[] | undefined): string {
  return list && list.length ? ` (${list.length} filter${list.length > 1 ? 's' : ''})` : '';
}

function group(value: RuleGroup): string {
  const rules = value.rules ?? [];
  if (rules.length === 0) return 'No rules';
  const first = rules[0] as ConditionRule | RuleGroup;
  const text = first.kind === 'group' ? `(${group(first)})` : rule(first);
  return rules.length > 1 ? `${text} ${value.combinator.toUpperCase()} +${rules.length - 1}` : text;
}

function rule(value: ConditionRule): string {
  const subject = value.key ? `${value.source}.${value.key}` : value.source;
  const operand =
    value.value === undefined
      ? ''
      : ` ${Array.isArray(value.value) ? value.value.join('|') : String(value.value)}`;
  return `${subject} ${value.operator}${operand}`;
}

function clip(text: string): string {
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
