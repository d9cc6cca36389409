import { z } from 'zod';

export const MAX_BACKTEST_DAYS = 90;

/**
 * `version`: a published version number, or `draft` (default). The window is the last `days` days, or
 * an explicit `from`/`to` (ISO 8601, at most MAX_BACKTEST_DAYS apart).
 */
export const startBacktestSchema = z
  .strictObject({
    version: z.union([z.literal('draft'), z.number().int().min(1).max(2_147_483_647)]).default('draft'),
    days: z.number().int().min(1).max(MAX_BACKTEST_DAYS).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => (b.from === undefined) === (b.to === undefined), {
    message: 'give both "from" and "to", or neither',
    path: ['to'],
  })
  .refine((b) => !(b.days !== undefined && b.from !== undefined), {
    message: 'give "days" or "from"/"to", not both',
    path: ['days'],
  })
  .refine((b) => b.from === undefined || b.to === undefined || Date.parse(b.from) < Date.parse(b.to), {
    message: '"from" must be before "to"',
    path: ['from'],
  })
  .refine(
    (b) =>
      b.from === undefined ||
      b.to === undefined ||
      Date.parse(b.to) - Date.parse(b.from) <= MAX_BACKTEST_DAYS * 86_400_000,
    { message: `the window may span at most ${MAX_BACKTEST_DAYS} days`, path: ['to'] },
  );
export type StartBacktestInput = z.infer<typeof startBacktestSchema>;
