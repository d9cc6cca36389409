import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';

const nodeCounts = z.object({
  entered: z.number(),
  waiting: z.number(),
  exited: z.record(z.string(), z.number()),
});

const effectCounts = z.object({
  count: z.number(),
  visitors: z.number(),
  capped: z.number(),
  heldOut: z.number(),
});

export const BacktestResultView = contract(
  'BacktestResult',
  z.object({
    events: z.number(),
    visitors: z.number(),
    runs: z.object({
      enrolled: z.number(),
      enrolledHeldOut: z.number(),
      converted: z.number(),
      convertedHeldOut: z.number(),
      completed: z.number(),
      exited: z.number(),
      failed: z.number(),
    }),
    enrolledVisitors: z.number(),
    convertedVisitors: z.number(),
    /** Per node, like the live stats: entered, waiting at the window's end, exited per output. */
    nodes: z.record(z.string(), nodeCounts),
    /** Per effect kind: would have been performed, distinct visitors, refused by caps, held out. */
    effects: z.record(z.string(), effectCounts),
    ctas: z.record(z.string(), z.object({ shown: z.number(), capped: z.number() })),
    skipped: z.record(z.string(), z.number()),
    /** A sample of visitor paths, to open in the simulator. */
    samples: z.array(
      z.object({
        visitorId: z.string(),
        runId: z.string(),
        trigger: z.string(),
        startedAt: z.string(),
        status: z.string(),
        steps: z.array(z.object({ nodeId: z.string(), handle: z.string().nullable(), at: z.string() })),
      }),
    ),
  }),
);

export const Backtest = contract(
  'Backtest',
  z.object({
    id: z.string(),
    flowId: z.string(),
    /** Null: the draft as it was when the backtest started. */
    version: z.number().nullable(),
    from: isoDate(),
    to: isoDate(),
    status: z.enum(['queued', 'running', 'completed', 'cancelled', 'failed']),
    progress: z.object({
      visitorsDone: z.number(),
      visitorsTotal: z.number().nullable(),
      eventsDone: z.number(),
      /** 0–1; 1 once completed. */
      fraction: z.number(),
    }),
    /** The tally so far (partial while running). */
    result: BacktestResultView.nullable(),
    error: z.string().nullable(),
    createdAt: isoDate(),
    startedAt: isoDate().nullable(),
    finishedAt: isoDate().nullable(),
  }),
);
