import type { z } from 'zod';
import { FlowNode, NodeConfig, NodeOfType, NodeType } from './flow-graph.schema';
import {
  ConditionConfigSchema,
  DEFAULT_EMAIL_TO,
  ExitConfigSchema,
  GoalConfigSchema,
  NotifyConfigSchema,
  SendEmailConfigSchema,
  SendWebhookConfigSchema,
  ShowCtaConfigSchema,
  SplitConfigSchema,
  TriggerCtaInteractionConfigSchema,
  TriggerEventConfigSchema,
  TriggerInboundWebhookConfigSchema,
  TriggerPageVisitConfigSchema,
  TriggerTraitChangedConfigSchema,
  TriggerVisitorIdentifiedConfigSchema,
  UpdateVisitorConfigSchema,
  WaitConfigSchema,
  WaitForEventConfigSchema,
} from './node-config.schema';

export const NODE_CATEGORIES = ['trigger', 'logic', 'action'] as const;
export type NodeCategory = (typeof NODE_CATEGORIES)[number];

export interface OutputHandle {
  id: string;
  label: string;
  /** Publishing fails while a required handle has no edge; an open optional handle ends the run. */
  required: boolean;
}

export interface NodeKindDefinition<T extends NodeType> {
  type: T;
  label: string;
  description: string;
  /** Icon name (lucide naming) for the builder palette. */
  icon: string;
  category: NodeCategory;
  configSchema: z.ZodType<NodeConfig<T>>;
  /** Returns a fresh default config; it may still need required fields filled in before it validates. */
  defaults: () => NodeConfig<T>;
  outputs: (config: NodeConfig<T>) => OutputHandle[];
  /** Help text for form fields, keyed by dot path within the config. */
  fieldHelp: Record<string, string>;
}

export type NodeRegistry = { [K in NodeType]: NodeKindDefinition<K> };

const NEXT_REQUIRED: OutputHandle[] = [{ id: 'next', label: 'Next', required: true }];
const NEXT_OPTIONAL: OutputHandle[] = [{ id: 'next', label: 'Next', required: false }];

const FILTERS_HELP =
  'All filters must hold. Operators compare case-insensitively; "matches" accepts * as a wildcard (no regular expressions).';
const TEMPLATE_HELP =
  'Mustache placeholders such as {{visitor.traits.first_name}} or {{event.properties.plan}}.';

