import type {
  FlowGraph,
  FlowSettings,
  FlowValidationError,
  GraphDiff as GraphDiffType,
  LooseFlowGraph,
} from '@nudgeflow/flow-schema';
import { z } from 'zod';
import { contract, isoDate, libraryType } from '../common/api-contract';

const graph = libraryType<FlowGraph>('FlowGraph');
const settings = libraryType<FlowSettings>('FlowSettings');

export const FlowSummary = contract(
  'FlowSummary',
  z.object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['draft', 'live', 'paused', 'archived']),
    revision: z.number(),
    publishedVersion: z.number().nullable(),
    archivedExitRuns: z.boolean(),
    createdAt: isoDate(),
    updatedAt: isoDate(),
    /** Visitors who entered / converted, over every version (list only; from the rollups, seconds behind). */
    counts: z.object({ entered: z.number(), converted: z.number() }).optional(),
  }),
);

/** `GET /flows/:id`, and what create, duplicate and import answer: the summary plus the draft. */
export const FlowDetail = contract(
  'FlowDetail',
  FlowSummary.extend({
    /** A work in progress: the graph has the loose shape and may not pass validation. */
    draft: z.object({
      graph: libraryType<LooseFlowGraph>('LooseFlowGraph'),
      settings: libraryType<FlowSettings | Record<string, unknown>>('FlowSettings'),
    }),
  }),
);

export const DraftSaved = contract('DraftSaved', z.object({ revision: z.number(), updatedAt: isoDate() }));

export const FlowValidation = contract(
  'FlowValidation',
  z.object({ errors: z.array(libraryType<FlowValidationError>('FlowValidationError')) }),
);

export const FlowPublished = contract('FlowPublished', z.object({ version: z.number() }));

export const FlowRolledBack = contract(
  'FlowRolledBack',
  z.object({ version: z.number(), revision: z.number() }),
);

export const FlowVersionSummary = contract(
  'FlowVersionSummary',
  z.object({
    version: z.number(),
    note: z.string().nullable(),
    publishedAt: isoDate(),
    publishedBy: z
      .object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() })
      .nullable(),
  }),
);

export const FlowVersion = contract('FlowVersion', FlowVersionSummary.extend({ graph, settings }));

export const GraphDiff = contract('GraphDiff', libraryType<GraphDiffType>('GraphDiff'));

export const FlowTemplateSummary = contract(
  'FlowTemplateSummary',
  z.object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    settings,
    graph,
    /** Site resources the template names by placeholder ids, to be replaced with real ones. */
    placeholderRefs: z.object({
      ctaIds: z.array(z.string()),
      webhookEndpointIds: z.array(z.string()),
      emailSenderIds: z.array(z.string()),
      notifyEndpointIds: z.array(z.string()),
      inboundHookIds: z.array(z.string()),
    }),
  }),
);
