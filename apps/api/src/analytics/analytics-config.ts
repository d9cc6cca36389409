import { z } from 'zod';
import { JobName } from '../jobs/job.types';

/** Analytics knobs, read once from the environment. */
const schema = z.object({
  /** How often the rollup job advances the watermark. */
  ANALYTICS_ROLLUP_EVERY_MS: z.coerce.number().int().min(200).default(2_000),
  /** The watermark stays this far behind now and behind every open transaction (request → its transaction's start). */
  ANALYTICS_ROLLUP_MARGIN_MS: z.coerce.number().int().min(0).default(2_000),
  /** A live pass covers at most this much `received_at` time (a backlog is caught up pass by pass). */
  ANALYTICS_ROLLUP_MAX_WINDOW_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Site groups (on Citus: shards) one worker rolls up at once, each in its own transaction. */
  ANALYTICS_ROLLUP_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
  /**
   * How often a live group folds its breakdown changes (part 1) into the packed rows (default 5
   * minutes); 0: never (a test that folds by hand, so the worker cannot fold first).
   */
  ANALYTICS_ROLLUP_FOLD_EVERY_MS: z.coerce.number().int().min(0).default(300_000),
});

export type AnalyticsConfig = z.infer<typeof schema>;

export function loadAnalyticsConfig(env: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return schema.parse(present);
}

export const ANALYTICS_CONFIG = Symbol('ANALYTICS_CONFIG');

/** Repeatable analytics maintenance, listed in `workerSchedules` (worker-schedules.ts). */
export function analyticsSchedules(): { id: string; name: JobName; everyMs: number }[] {
  const everyMs = loadAnalyticsConfig().ANALYTICS_ROLLUP_EVERY_MS;
  return [{ id: 'rollups-advance', name: JobName.RollupsAdvance, everyMs }];
}
