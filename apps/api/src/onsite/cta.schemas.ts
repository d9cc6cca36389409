import { IdSchema, UrlRuleSchema } from '@nudgeflow/flow-schema';
import { z } from 'zod';

/**
 * A CTA's whole configuration (the draft, and the immutable snapshot taken on publish). Field names
 * follow the embed's wire types (libs/embed/src/types.ts) so a variant renders without translation.
 */
const Text = (max: number) => z.string().max(max);
const Colour = z
  .string()
  .trim()
  .max(64)
  .regex(/^[#\w(),.%\s-]*$/, 'Use a CSS colour (hex, name, rgb(), hsl())')
  .refine((v) => !/url/i.test(v), 'URLs are not allowed in colours');

export const CTA_KINDS = ['modal', 'bar', 'slide_in', 'inline'] as const;
export const CTA_TRIGGERS = ['load', 'delay', 'scroll', 'exit_intent', 'click'] as const;
export const CTA_POSITIONS = ['center', 'top', 'bottom', 'bottom_right', 'bottom_left'] as const;
export const DEVICES = ['desktop', 'mobile', 'tablet'] as const;

const SAME_SITE = 'https://same-site.invalid';

/**
 * http(s) URLs, or a path on the visitor's own site. Checked as a browser reads it (WHATWG URL
 * parsing: a backslash is a slash and tabs/newlines vanish), so `/\evil.com` or `/<tab>/evil.com`, which browsers
 * open as `//evil.com`, are refused as paths.
 */
export function isAllowedCtaUrl(value: string): boolean {
  if (/^https?:/i.test(value)) {
    try {
      const u = new URL(value);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
    } catch {
      return false;
    }
  }
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith('/') || /[\u0000-\u001f]/.test(value)) return false;
  try {
    return new URL(value, `${SAME_SITE}/`).origin === SAME_SITE;
  } catch {
    return false;
  }
}

const HttpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(isAllowedCtaUrl, 'Use an http(s) URL or a path on this site starting with a single /');

export const CtaButtonSchema = z.strictObject({
  label: Text(80).min(1),
  action: z.enum(['url', 'close', 'submit']),
  url: HttpUrl.optional(),
});

export const CtaFieldSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Use letters, digits and "_" (a trait name)'),
  label: Text(120),
  type: z.enum(['email', 'text', 'tel']),
  required: z.boolean().default(false),
});

export const CtaContentSchema = z.strictObject({
  /** Plain text; `{{visitor.traits.x}}` tokens are filled in (never interpreted as HTML). */
  headline: Text(300).default(''),
  /** Limited HTML, sanitised on save and again on render; tokens are HTML-escaped. */
  body: Text(20_000).default(''),
  imageUrl: HttpUrl.optional(),
  buttons: z.array(CtaButtonSchema).max(4).default([]),
  form: z
    .strictObject({
      fields: z.array(CtaFieldSchema).min(1).max(8),
      submitLabel: Text(80).default('Submit'),
    })
    .optional(),
});

export const CtaStyleSchema = z.strictObject({
  background: Colour.default('#ffffff'),
  color: Colour.default('#111111'),
  accent: Colour.default('#2563eb'),
  position: z.enum(CTA_POSITIONS).default('center'),
  width: z.union([z.number().int().min(120).max(2000), Colour]).optional(),
});

export const CtaVariantSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9_-]+$/),
  name: Text(80).default(''),
  weight: z.number().int().min(0).max(1000).default(1),
  content: CtaContentSchema,
  style: CtaStyleSchema.default(() => CtaStyleSchema.parse({})),
});

export const CtaDisplaySchema = z.strictObject({
  trigger: z.enum(CTA_TRIGGERS).default('load'),
  seconds: z.number().min(0).max(3600).optional(),
  percent: z.number().min(0).max(100).optional(),
  selector: z.string().max(200).optional(),
});

const StringRule = z.strictObject({
  operator: z.enum(['equals', 'contains', 'starts_with', 'exists', 'not_exists']),
  value: Text(500).default(''),
});

export const TraitRuleSchema = z.strictObject({
  key: z.string().trim().min(1).max(128),
  operator: z.enum(['equals', 'not_equals', 'contains', 'exists', 'not_exists', 'gt', 'lt']),
  value: z.union([z.string().max(500), z.number(), z.boolean()]).optional(),
});

