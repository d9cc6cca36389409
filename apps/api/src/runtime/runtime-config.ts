import { z } from 'zod';

/** Runtime knobs, read once from the environment (defaults fit production; tests shorten the clocks). */
const schema = z.object({
  /** Waits due within this horizon live as BullMQ delayed jobs; later ones only in PostgreSQL. */
  RUNTIME_TIMER_HORIZON_MS: z.coerce.number().int().min(1000).default(300_000),
  /** How often the reconciler moves due timers into BullMQ and rescues runs Redis lost. */
  RUNTIME_RECONCILE_EVERY_MS: z.coerce.number().int().min(200).default(5_000),
  /** A run overdue by this much is assumed lost from Redis and re-enqueued. */
  RUNTIME_RESCUE_GRACE_MS: z.coerce.number().int().min(100).default(15_000),
  /** The reaper fails runs that made no progress for this long. */
  RUNTIME_STUCK_MS: z.coerce.number().int().min(1000).default(900_000),
  RUNTIME_REAP_EVERY_MS: z.coerce.number().int().min(200).default(60_000),
  /** Attempts per action before the run is failed and dead-lettered. */
  RUNTIME_EFFECT_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  RUNTIME_RETRY_BASE_MS: z.coerce.number().int().min(10).default(2_000),
  RUNTIME_RETRY_MAX_MS: z.coerce.number().int().min(10).default(300_000),
  /** Steps of one site running at once across all workers (fairness budget). */
  RUNTIME_SITE_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  /** Trigger-matching jobs of one site running at once across all workers. */
  RUNTIME_SITE_TRIGGER_CONCURRENCY: z.coerce.number().int().min(1).default(4),
  /** Outbox relay poll interval when idle. */
  RUNTIME_RELAY_IDLE_MS: z.coerce.number().int().min(5).default(50),
  /** 0 disables; otherwise the worker serves its Prometheus metrics on this loopback-bound port. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
});

export type RuntimeConfig = z.infer<typeof schema>;

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return schema.parse(present);
}

export const RUNTIME_CONFIG = Symbol('RUNTIME_CONFIG');
