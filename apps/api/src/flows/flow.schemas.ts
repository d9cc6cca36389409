import { LooseFlowGraphSchema } from '@nudgeflow/flow-schema';
import { z } from 'zod';

/** A stored draft (graph + settings) may not exceed this many bytes of JSON (413 FLOW_TOO_LARGE). */
export const MAX_DRAFT_BYTES = 384 * 1024;

const name = z.string().trim().min(1).max(200);
const note = z.string().trim().max(500);

export const createFlowSchema = z.object({
  name,
  templateId: z.string().min(1).max(100).optional(),
});
export type CreateFlowInput = z.infer<typeof createFlowSchema>;

/** A draft only has to have the graph's shape and stay within limits; validity is checked on publish. */
export const saveDraftSchema = z.object({
  revision: z.number().int().min(1),
  graph: LooseFlowGraphSchema,
  settings: z.record(z.string(), z.unknown()),
  name: name.optional(),
});
export type SaveDraftInput = z.infer<typeof saveDraftSchema>;

export const publishSchema = z.object({ note: note.optional() }).default({});
export type PublishInput = z.infer<typeof publishSchema>;

export const rollbackSchema = publishSchema;

export const archiveSchema = z.object({ exitRuns: z.boolean().optional() }).default({});
export type ArchiveInput = z.infer<typeof archiveSchema>;

export const duplicateSchema = z.object({ name: name.optional() }).default({});
export type DuplicateInput = z.infer<typeof duplicateSchema>;
