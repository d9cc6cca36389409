import { z } from 'zod';
import { reportQuerySchema } from './reports.schemas';

const DAY_S = 86_400;

export const funnelFilterSchema = z
  .object({
    property: z.string().trim().min(1).max(100),
    op: z.enum(['equals', 'not_equals', 'contains', 'starts_with', 'exists']),
    value: z.string().max(500).optional(),
  })
  .strict()
  .refine((f) => f.op === 'exists' || f.value !== undefined, {
    message: 'required unless op is exists',
    path: ['value'],
  });

export const funnelStepSchema = z
  .object({
    /** Event name; page views are `$page` (filter on property `path` for a page). */
    event: z.string().trim().min(1).max(200),
    label: z.string().trim().min(1).max(200).optional(),
    filters: z.array(funnelFilterSchema).max(5).default([]),
  })
  .strict();

const steps = z.array(funnelStepSchema).min(2, 'a funnel needs at least 2 steps').max(10);
const windowSeconds = z
  .number()
  .int()
  .min(60, 'at least 60 seconds')
  .max(90 * DAY_S, 'at most 90 days');

export const createFunnelSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    steps,
    /** Conversion window: every step must happen within this many seconds of entering (step 1). */
    windowSeconds: windowSeconds.default(7 * DAY_S),
  })
  .strict();
export type CreateFunnelInput = z.output<typeof createFunnelSchema>;

export const updateFunnelSchema = z
  .object({ name: z.string().trim().min(1).max(200), steps, windowSeconds })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update', path: ['name'] });
export type UpdateFunnelInput = z.output<typeof updateFunnelSchema>;

/** Ad-hoc funnel over raw events (not saved): bounded range. */
export const previewFunnelSchema = z
  .object({
    steps,
    windowSeconds: windowSeconds.default(7 * DAY_S),
    from: z.string().max(40).optional(),
    to: z.string().max(40).optional(),
  })
  .strict();
export type PreviewFunnelInput = z.output<typeof previewFunnelSchema>;

export const funnelReportQuerySchema = reportQuerySchema.pick({ from: true, to: true, compare: true });
export type FunnelReportQuery = z.output<typeof funnelReportQuerySchema>;
