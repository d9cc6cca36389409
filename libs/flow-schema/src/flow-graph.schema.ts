import { z } from 'zod';
import {
  ConditionConfigSchema,
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
import {
  EventNameSchema,
  IdSchema,
  PropertyFiltersSchema,
  TimeOfDaySchema,
  TimeZoneSchema,
} from './rule.schema';

export const FLOW_SCHEMA_VERSION = 1;
export const MAX_NODES = 500;
export const MAX_EDGES = 2000;

export const PositionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });
export type Position = z.infer<typeof PositionSchema>;

const nodeBase = {
  id: IdSchema,
  /** Layout hint for the builder only; the engine never reads it. */
  position: PositionSchema.optional(),
  label: z.string().max(120).optional(),
};

function nodeSchema<TType extends string, TConfig extends z.ZodType>(type: TType, config: TConfig) {
  return z.object({ ...nodeBase, type: z.literal(type), config });
}

export const TriggerEventNodeSchema = nodeSchema('trigger_event', TriggerEventConfigSchema);
export const TriggerPageVisitNodeSchema = nodeSchema('trigger_page_visit', TriggerPageVisitConfigSchema);
export const TriggerCtaInteractionNodeSchema = nodeSchema(
  'trigger_cta_interaction',
  TriggerCtaInteractionConfigSchema,
);
export const TriggerVisitorIdentifiedNodeSchema = nodeSchema(
  'trigger_visitor_identified',
  TriggerVisitorIdentifiedConfigSchema,
);
export const TriggerTraitChangedNodeSchema = nodeSchema(
  'trigger_trait_changed',
  TriggerTraitChangedConfigSchema,
);
export const TriggerInboundWebhookNodeSchema = nodeSchema(
  'trigger_inbound_webhook',
  TriggerInboundWebhookConfigSchema,
);
export const ConditionNodeSchema = nodeSchema('condition', ConditionConfigSchema);
export const SplitNodeSchema = nodeSchema('split', SplitConfigSchema);
export const WaitNodeSchema = nodeSchema('wait', WaitConfigSchema);
export const WaitForEventNodeSchema = nodeSchema('wait_for_event', WaitForEventConfigSchema);
export const GoalNodeSchema = nodeSchema('goal', GoalConfigSchema);
export const ExitNodeSchema = nodeSchema('exit', ExitConfigSchema);
export const ShowCtaNodeSchema = nodeSchema('show_cta', ShowCtaConfigSchema);
export const SendWebhookNodeSchema = nodeSchema('send_webhook', SendWebhookConfigSchema);
export const UpdateVisitorNodeSchema = nodeSchema('update_visitor', UpdateVisitorConfigSchema);
export const SendEmailNodeSchema = nodeSchema('send_email', SendEmailConfigSchema);
export const NotifyNodeSchema = nodeSchema('notify', NotifyConfigSchema);
export const SendSmsNodeSchema = nodeSchema('send_sms', SendSmsConfigSchema);

export const FlowNodeSchema = z.discriminatedUnion('type', [
  TriggerEventNodeSchema,
  TriggerPageVisitNodeSchema,
  TriggerCtaInteractionNodeSchema,
  TriggerVisitorIdentifiedNodeSchema,
  TriggerTraitChangedNodeSchema,
  TriggerInboundWebhookNodeSchema,
  ConditionNodeSchema,
  SplitNodeSchema,
  WaitNodeSchema,
  WaitForEventNodeSchema,
  GoalNodeSchema,
  ExitNodeSchema,
  ShowCtaNodeSchema,
  SendWebhookNodeSchema,
  UpdateVisitorNodeSchema,
  SendEmailNodeSchema,
  NotifyNodeSchema,
  SendSmsNodeSchema,
]);
export type FlowNode = z.infer<typeof FlowNodeSchema>;
export type FlowNodeInput = z.input<typeof FlowNodeSchema>;
export type NodeType = FlowNode['type'];
export type NodeOfType<T extends NodeType> = Extract<FlowNode, { type: T }>;
export type NodeConfig<T extends NodeType> = NodeOfType<T>['config'];

