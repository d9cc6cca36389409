import { z } from 'zod';
import { contract } from '../common/api-contract';

const group = z.object({ visitors: z.number(), converted: z.number(), rate: z.number().nullable() });
const interval = z.object({ value: z.number(), low: z.number(), high: z.number() }).nullable();

export const FlowLift = contract(
  'FlowLift',
  z.object({
    /** The statistical method, named. */
    test: z.string(),
    versions: z.array(
      z.object({
        version: z.number(),
        holdoutPercent: z.number(),
        treated: group,
        heldOut: group,
        /** Treated minus held-out goal conversion rate (visitors), with its 95 % interval. */
        absolute: interval,
        /** Treated over held-out rate minus 1, with its 95 % interval. */
        relative: interval,
        pValue: z.number().nullable(),
      }),
    ),
  }),
);