export const NODE_REGISTRY = {
  trigger_event: {
    type: 'trigger_event',
    label: 'Event',
    description: 'Starts when the visitor triggers a tracked event.',
    icon: 'zap',
    category: 'trigger',
    configSchema: TriggerEventConfigSchema,
    defaults: () => ({ event: '', filters: [] }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { event: 'Name of the tracked event, e.g. add_to_cart.', filters: FILTERS_HELP },
  },
  trigger_page_visit: {
    type: 'trigger_page_visit',
    label: 'Page visit',
    description: 'Starts when the visitor views a page matching the URL rules.',
    icon: 'globe',
    category: 'trigger',
    configSchema: TriggerPageVisitConfigSchema,
    defaults: () => ({
      urlRules: [{ target: 'path', operator: 'starts_with', value: '/' }],
      queryFilters: [],
    }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: {
      urlRules:
        'Any rule may match; none means every page. "path" compares the path only, "url" the address without query or hash. Wildcard uses *.',
      queryFilters: 'Query parameter conditions (e.g. utm_source eq newsletter); all must hold.',
    },
  },
  trigger_cta_interaction: {
    type: 'trigger_cta_interaction',
    label: 'CTA interaction',
    description: 'Starts when the visitor views, clicks, converts on or closes a CTA.',
    icon: 'mouse-pointer-click',
    category: 'trigger',
    configSchema: TriggerCtaInteractionConfigSchema,
    defaults: () => ({ interaction: 'clicked', ctaId: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { interaction: 'Which interaction starts the flow.', ctaId: 'The call-to-action to watch.' },
  },
  trigger_visitor_identified: {
    type: 'trigger_visitor_identified',
    label: 'Visitor identified',
    description: 'Starts when an anonymous visitor becomes known (identify call).',
    icon: 'user-check',
    category: 'trigger',
    configSchema: TriggerVisitorIdentifiedConfigSchema,
    defaults: () => ({}),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: {},
  },
  trigger_trait_changed: {
    type: 'trigger_trait_changed',
    label: 'Trait changed',
    description: 'Starts when a visitor trait changes value.',
    icon: 'user-pen',
    category: 'trigger',
    configSchema: TriggerTraitChangedConfigSchema,
    defaults: () => ({ traitKey: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { traitKey: 'Trait to watch, e.g. plan.' },
  },
  trigger_inbound_webhook: {
    type: 'trigger_inbound_webhook',
    label: 'Inbound webhook',
    description: 'Starts when an integration calls the inbound webhook for a visitor.',
    icon: 'webhook',
    category: 'trigger',
    configSchema: TriggerInboundWebhookConfigSchema,
    defaults: () => ({ hookId: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { hookId: 'The inbound webhook that starts this flow.' },
  },
  condition: {
    type: 'condition',
    label: 'Condition',
    description: 'Branches on visitor traits, event properties, page, device, UTM, visits or tags.',
    icon: 'git-branch',
    category: 'logic',
    configSchema: ConditionConfigSchema,
    defaults: () => ({
      group: {
        kind: 'group',
        combinator: 'and',
        rules: [{ kind: 'rule', source: 'visit_count', operator: 'gte', value: 1 }],
      },
    }),
    outputs: () => [
      { id: 'yes', label: 'Yes', required: true },
      { id: 'no', label: 'No', required: true },
    ],
    fieldHelp: {
      group: 'Rules joined with AND/OR; groups nest up to 4 levels. Text comparisons ignore case.',
      'group.rules.source':
        'trait/event_property need a key (dot path); utm needs source, medium, campaign, term or content.',
    },
  },
  split: {
    type: 'split',
    label: 'A/B split',
    description: 'Sends each run down one branch, chosen by weight and stable per run.',
    icon: 'split',
    category: 'logic',
    configSchema: SplitConfigSchema,
    defaults: () => ({
      branches: [
        { id: 'a', label: 'A', weight: 50 },
        { id: 'b', label: 'B', weight: 50 },
      ],
    }),
    outputs: (config) =>
      config.branches.map((branch) => ({ id: branch.id, label: branch.label ?? branch.id, required: true })),
    fieldHelp: {
      branches: 'Each branch gets weight / total of the runs. Branch ids are the output handles.',
    },
  },
  wait: {
    type: 'wait',
    label: 'Wait',
    description: 'Pauses for a duration, or until a time window in the site time zone.',
    icon: 'hourglass',
    category: 'logic',
    configSchema: WaitConfigSchema,
    defaults: () => ({ mode: 'duration', duration: { amount: 1, unit: 'days' } }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: {
      mode: '"duration" waits a fixed time; "time_window" continues at the next moment inside the window.',
      window: 'Days of week and HH:MM from/to in the site time zone; to before from spans midnight.',
    },
  },
  wait_for_event: {
    type: 'wait_for_event',
    label: 'Wait for event',
    description: 'Waits until the visitor triggers an event, or the timeout passes.',
    icon: 'timer',
    category: 'logic',
    configSchema: WaitForEventConfigSchema,
    defaults: () => ({ event: '', filters: [], timeout: { amount: 1, unit: 'hours' } }),
    outputs: () => [
      { id: 'matched', label: 'Event happened', required: true },
      { id: 'timeout', label: 'Timed out', required: true },
    ],
    fieldHelp: {
      event: 'Event to wait for, e.g. checkout_completed.',
      correlationProperty:
        'Optional property (e.g. cart_id) whose value must equal the one on the event that started the run.',
      timeout: 'How long to wait before taking the "timeout" output.',
      filters: FILTERS_HELP,
    },
  },
  goal: {
    type: 'goal',
    label: 'Goal',
    description: 'When the visitor triggers this event at any point, the run ends as converted.',
    icon: 'flag',
    category: 'logic',
    configSchema: GoalConfigSchema,
    defaults: () => ({ event: '', filters: [] }),
    outputs: () => [],
    fieldHelp: {
      event: 'Conversion event, e.g. purchase. Goal nodes need no incoming edge.',
      filters: FILTERS_HELP,
    },
  },
  exit: {
    type: 'exit',
    label: 'Exit',
    description: 'Ends the run.',
    icon: 'log-out',
    category: 'logic',
    configSchema: ExitConfigSchema,
    defaults: () => ({}),
    outputs: () => [],
    fieldHelp: {},
  },
  show_cta: {
    type: 'show_cta',
    label: 'Show CTA',
    description: 'Shows a call-to-action to the visitor on their next page view.',
    icon: 'megaphone',
    category: 'action',
    configSchema: ShowCtaConfigSchema,
    defaults: () => ({ ctaId: '' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      ctaId: 'The call-to-action to show.',
      priority: '0-100; higher wins when several CTAs are pending.',
    },
  },
  send_webhook: {
    type: 'send_webhook',
    label: 'Send webhook',
    description: 'Posts a signed JSON payload to an endpoint.',
    icon: 'send',
    category: 'action',
    configSchema: SendWebhookConfigSchema,
    defaults: () => ({
      endpointId: '',
      bodyTemplate: '{\n  "visitor": "{{visitor.id}}",\n  "event": "{{event.name}}"\n}',
    }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      endpointId: 'The webhook endpoint configured for the site.',
      bodyTemplate: `JSON body. ${TEMPLATE_HELP} Values are JSON-escaped; the result must be valid JSON.`,
    },
  },
  update_visitor: {
    type: 'update_visitor',
    label: 'Update visitor',
    description: 'Sets or removes traits and tags on the visitor.',
    icon: 'user-cog',
    category: 'action',
    configSchema: UpdateVisitorConfigSchema,
    defaults: () => ({ setTraits: [], unsetTraits: [], addTags: [], removeTags: [] }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      setTraits: `Trait values may be templates. ${TEMPLATE_HELP}`,
      'setTraits.valueType':
        'The rendered text is converted to this type; an unparsable number becomes null.',
    },
  },
  send_email: {
    type: 'send_email',
    label: 'Send email',
    description: 'Sends an email through one of the site senders.',
    icon: 'mail',
    category: 'action',
    configSchema: SendEmailConfigSchema,
    defaults: () => ({ senderId: '', to: DEFAULT_EMAIL_TO, subject: '', html: '', text: '' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      senderId: 'The email sender (SMTP identity) to use.',
      to: `Recipient; defaults to the visitor email. ${TEMPLATE_HELP} Skipped when it renders empty.`,
      subject: TEMPLATE_HELP,
      html: `HTML body; placeholder values are HTML-escaped. ${TEMPLATE_HELP}`,
      text: `Plain-text body. ${TEMPLATE_HELP}`,
    },
  },
  notify: {
    type: 'notify',
    label: 'Notify team',
    description: 'Posts a message to a Slack-compatible incoming webhook.',
    icon: 'bell',
    category: 'action',
    configSchema: NotifyConfigSchema,
    defaults: () => ({ endpointId: '', text: 'New lead: {{visitor.traits.email}}' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: { endpointId: 'Slack-compatible incoming webhook endpoint.', text: TEMPLATE_HELP },
  },
} satisfies NodeRegistry;

export function nodeDefinition<T extends NodeType>(type: T): NodeKindDefinition<T> {
  return (NODE_REGISTRY as NodeRegistry)[type];
}

export function isNodeType(type: string): type is NodeType {
  return Object.prototype.hasOwnProperty.call(NODE_REGISTRY, type);
}

export function nodeCategory(type: NodeType): NodeCategory {
  return NODE_REGISTRY[type].category;
}

export function isTriggerType(type: NodeType): boolean {
  return nodeCategory(type) === 'trigger';
}

export function outputHandleDefinitions(node: FlowNode): OutputHandle[] {
  return outputsOf(node);
}

/** Output handle ids of a concrete node, e.g. `['yes', 'no']` for a condition or the branch ids of a split. */
export function outputHandles(node: FlowNode): string[] {
  return outputsOf(node).map((handle) => handle.id);
}

function outputsOf(node: FlowNode): OutputHandle[] {
  // The registry is keyed by the same discriminant, so the config always fits the definition.
  const outputs = NODE_REGISTRY[node.type].outputs as (config: FlowNode['config']) => OutputHandle[];
  return outputs(node.config);
}

export function createNode<T extends NodeType>(
  type: T,
  id: string,
  options: { position?: { x: number; y: number }; label?: string } = {},
): NodeOfType<T> {
  const node = { id, type, config: nodeDefinition(type).defaults(), ...options };
  return node as unknown as NodeOfType<T>;
}
