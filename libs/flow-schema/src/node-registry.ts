import type { z } from 'zod';
import { FlowNode, NodeConfig, NodeOfType, NodeType } from './flow-graph.schema';
import type { RefKind } from './flow-refs';
import {
  ConditionConfigSchema,
  DEFAULT_EMAIL_TO,
  DEFAULT_SMS_PHONE_TRAIT,
  ExitConfigSchema,
  GoalConfigSchema,
  NotifyConfigSchema,
  SendEmailConfigSchema,
  SendSmsConfigSchema,
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
import { EffectKind, EffectPayloads } from './node-effects';
import { filtersText, ruleGroupText } from './summary-text';
import type { TemplateMode } from './template-syntax';

export const NODE_CATEGORIES = ['trigger', 'logic', 'action'] as const;
export type NodeCategory = (typeof NODE_CATEGORIES)[number];

export interface OutputHandle {
  id: string;
  label: string;
  /** Publishing fails while a required handle has no edge; an open optional handle ends the run. */
  required: boolean;
}

/** A config field holding a template, with how it renders; `*` is any list index (`setTraits.*.value`). */
export interface TemplateField {
  field: string;
  mode: TemplateMode;
}

type StringFieldOf<C> = { [F in keyof C]-?: NonNullable<C[F]> extends string ? F : never }[keyof C] & string;

/** A config field naming another site resource (checked on publish, remapped when templates are used). */
export interface RefField<T extends NodeType> {
  field: StringFieldOf<NodeConfig<T>>;
  kind: RefKind;
}

/**
 * What the runtime, the simulator and the run timeline need to know about an action's effect.
 * `inline`: a database write that commits with the step (several runs' batchable ones share one
 * statement); `deferred`: network I/O performed after the step commits, one action at a time under
 * the run's row lock, so it never goes out twice when a failed batch is redone per run.
 */
export type EffectFacts<K extends EffectKind> = {
  /** Reaches someone outside the site, so the flow's quiet hours hold it back. */
  outbound: boolean;
  /** The run timeline's words for it, e.g. "Send email". */
  timeline: string;
  /** The effect field the timeline shows after an arrow, e.g. the recipient. */
  timelineTarget: (keyof EffectPayloads[K] & string) | null;
  /** The simulator's line for one rendered effect. */
  simulate: (effect: EffectPayloads[K]) => string;
} & ({ delivery: 'inline'; batchable: boolean } | { delivery: 'deferred'; batchable: false });

/** The trigger kinds: a flow starts at one of them. */
export type TriggerKind = Extract<NodeType, `trigger_${string}`>;

/**
 * Whether an edge may end at a node of this kind; when it may not, the error code and the words that
 * publishing (`onPublish`, given the node id) and the builder's connect check (`onConnect`) give.
 */
export type IncomingEdge =
  | 'accepted'
  | {
      refused: 'TRIGGER_HAS_INPUT' | 'GOAL_HAS_INPUT';
      onPublish: (nodeId: string) => string;
      onConnect: string;
    };

/** Every fact about one node kind. Every field is required: a new kind does not compile until each is given. */
export interface NodeKindDefinition<T extends NodeType> {
  type: T;
  label: string;
  description: string;
  /** Icon name (lucide naming) for the builder palette. */
  icon: string;
  /** The plain-text symbol the builder draws for the icon (no icon font needed). */
  glyph: string;
  category: NodeCategory;
  configSchema: z.ZodType<NodeConfig<T>>;
  /** Returns a fresh default config; it may still need required fields filled in before it validates. */
  defaults: () => NodeConfig<T>;
  outputs: (config: NodeConfig<T>) => OutputHandle[];
  /** Help text for form fields, keyed by dot path within the config. */
  fieldHelp: Record<string, string>;
  /** Config fields that hold templates (validated on publish; the builder offers variables there). */
  templates: readonly TemplateField[];
  /** Config fields that name site resources. */
  refs: readonly RefField<T>[];
  /** Always suspends the run, so a loop through it is allowed. */
  breaksCycles: (config: NodeConfig<T>) => boolean;
  /** One line for the canvas; configs of drafts may be half filled. */
  summary: (config: NodeConfig<T>) => string;
  /** Whether an edge may end here (a trigger starts the flow; a goal listens from anywhere in it). */
  incomingEdge: IncomingEdge;
  /**
   * A trigger's sample event for the simulator's first timeline: the properties of an event that
   * starts the flow (its name is the trigger's event name). Null for logic and actions.
   */
  sampleEvent: T extends TriggerKind ? (config: NodeConfig<T>) => Record<string, unknown> : null;
  /** The effect an action produces (its kind is the node type); null for triggers and logic. */
  effect: T extends EffectKind ? EffectFacts<T> : null;
}

export type NodeRegistry = { [K in NodeType]: NodeKindDefinition<K> };

const NEXT_REQUIRED: OutputHandle[] = [{ id: 'next', label: 'Next', required: true }];
const NEXT_OPTIONAL: OutputHandle[] = [{ id: 'next', label: 'Next', required: false }];

const TRIGGER_INPUT: IncomingEdge = {
  refused: 'TRIGGER_HAS_INPUT',
  onPublish: (nodeId) => `Trigger "${nodeId}" cannot have an incoming edge`,
  onConnect: 'A trigger cannot be the target of an edge',
};
const GOAL_INPUT: IncomingEdge = {
  refused: 'GOAL_HAS_INPUT',
  onPublish: (nodeId) =>
    `Goal "${nodeId}" listens for its event from anywhere in the flow and takes no incoming edge`,
  onConnect: 'A goal takes no incoming edge',
};
/** A sample event of a trigger that needs no particular property. */
const SAMPLE_CART = () => ({ cart_id: 'cart-1' });

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
    glyph: '⚡',
    category: 'trigger',
    configSchema: TriggerEventConfigSchema,
    defaults: () => ({ event: '', filters: [] }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { event: 'Name of the tracked event, e.g. add_to_cart.', filters: FILTERS_HELP },
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) =>
      config.event ? `When “${config.event}”${filtersText(config.filters)}` : 'Pick an event',
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: SAMPLE_CART,
    effect: null,
  },
  trigger_page_visit: {
    type: 'trigger_page_visit',
    label: 'Page visit',
    description: 'Starts when the visitor views a page matching the URL rules.',
    icon: 'globe',
    glyph: '◎',
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
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) => {
      const rules = config.urlRules ?? [];
      const first = rules[0];
      if (!first) return 'Any page';
      const rest = rules.length > 1 ? ` +${rules.length - 1}` : '';
      return `${first.target} ${first.operator.replace('_', ' ')} “${first.value}”${rest}`;
    },
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: () => ({ url: 'https://shop.example.com/products/1' }),
    effect: null,
  },
  trigger_cta_interaction: {
    type: 'trigger_cta_interaction',
    label: 'CTA interaction',
    description: 'Starts when the visitor views, clicks, converts on or closes a CTA.',
    icon: 'mouse-pointer-click',
    glyph: '➚',
    category: 'trigger',
    configSchema: TriggerCtaInteractionConfigSchema,
    defaults: () => ({ interaction: 'clicked', ctaId: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { interaction: 'Which interaction starts the flow.', ctaId: 'The call-to-action to watch.' },
    templates: [],
    refs: [{ field: 'ctaId', kind: 'cta' }],
    breaksCycles: () => false,
    summary: (config) => (config.ctaId ? `CTA ${config.ctaId} ${config.interaction}` : 'Pick a CTA'),
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: (config) => ({ ctaId: config.ctaId }),
    effect: null,
  },
  trigger_visitor_identified: {
    type: 'trigger_visitor_identified',
    label: 'Visitor identified',
    description: 'Starts when an anonymous visitor becomes known (identify call).',
    icon: 'user-check',
    glyph: '✔',
    category: 'trigger',
    configSchema: TriggerVisitorIdentifiedConfigSchema,
    defaults: () => ({}),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: {},
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: () => 'When a visitor is identified',
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: SAMPLE_CART,
    effect: null,
  },
  trigger_trait_changed: {
    type: 'trigger_trait_changed',
    label: 'Trait changed',
    description: 'Starts when a visitor trait changes value.',
    icon: 'user-pen',
    glyph: '✎',
    category: 'trigger',
    configSchema: TriggerTraitChangedConfigSchema,
    defaults: () => ({ traitKey: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { traitKey: 'Trait to watch, e.g. plan.' },
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) => (config.traitKey ? `When trait “${config.traitKey}” changes` : 'Pick a trait'),
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: (config) => ({ key: config.traitKey, value: 'pro' }),
    effect: null,
  },
  trigger_inbound_webhook: {
    type: 'trigger_inbound_webhook',
    label: 'Inbound webhook',
    description: 'Starts when an integration calls the inbound webhook for a visitor.',
    icon: 'webhook',
    glyph: '⇲',
    category: 'trigger',
    configSchema: TriggerInboundWebhookConfigSchema,
    defaults: () => ({ hookId: '' }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: { hookId: 'The inbound webhook that starts this flow.' },
    templates: [],
    refs: [{ field: 'hookId', kind: 'inbound_hook' }],
    breaksCycles: () => false,
    summary: (config) => (config.hookId ? `Hook ${config.hookId}` : 'Pick an inbound webhook'),
    incomingEdge: TRIGGER_INPUT,
    sampleEvent: (config) => ({ hookId: config.hookId }),
    effect: null,
  },
  condition: {
    type: 'condition',
    label: 'Condition',
    description: 'Branches on visitor traits, event properties, page, device, UTM, visits or tags.',
    icon: 'git-branch',
    glyph: '⋔',
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
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) => ruleGroupText(config.group),
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: null,
  },
  split: {
    type: 'split',
    label: 'A/B split',
    description: 'Sends each run down one branch, chosen by weight and stable per run.',
    icon: 'split',
    glyph: '⚖',
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
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) =>
      config.branches.map((branch) => `${branch.label ?? branch.id} ${branch.weight}`).join(' / '),
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: null,
  },
  wait: {
    type: 'wait',
    label: 'Wait',
    description: 'Pauses for a duration, or until a time window in the site time zone.',
    icon: 'hourglass',
    glyph: '◔',
    category: 'logic',
    configSchema: WaitConfigSchema,
    defaults: () => ({ mode: 'duration', duration: { amount: 1, unit: 'days' } }),
    outputs: () => NEXT_REQUIRED,
    fieldHelp: {
      mode: '"duration" waits a fixed time; "time_window" continues at the next moment inside the window.',
      window: 'Days of week and HH:MM from/to in the site time zone; to before from spans midnight.',
    },
    templates: [],
    refs: [],
    // A time-window wait may pass straight through, so only a duration always suspends.
    breaksCycles: (config) => config.mode === 'duration',
    summary: (config) =>
      config.mode === 'duration'
        ? `Wait ${config.duration.amount} ${config.duration.unit}`
        : `Until ${config.window.days.join(', ')} ${config.window.from}–${config.window.to}`,
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: null,
  },
  wait_for_event: {
    type: 'wait_for_event',
    label: 'Wait for event',
    description: 'Waits until the visitor triggers an event, or the timeout passes.',
    icon: 'timer',
    glyph: '◷',
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
    templates: [],
    refs: [],
    breaksCycles: () => true,
    summary: (config) =>
      config.event
        ? `“${config.event}” within ${config.timeout.amount} ${config.timeout.unit}`
        : 'Pick an event to wait for',
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: null,
  },
  goal: {
    type: 'goal',
    label: 'Goal',
    description: 'When the visitor triggers this event at any point, the run ends as converted.',
    icon: 'flag',
    glyph: '⚑',
    category: 'logic',
    configSchema: GoalConfigSchema,
    defaults: () => ({ event: '', filters: [] }),
    outputs: () => [],
    fieldHelp: {
      event: 'Conversion event, e.g. purchase. Goal nodes need no incoming edge.',
      filters: FILTERS_HELP,
    },
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: (config) => (config.event ? `Converts on “${config.event}”` : 'Pick a conversion event'),
    incomingEdge: GOAL_INPUT,
    sampleEvent: null,
    effect: null,
  },
  exit: {
    type: 'exit',
    label: 'Exit',
    description: 'Ends the run.',
    icon: 'log-out',
    glyph: '⏏',
    category: 'logic',
    configSchema: ExitConfigSchema,
    defaults: () => ({}),
    outputs: () => [],
    fieldHelp: {},
    templates: [],
    refs: [],
    breaksCycles: () => false,
    summary: () => 'End of the flow',
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: null,
  },
  show_cta: {
    type: 'show_cta',
    label: 'Show CTA',
    description: 'Shows a call-to-action to the visitor on their next page view.',
    icon: 'megaphone',
    glyph: '✦',
    category: 'action',
    configSchema: ShowCtaConfigSchema,
    defaults: () => ({ ctaId: '' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      ctaId: 'The call-to-action to show.',
      priority: '0-100; higher wins when several CTAs are pending.',
    },
    templates: [],
    refs: [{ field: 'ctaId', kind: 'cta' }],
    breaksCycles: () => false,
    summary: (config) => (config.ctaId ? `Show CTA ${config.ctaId}` : 'Pick a CTA'),
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: false,
      delivery: 'inline',
      batchable: true,
      timeline: 'Show CTA',
      timelineTarget: 'ctaId',
      simulate: (effect) => `Show CTA ${effect.ctaId} (priority ${effect.priority})`,
    },
  },
  send_webhook: {
    type: 'send_webhook',
    label: 'Send webhook',
    description: 'Posts a signed JSON payload to an endpoint.',
    icon: 'send',
    glyph: '➤',
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
    templates: [{ field: 'bodyTemplate', mode: 'json' }],
    refs: [{ field: 'endpointId', kind: 'webhook_endpoint' }],
    breaksCycles: () => false,
    summary: (config) => (config.endpointId ? `POST to ${config.endpointId}` : 'Pick an endpoint'),
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: true,
      // Only records the delivery row; the webhooks feature sends it after the commit.
      delivery: 'inline',
      batchable: false,
      timeline: 'Send webhook',
      timelineTarget: 'endpointId',
      simulate: (effect) => `POST webhook to ${effect.endpointId}`,
    },
  },
  update_visitor: {
    type: 'update_visitor',
    label: 'Update visitor',
    description: 'Sets or removes traits and tags on the visitor.',
    icon: 'user-cog',
    glyph: '⚙',
    category: 'action',
    configSchema: UpdateVisitorConfigSchema,
    defaults: () => ({ setTraits: [], unsetTraits: [], addTags: [], removeTags: [] }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      setTraits: `Trait values may be templates. ${TEMPLATE_HELP}`,
      'setTraits.valueType':
        'The rendered text is converted to this type; an unparsable number becomes null.',
    },
    templates: [{ field: 'setTraits.*.value', mode: 'text' }],
    refs: [],
    breaksCycles: () => false,
    summary: (config) => {
      const parts = [
        ...(config.setTraits ?? []).map((trait) => `${trait.key}=`),
        ...(config.unsetTraits ?? []).map((key) => `−${key}`),
        ...(config.addTags ?? []).map((tag) => `+#${tag}`),
        ...(config.removeTags ?? []).map((tag) => `−#${tag}`),
      ];
      return parts.length ? parts.join(' ') : 'Nothing to change yet';
    },
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: false,
      delivery: 'inline',
      batchable: true,
      timeline: 'Update visitor',
      timelineTarget: null,
      simulate: (effect) => {
        const parts = [
          ...Object.entries(effect.setTraits).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
          ...effect.unsetTraits.map((key) => `unset ${key}`),
          ...effect.addTags.map((tag) => `+#${tag}`),
          ...effect.removeTags.map((tag) => `−#${tag}`),
        ];
        return `Update visitor: ${parts.join(', ') || 'no change'}`;
      },
    },
  },
  send_email: {
    type: 'send_email',
    label: 'Send email',
    description: 'Sends an email through one of the site senders.',
    icon: 'mail',
    glyph: '✉',
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
    templates: [
      { field: 'to', mode: 'text' },
      { field: 'subject', mode: 'text' },
      { field: 'html', mode: 'html' },
      { field: 'text', mode: 'text' },
    ],
    refs: [{ field: 'senderId', kind: 'email_sender' }],
    breaksCycles: () => false,
    summary: (config) => (config.subject ? `“${config.subject}”` : 'Write a subject'),
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: true,
      delivery: 'deferred',
      batchable: false,
      timeline: 'Send email',
      timelineTarget: 'to',
      simulate: (effect) => `Email “${effect.subject}” to ${effect.to || '(no address)'}`,
    },
  },
  notify: {
    type: 'notify',
    label: 'Notify team',
    description: 'Posts a message to a Slack-compatible incoming webhook.',
    icon: 'bell',
    glyph: '☏',
    category: 'action',
    configSchema: NotifyConfigSchema,
    defaults: () => ({ endpointId: '', text: 'New lead: {{visitor.traits.email}}' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: { endpointId: 'Slack-compatible incoming webhook endpoint.', text: TEMPLATE_HELP },
    templates: [{ field: 'text', mode: 'text' }],
    refs: [{ field: 'endpointId', kind: 'notify_endpoint' }],
    breaksCycles: () => false,
    summary: (config) => config.text || 'Write a message',
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: true,
      delivery: 'inline',
      batchable: false,
      timeline: 'Notify',
      timelineTarget: 'endpointId',
      simulate: (effect) => `Notify ${effect.endpointId}: ${effect.text}`,
    },
  },
  send_sms: {
    type: 'send_sms',
    label: 'Send SMS',
    description: 'Texts the visitor through the site SMS provider (Twilio-compatible).',
    icon: 'message-square',
    glyph: '✆',
    category: 'action',
    configSchema: SendSmsConfigSchema,
    defaults: () => ({ phoneTrait: DEFAULT_SMS_PHONE_TRAIT, body: '' }),
    outputs: () => NEXT_OPTIONAL,
    fieldHelp: {
      phoneTrait:
        'Visitor trait with the phone number in E.164 form (+4915112345678). Skipped when missing, or when the trait sms_opt_out is true.',
      body: `Message text; providers take at most 1,600 characters once rendered. ${TEMPLATE_HELP}`,
    },
    templates: [{ field: 'body', mode: 'text' }],
    refs: [],
    breaksCycles: () => false,
    summary: (config) =>
      config.body
        ? `Text ${config.phoneTrait || DEFAULT_SMS_PHONE_TRAIT}: ${config.body}`
        : 'Write a message',
    incomingEdge: 'accepted',
    sampleEvent: null,
    effect: {
      outbound: true,
      delivery: 'deferred',
      batchable: false,
      timeline: 'Send SMS',
      timelineTarget: 'to',
      simulate: (effect) => `Text “${effect.body}” to ${effect.to}`,
    },
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

/** Whether an edge may end at a node of this kind, and if not, why. */
export function incomingEdgeOf(type: NodeType): IncomingEdge {
  return NODE_REGISTRY[type].incomingEdge;
}

/** The properties of the simulator's sample event for a flow starting at this trigger. */
export function sampleEventProperties(node: FlowNode & { type: TriggerKind }): Record<string, unknown> {
  // The registry is keyed by the same discriminant, so the config always fits the definition.
  const sample = NODE_REGISTRY[node.type].sampleEvent as (
    config: FlowNode['config'],
  ) => Record<string, unknown>;
  return sample(node.config);
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

/** The facts about an effect kind (an action's node type). */
export function effectFacts<K extends EffectKind>(kind: K): EffectFacts<K> {
  return (NODE_REGISTRY as NodeRegistry)[kind].effect as EffectFacts<K>;
}

/** Whether the flow's quiet hours hold a node of this kind back. */
export function isOutbound(type: NodeType): boolean {
  const effect: { outbound: boolean } | null = NODE_REGISTRY[type].effect;
  return effect !== null && effect.outbound;
}

/** A node's one-line summary for the canvas (unclipped). */
export function nodeSummaryText(node: FlowNode): string {
  // The registry is keyed by the same discriminant, so the config always fits the definition.
  const summary = NODE_REGISTRY[node.type].summary as (config: FlowNode['config']) => string;
  return summary(node.config);
}

/** The simulator's line for one rendered effect. */
export function effectText<K extends EffectKind>(effect: { kind: K } & EffectPayloads[K]): string {
  return effectFacts(effect.kind).simulate(effect);
}
