import { z } from 'zod';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from './runtime.types';

export const listRunsQuerySchema = z.object({
  status: z.enum([...ACTIVE_STATUSES, ...TERMINAL_STATUSES]).optional(),
  visitorId: z.uuid().optional(),
  version: z.coerce.number().int().min(1).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type ListRunsQuery = z.infer<typeof listRunsQuerySchema>;

export const deadLetterQuerySchema = z.object({
  flowId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type DeadLetterQuery = z.infer<typeof deadLetterQuerySchema>;
