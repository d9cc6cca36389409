import { z } from 'zod';

export const MAX_RULE_DEPTH = 4;
export const MAX_DURATION_SECONDS = 366 * 24 * 3600;

// Ids become object keys in run state; these would collide with Object.prototype.
const RESERVED_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Use letters, digits, "_", "-", "." or ":" only')
  .refine((id) => !RESERVED_IDS.has(id), 'This id is reserved');

export const EventNameSchema = z.string().trim().min(1, 'Event name is required').max(200);

/** Dot path into an object, e.g. `plan` or `cart.total`. */
export const PropertyPathSchema = z
  .string()
  .trim()
  .min(1, 'Property is required')
  .max(200)
  .regex(/^[^.]+(\.[^.]+)*$/, 'Use a dot path such as cart.total');

export const COMPARISON_OPERATORS = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'matches',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not_exists',
  'in',
] as const;
export const ComparisonOperatorSchema = z.enum(COMPARISON_OPERATORS);
export type ComparisonOperator = z.infer<typeof ComparisonOperatorSchema>;

const ScalarSchema = z.union([z.string().max(1000), z.number(), z.boolean()]);
export const RuleValueSchema = z.union([
  ScalarSchema,
  z.array(z.union([z.string().max(1000), z.number()])).max(200),
]);
export type RuleValue = z.infer<typeof RuleValueSchema>;

interface OperatorValue {
  operator: ComparisonOperator;
  value?: RuleValue | undefined;
}

/** Checks that the value fits the operator: none for exists, a list for `in`, a number for gt/lt. */
function checkOperatorValue(rule: OperatorValue, ctx: z.RefinementCtx): void {
  const { operator, value } = rule;
  switch (operator) {
    case 'exists':
    case 'not_exists':
      return;
    case 'in':
      if (!Array.isArray(value) || value.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: '"in" needs a non-empty list of values' });
      }
      return;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value !== 'number') {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `"${operator}" needs a number` });
      }
      return;
    case 'eq':
    case 'neq':
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'matches':
      if (value === undefined || Array.isArray(value)) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `"${operator}" needs a single value` });
      }
      return;
    default: {
      const _never: never = operator;
      return _never;
    }
  }
}

/** A condition on one property of an event (or query parameter of a URL); all filters of a list must hold. */
export const PropertyFilterSchema = z
  .strictObject({
    property: PropertyPathSchema,
    operator: ComparisonOperatorSchema,
    value: RuleValueSchema.optional(),
  })
  .superRefine(checkOperatorValue);
export type PropertyFilter = z.infer<typeof PropertyFilterSchema>;

export const PropertyFiltersSchema = z.array(PropertyFilterSchema).max(20).default([]);

export const RULE_SOURCES = [
  'trait',
  'event_property',
  'page_url',
  'device',
  'utm',
  'visit_count',
  'days_since_first_seen',
  'tags',
] as const;
export const RuleSourceSchema = z.enum(RULE_SOURCES);
export type RuleSource = z.infer<typeof RuleSourceSchema>;

export const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const;
const SOURCES_WITH_KEY: ReadonlySet<RuleSource> = new Set(['trait', 'event_property', 'utm']);

export const ConditionRuleSchema = z
  .strictObject({
    kind: z.literal('rule'),
    source: RuleSourceSchema,
    key: z.string().trim().min(1).max(200).optional(),
    operator: ComparisonOperatorSchema,
    value: RuleValueSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    if (SOURCES_WITH_KEY.has(rule.source) && rule.key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: `A "${rule.source}" rule needs a key` });
    }
    if (
      rule.source === 'utm' &&
      rule.key !== undefined &&
      !(UTM_KEYS as readonly string[]).includes(rule.key)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message: `UTM key must be one of ${UTM_KEYS.join(', ')}`,
      });
    }
    checkOperatorValue(rule, ctx);
  });
export type ConditionRule = z.infer<typeof ConditionRuleSchema>;

export interface RuleGroup {
  kind: 'group';
  combinator: 'and' | 'or';
  rules: Array<ConditionRule | RuleGroup>;
}

export const RuleGroupSchema: z.ZodType<RuleGroup> = z.strictObject({
  kind: z.literal('group'),
  combinator: z.enum(['and', 'or']),
  get rules() {
    return z
      .array(z.union([ConditionRuleSchema, RuleGroupSchema]))
      .min(1, 'A group needs at least one rule')
      .max(50);
  },
});

export function ruleGroupDepth(group: RuleGroup): number {
  let deepest = 0;
  for (const rule of group.rules) {
    if (rule.kind === 'group') deepest = Math.max(deepest, ruleGroupDepth(rule));
  }
  return deepest + 1;
}

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
const UNIT_SECONDS: Record<DurationUnit, number> = {
  seconds: 1,
  minutes: 60,
  hours: 3600,
  days: 86400,
};

export interface Duration {
  amount: number;
  unit: DurationUnit;
}

export const DurationSchema: z.ZodType<Duration> = z
  .strictObject({
    amount: z.number().int().positive(),
    unit: z.enum(DURATION_UNITS),
  })
  .refine((d) => durationToSeconds(d) <= MAX_DURATION_SECONDS, {
    message: 'Duration must not exceed 366 days',
    path: ['amount'],
  });

export function durationToSeconds(duration: Duration): number {
  return duration.amount * UNIT_SECONDS[duration.unit];
}

export function durationToMs(duration: Duration): number {
  return durationToSeconds(duration) * 1000;
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const WeekdaySchema = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof WeekdaySchema>;

/** `HH:MM`, 24-hour clock; `24:00` is accepted as an end of day. */
export const TimeOfDaySchema = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'Use HH:MM (00:00 to 24:00)');

export function timeOfDayToMinutes(time: string): number {
  const [hours, minutes] = time.split(':');
  return Number(hours) * 60 + Number(minutes);
}

const knownZones = new Map<string, boolean>();

/**
 * True when the runtime knows the IANA zone; Intl throws a RangeError for unknown zones. Answers are
 * remembered (building a DateTimeFormat costs ~0.1 ms, and the engine asks on every step); the map is
 * bounded, since the strings can come from user input.
 */
export function isValidTimeZone(timeZone: string): boolean {
  const known = knownZones.get(timeZone);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    valid = true;
  } catch {
    valid = false;
  }
  if (knownZones.size >= 1000) knownZones.clear();
  knownZones.set(timeZone, valid);
  return valid;
}

export const TimeZoneSchema = z.string().min(1).max(64).refine(isValidTimeZone, 'Unknown IANA time zone');

export const URL_OPERATORS = ['equals', 'contains', 'starts_with', 'wildcard'] as const;

export const UrlRuleSchema = z.strictObject({
  target: z.enum(['path', 'url']).default('path'),
  operator: z.enum(URL_OPERATORS),
  value: z.string().trim().min(1, 'URL rule value is required').max(2000),
});
export type UrlRule = z.infer<typeof UrlRuleSchema>;
