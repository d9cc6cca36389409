import { z } from 'zod';
import { CTA_INTERACTIONS } from './system-events';
import {
  DurationSchema,
  EventNameSchema,
  IdSchema,
  MAX_RULE_DEPTH,
  PropertyFiltersSchema,
  PropertyPathSchema,
  RuleGroupSchema,
  TimeOfDaySchema,
  UrlRuleSchema,
  WeekdaySchema,
  ruleGroupDepth,
} from './rule.schema';

const TemplateSchema = z.string().max(20_000);
const TraitKeySchema = z
  .string()
  .trim()
  .min(1, 'Trait key is required')
  .max(100)
  .regex(/^[A-Za-z0-9_$-]+$/, 'Use letters, digits, "_", "-" or "$"');
const TagSchema = z.string().trim().min(1).max(100);

// Triggers

export const TriggerEventConfigSchema = z.strictObject({
  event: EventNameSchema,
  filters: PropertyFiltersSchema,
});

export const TriggerPageVisitConfigSchema = z.strictObject({
  /** Any rule may match; no rule means every page. */
  urlRules: z.array(UrlRuleSchema).max(20).default([]),
  /** All must hold; `property` is a query parameter name such as `utm_source`. */
  queryFilters: PropertyFiltersSchema,
});

export const TriggerCtaInteractionConfigSchema = z.strictObject({
  interaction: z.enum(CTA_INTERACTIONS),
  ctaId: IdSchema,
});

export const TriggerVisitorIdentifiedConfigSchema = z.strictObject({});

export const TriggerTraitChangedConfigSchema = z.strictObject({
  traitKey: TraitKeySchema,
});

export const TriggerInboundWebhookConfigSchema = z.strictObject({
  hookId: IdSchema,
});

// Logic

export const ConditionConfigSchema = z
  .strictObject({
    group: RuleGroupSchema,
  })
  .refine((config) => ruleGroupDepth(config.group) <= MAX_RULE_DEPTH, {
    message: `Rule groups may be nested at most ${MAX_RULE_DEPTH} levels deep`,
    path: ['group'],
  });

export const SplitBranchSchema = z.strictObject({
  id: IdSchema,
  label: z.string().max(80).optional(),
  weight: z.number().int().min(0).max(10_000),
});

export const SplitConfigSchema = z
  .strictObject({
    branches: z.array(SplitBranchSchema).min(2, 'A split needs at least two branches').max(10),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.branches.forEach((branch, index) => {
      if (seen.has(branch.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['branches', index, 'id'],
          message: `Duplicate branch id "${branch.id}"`,
        });
      }
      seen.add(branch.id);
    });
    if (config.branches.every((branch) => branch.weight === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['branches'],
        message: 'At least one branch needs a weight above 0',
      });
    }
  });

export const TimeWindowSchema = z
  .strictObject({
    days: z.array(WeekdaySchema).min(1, 'Pick at least one day').max(7),
    from: TimeOfDaySchema,
    to: TimeOfDaySchema,
  })
  .refine((window) => window.from !== window.to && window.from !== '24:00', {
    message: '"from" must differ from "to" and be before 24:00',
    path: ['to'],
  });
export type TimeWindow = z.infer<typeof TimeWindowSchema>;

export const WaitConfigSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('duration'), duration: DurationSchema }),
  z.strictObject({ mode: z.literal('time_window'), window: TimeWindowSchema }),
]);

export const WaitForEventConfigSchema = z.strictObject({
  event: EventNameSchema,
  /** Property whose value on the enrolling event must equal the one on the awaited event, e.g. `cart_id`. */
  correlationProperty: PropertyPathSchema.optional(),
  filters: PropertyFiltersSchema,
  timeout: DurationSchema,
});

export const GoalConfigSchema = z.strictObject({
  event: EventNameSchema,
  filters: PropertyFiltersSchema,
});

export const ExitConfigSchema = z.strictObject({});

// Actions

export const ShowCtaConfigSchema = z.strictObject({
  ctaId: IdSchema,
  priority: z.number().int().min(0).max(100).optional(),
});

export const SendWebhookConfigSchema = z.strictObject({
  endpointId: IdSchema,
  bodyTemplate: TemplateSchema.min(1, 'Body template is required'),
});

export const TraitAssignmentSchema = z.strictObject({
  key: TraitKeySchema,
  value: TemplateSchema,
  valueType: z.enum(['string', 'number', 'boolean']).default('string'),
});

export const UpdateVisitorConfigSchema = z
  .strictObject({
    setTraits: z.array(TraitAssignmentSchema).max(50).default([]),
    unsetTraits: z.array(TraitKeySchema).max(50).default([]),
    addTags: z.array(TagSchema).max(50).default([]),
    removeTags: z.array(TagSchema).max(50).default([]),
  })
  .refine(
    (config) =>
      config.setTraits.length + config.unsetTraits.length + config.addTags.length + config.removeTags.length >
      0,
    { message: 'Set, unset, tag or untag at least one thing' },
  );

export const DEFAULT_EMAIL_TO = '{{visitor.traits.email}}';

export const SendEmailConfigSchema = z
  .strictObject({
    senderId: IdSchema,
    to: TemplateSchema.default(DEFAULT_EMAIL_TO),
    subject: z.string().trim().min(1, 'Subject is required').max(998),
    html: TemplateSchema.optional(),
    text: TemplateSchema.optional(),
  })
  .refine((config) => Boolean(config.html?.trim() || config.text?.trim()), {
    message: 'Give an HTML or a text body',
    path: ['html'],
  });

export const NotifyConfigSchema = z.strictObject({
  endpointId: IdSchema,
  text: TemplateSchema.min(1, 'Message text is required'),
});

export const DEFAULT_SMS_PHONE_TRAIT = 'phone';
/** A visitor whose trait of this name is true (`true`, `"true"`, `"yes"`, `1`) gets no text message. */
export const SMS_OPT_OUT_TRAIT = 'sms_opt_out';

export const SendSmsConfigSchema = z.strictObject({
  /** The visitor trait holding the phone number (E.164, e.g. +4915112345678). */
  phoneTrait: TraitKeySchema.default(DEFAULT_SMS_PHONE_TRAIT),
  /** Rendered, at most 1,600 characters reach the provider (a longer text is its error, shown on the run). */
  body: TemplateSchema.min(1, 'Message text is required'),
});
