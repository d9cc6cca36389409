import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Query of every range report: `from`/`to` are ISO instants or local dates (`YYYY-MM-DD`, site timezone). */
export const reportQuerySchema = z.object({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  granularity: z.enum(['minute', 'hour', 'day']).optional(),
  compare: bool.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type ReportQuery = z.output<typeof reportQuerySchema>;

export const ctaReportQuerySchema = reportQuerySchema.extend({
  ctaId: z.string().min(1).max(200).optional(),
  /** Variant id treated as control (default: `control`, else `a`, else the first variant). */
  control: z.string().min(1).max(200).optional(),
});
export type CtaReportQuery = z.output<typeof ctaReportQuerySchema>;