export const NODE_TYPES: readonly NodeType[] = FlowNodeSchema.options.map(
  (option) => option.shape.type.value,
);

export const FlowEdgeSchema = z.object({
  id: IdSchema,
  source: IdSchema,
  sourceHandle: z.string().min(1).max(128),
  target: IdSchema,
});
export type FlowEdge = z.infer<typeof FlowEdgeSchema>;

export const FlowGraphSchema = z.object({
  nodes: z.array(FlowNodeSchema).max(MAX_NODES),
  edges: z.array(FlowEdgeSchema).max(MAX_EDGES),
});
export type FlowGraph = z.infer<typeof FlowGraphSchema>;
export type FlowGraphInput = z.input<typeof FlowGraphSchema>;

/** Same shape with configs left unchecked, so validation can report per-node problems with node ids. */
export const LooseFlowGraphSchema = z.object({
  nodes: z
    .array(
      z.object({
        id: z.string(),
        type: z.string(),
        config: z.unknown(),
        position: PositionSchema.optional(),
        label: z.string().max(120).optional(),
      }),
    )
    .max(MAX_NODES),
  edges: z
    .array(z.object({ id: z.string(), source: z.string(), sourceHandle: z.string(), target: z.string() }))
    .max(MAX_EDGES),
});
export type LooseFlowGraph = z.infer<typeof LooseFlowGraphSchema>;

export const EventMatcherSchema = z.strictObject({
  event: EventNameSchema,
  filters: PropertyFiltersSchema,
});
export type EventMatcher = z.infer<typeof EventMatcherSchema>;

export const ReEntrySchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('once') }),
  z.strictObject({ mode: z.literal('every_time') }),
  z.strictObject({ mode: z.literal('once_per_days'), days: z.number().int().min(1).max(3650) }),
]);
export type ReEntry = z.infer<typeof ReEntrySchema>;

export const QuietHoursSchema = z
  .strictObject({
    from: TimeOfDaySchema,
    to: TimeOfDaySchema,
    /** Defaults to the site's time zone. */
    timezone: TimeZoneSchema.optional(),
  })
  .refine((quiet) => quiet.from !== quiet.to && quiet.from !== '24:00', {
    message: '"from" must differ from "to" and be before 24:00',
    path: ['to'],
  });
export type QuietHours = z.infer<typeof QuietHoursSchema>;

export const FlowSettingsSchema = z.strictObject({
  reEntry: ReEntrySchema.default({ mode: 'once' }),
  maxConcurrentRunsPerVisitor: z.number().int().min(1).max(100).default(1),
  /** An event matching this converts a run from any node, in addition to goal nodes. */
  goal: EventMatcherSchema.optional(),
  /** An event matching any of these exits a waiting run. */
  exitConditions: z.array(EventMatcherSchema).max(20).default([]),
  /** Outbound messages (email, SMS, webhook, notify) reached inside these hours wait until they end. */
  quietHours: QuietHoursSchema.optional(),
  /** Percent of enrolments held out to measure lift: enrolled and recorded, no effect performed (0–50). */
  holdoutPercent: z.number().int().min(0).max(50).optional(),
});
export type FlowSettings = z.infer<typeof FlowSettingsSchema>;
export type FlowSettingsInput = z.input<typeof FlowSettingsSchema>;

export const DEFAULT_FLOW_SETTINGS: FlowSettings = {
  reEntry: { mode: 'once' },
  maxConcurrentRunsPerVisitor: 1,
  exitConditions: [],
};

export const FlowDocumentSchema = z.strictObject({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  settings: FlowSettingsSchema,
  graph: FlowGraphSchema,
});
export type FlowDocument = z.infer<typeof FlowDocumentSchema>;