export const TargetingSchema = z.strictObject({
  /** Any may match; none means every page. */
  urlRules: z.array(UrlRuleSchema).max(20).default([]),
  /** None may match. */
  excludeUrlRules: z.array(UrlRuleSchema).max(20).default([]),
  /** Empty means every device. */
  devices: z.array(z.enum(DEVICES)).max(3).default([]),
  visitorType: z.enum(['any', 'new', 'returning']).default('any'),
  /** All must hold; `param` is source, medium, campaign, term or content (utm_*). */
  utm: z
    .array(StringRule.extend({ param: z.enum(['source', 'medium', 'campaign', 'term', 'content']) }))
    .max(10)
    .default([]),
  /** All must hold, against the page's referrer. */
  referrer: z.array(StringRule).max(10).default([]),
  traits: z.array(TraitRuleSchema).max(20).default([]),
  tagsAll: z.array(z.string().max(64)).max(20).default([]),
  tagsNone: z.array(z.string().max(64)).max(20).default([]),
  /** "has (not) converted on CTA X". */
  conversions: z
    .array(z.strictObject({ ctaId: IdSchema, converted: z.boolean() }))
    .max(10)
    .default([]),
});

export const CapsSchema = z.strictObject({
  /** After the visitor closes it, hide for N days (0 = show again on the next page). */
  hideAfterCloseDays: z.number().min(0).max(90).default(7),
  maxPerSession: z.number().int().min(0).max(1000).optional(),
  maxPerDay: z.number().int().min(0).max(1000).optional(),
  stopAfterConversion: z.boolean().default(true),
});

export const CtaConfigSchema = z.strictObject({
  kind: z.enum(CTA_KINDS),
  /** Where an inline CTA goes (a CSS selector on the host page). */
  selector: z.string().trim().max(200).optional(),
  /** `always`: shown to every visitor the targeting matches; `flow`: only when a flow's show_cta queues it. */
  mode: z.enum(['always', 'flow']).default('always'),
  /** Higher first; a flow's show_cta may override it per message. */
  priority: z.number().int().min(0).max(100).default(50),
  display: CtaDisplaySchema.default(() => CtaDisplaySchema.parse({})),
  variants: z.array(CtaVariantSchema).min(1).max(6),
  targeting: TargetingSchema.default(() => TargetingSchema.parse({})),
  caps: CapsSchema.default(() => CapsSchema.parse({})),
});
export type CtaConfig = z.infer<typeof CtaConfigSchema>;
export type CtaVariant = z.infer<typeof CtaVariantSchema>;
export type Targeting = z.infer<typeof TargetingSchema>;
export type Caps = z.infer<typeof CapsSchema>;

const checkConfig = (c: CtaConfig, ctx: z.RefinementCtx) => {
  if (c.kind === 'inline' && !c.selector) {
    ctx.addIssue({ code: 'custom', path: ['selector'], message: 'An inline CTA needs a CSS selector' });
  }
  const ids = new Set<string>();
  c.variants.forEach((v, i) => {
    if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: 'Duplicate id' });
    ids.add(v.id);
  });
  if (c.variants.every((v) => v.weight === 0)) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: 'At least one variant needs a weight' });
  }
  if (c.display.trigger === 'click' && !c.display.selector) {
    ctx.addIssue({
      code: 'custom',
      path: ['display', 'selector'],
      message: 'A click trigger needs a selector',
    });
  }
};

export const CtaConfigInputSchema = CtaConfigSchema.superRefine(checkConfig);

export const createCtaSchema = z.strictObject({
  /** Optional stable id (letters, digits, `_.:-`) so flows as code can refer to it; a uuid otherwise. */
  id: IdSchema.optional(),
  name: z.string().trim().min(1).max(200),
  config: CtaConfigInputSchema,
});
export type CreateCtaInput = z.infer<typeof createCtaSchema>;

export const updateCtaSchema = z.strictObject({
  /** The revision the editor started from (optimistic concurrency). */
  revision: z.number().int().min(1),
  name: z.string().trim().min(1).max(200).optional(),
  config: CtaConfigInputSchema.optional(),
});
export type UpdateCtaInput = z.infer<typeof updateCtaSchema>;

export const duplicateCtaSchema = z.strictObject({
  id: IdSchema.optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type DuplicateCtaInput = z.infer<typeof duplicateCtaSchema>;

export const previewCtaSchema = z.strictObject({
  /** A config to render instead of the draft (unsaved editor state). */
  config: CtaConfigInputSchema.optional(),
  variantId: z.string().max(40).optional(),
  traits: z.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean()])).optional(),
});
export type PreviewCtaInput = z.infer<typeof previewCtaSchema>;
