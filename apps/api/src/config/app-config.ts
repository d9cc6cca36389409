import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean),
);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/nudgeflow'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(24),
  /** How this process's connections are named in pg_stat_activity (e.g. `nudgeflow-api`, `nudgeflow-worker`). */
  DB_APPLICATION_NAME: z.string().min(1).max(63).default('nudgeflow'),
  /** The API's own connections for /v1/decide's visitor-state read (generic plans; see VisitorStateRepository). */
  /** /v1/decide requests per second per site, shared by every API replica through Redis. */
  DECIDE_RATE_LIMIT: z.coerce.number().int().min(1).default(5000),
  DECIDE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().min(1).default('nf'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /** Delay added to a login for an email that failed too often from anywhere (slowed, never locked). */
  LOGIN_SLOWDOWN_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /** argon2id cost of new password hashes: `test` is cheap, for test suites only (refused in production). */
  PASSWORD_HASH_COST: z.enum(['standard', 'test']).default('standard'),
  OPERATOR_EMAILS: csv.default([]),
  /**
   * Which peers' X-Forwarded-For is believed for the client address (login limits): `loopback` (a
   * proxy on the same host), a comma-separated list of addresses/CIDRs, `true` (anyone: only behind
   * a proxy that overwrites the header) or `false`.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((v): boolean | string => (v === 'true' ? true : v === 'false' ? false : v)),
  /** Bearer token Prometheus sends to /metrics; unset, /metrics is not served on the public port. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BUILDER_DIST: z.string().default('apps/builder/dist'),
  EMBED_DIST: z.string().default('libs/embed/dist'),
  /** BullMQ job lock and stalled-job check: a dead worker's job runs again within about twice this. */
  QUEUE_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  /** A backtest job replays pages of visitors for about this long, then re-enqueues itself (fairness). */
  BACKTEST_SLICE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Visitors per page of a backtest (their events are then read in pages of 5,000). */
  BACKTEST_PAGE_VISITORS: z.coerce.number().int().min(1).max(10_000).default(2_000),
  SCHEDULE_MAINTENANCE: bool.default(true),
  /** SMTP server for send_email actions, e.g. smtp://user:pass@mail.example.com:587. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// URL')
    .optional(),
  // Webhooks: AES-256-GCM key for secrets at rest (required in production), SSRF allowlist
  // (addresses/CIDRs), fixed host answers (`host=ip`), compressed retry schedule for tests.
  SECRETS_KEY: z.string().min(16).optional(),
  WEBHOOK_ALLOWLIST: csv.default([]),
  WEBHOOK_RESOLVE: csv.default([]),
  WEBHOOK_RETRY_SCALE: z.coerce.number().min(0).max(1).default(1),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce.number().int().min(1).default(432_000),
  INBOUND_HOOK_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  // Live CTA push (SSE) connections one API process holds; past it, 503 and the embed polls.
  LIVE_MAX_CONNECTIONS: z.coerce.number().int().min(0).default(25_000),
  // The living demo (`npm run demo`): the demo site's write key turns on the demo shop at /demo-shop/
  // and its webhook receiver; DEMO_TRAFFIC tells the builder's banner that a simulator is running.
  DEMO_WRITE_KEY: z
    .string()
    .regex(/^nf_wk_[0-9a-f]{32}[A-Za-z0-9_-]{32,64}$/, 'must be a write key (nf_wk_…)')
    .optional(),
  DEMO_TRAFFIC: bool.default(false),
});

export type AppConfig = z.infer<typeof configSchema> & { JWT_SECRET: string };

export class ConfigError extends Error {}

const DEV_JWT_SECRET = 'nudgeflow-development-secret-change-me-in-production';

/** Parses the environment once; the message names every bad variable so start-up can print one line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const cfg = parsed.data;
  if (!cfg.JWT_SECRET && cfg.NODE_ENV === 'production') {
    throw new ConfigError('invalid configuration: JWT_SECRET: required when NODE_ENV=production');
  }
  if (cfg.PASSWORD_HASH_COST === 'test' && cfg.NODE_ENV === 'production') {
    throw new ConfigError(
      'invalid configuration: PASSWORD_HASH_COST: test is refused when NODE_ENV=production',
    );
  }
  return { ...cfg, JWT_SECRET: cfg.JWT_SECRET ?? DEV_JWT_SECRET };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
