import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { freePort, RunningProcess, startApi, startWorker, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { migrateDatabase } from '../support/provision';
import { siblingDatabaseUrl, testClientConfig } from '../support/test-env';

/**
 * The runtime's e2e tests get their own database, Redis db and queue prefix: the chaos tests flush
 * Redis and kill PostgreSQL connections, and the outbox relay claims every site's rows, so sharing
 * the common test database with other features' tests running at the same time would cross-talk.
 */
export const RT_DATABASE_URL = process.env.RT_DATABASE_URL ?? siblingDatabaseUrl('runtime');
export const RT_REDIS_URL = process.env.RT_REDIS_URL ?? 'redis://127.0.0.1:6379/7';

let migrated = false;
export function migrateRuntimeDatabase(url = RT_DATABASE_URL): void {
  if (migrated && url === RT_DATABASE_URL) return;
  migrateDatabase(url);
  if (url === RT_DATABASE_URL) migrated = true;
}

export interface ReceivedMail {
  messageId: string;
  to: string;
  subject: string;
  from: string;
  replyTo: string;
}

export interface Receivers {
  smtpUrl: string;
  mails: ReceivedMail[];
  /** Subjects whose data arrived, before `delayMs` holds them (a send in flight). */
  arrived: string[];
  hookUrl: string;
  hooks: { headers: IncomingMessage['headers']; body: string }[];
  /** When set, the first try of each webhook-id is answered 503 with this Retry-After (seconds). */
  refuseFirstTry: number | null;
  /** webhook-ids of the tries refused by `refuseFirstTry`. */
  refused: string[];
  /** Recipients containing one of these are refused (per-action retry tests). */
  reject: Set<string>;
  /** Milliseconds the SMTP server sits on a message before accepting it. */
  delayMs: number;
  /** Milliseconds before a recipient is accepted (a crash here leaves no half-accepted message). */
  rcptDelayMs: number;
  close: () => Promise<void>;
}

export async function startReceivers(): Promise<Receivers> {
  const r: Receivers = {
    smtpUrl: '',
    mails: [],
    arrived: [],
    hookUrl: '',
    hooks: [],
    refuseFirstTry: null,
    refused: [],
    reject: new Set(),
    delayMs: 0,
    rcptDelayMs: 0,
    close: async () => undefined,
  };
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      setTimeout(() => {
        if ([...r.reject].some((x) => address.address.includes(x))) cb(new Error('mailbox unavailable'));
        else cb();
      }, r.rcptDelayMs);
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
        r.arrived.push(header('Subject'));
        setTimeout(() => {
          r.mails.push({
            messageId: header('Message-ID'),
            to: session.envelope.rcptTo.map((t) => t.address).join(','),
            subject: header('Subject'),
            from: header('From'),
            replyTo: header('Reply-To'),
          });
          cb();
        }, r.delayMs);
      });
    },
  });
  // A SIGKILLed worker leaves SMTP sessions that end in a reset: expected, not a test failure.
  smtp.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') console.error('smtp receiver error', err);
  });
  const smtpPort = await freePort();
  await new Promise<void>((res) => smtp.listen(smtpPort, '127.0.0.1', res));
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const webhookId = String(req.headers['webhook-id'] ?? '');
      if (r.refuseFirstTry !== null && !r.refused.includes(webhookId)) {
        r.refused.push(webhookId);
        res.writeHead(503, { 'retry-after': String(r.refuseFirstTry) }).end('busy');
        return;
      }
      r.hooks.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
  r.smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
  r.hookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
  r.close = async () => {
    await new Promise<void>((res) => smtp.close(() => res()));
    await new Promise<void>((res) => http.close(() => res()));
  };
  return r;
}

export function stackEnv(receivers: Receivers, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: RT_DATABASE_URL,
    REDIS_URL: RT_REDIS_URL,
    QUEUE_PREFIX: `nfrt${randomUUID().slice(0, 6)}`,
    SMTP_URL: receivers.smtpUrl,
    WEBHOOK_ALLOWLIST: '127.0.0.1',
    WEBHOOK_RETRY_SCALE: '0.001',
    SCHEDULE_MAINTENANCE: 'true',
    DB_POOL_SIZE: '20',
    RUNTIME_RECONCILE_EVERY_MS: '500',
    RUNTIME_RESCUE_GRACE_MS: '2000',
    RUNTIME_REAP_EVERY_MS: '1000',
    RUNTIME_RETRY_BASE_MS: '100',
    RUNTIME_RETRY_MAX_MS: '400',
    RUNTIME_EFFECT_ATTEMPTS: '3',
    // A SIGKILLed worker's jobs run again after ~2× this (BullMQ's stalled check), not a minute.
    QUEUE_LOCK_MS: '10000',
    ...extra,
  };
}

/**
 * A describe block's receivers and stack: started before its tests (with `stackEnv(rx, extra)`) and
 * stopped after them. Read `ctx.rx` / `ctx.stack` inside the tests.
 */
export function useStack(extra: Record<string, string> = {}): { rx: Receivers; stack: Stack } {
  const ctx = {} as { rx: Receivers; stack: Stack };
  beforeAll(async () => {
    ctx.rx = await startReceivers();
    ctx.stack = await startStack(stackEnv(ctx.rx, extra));
  }, 300_000);
  afterAll(async () => {
    await ctx.stack?.stop();
    await ctx.rx?.close();
  });
  return ctx;
}

export interface Stack {
  api: TestApi;
  worker: RunningProcess;
  env: Record<string, string>;
  db: Client;
  redis: Redis;
  stop: () => Promise<void>;
}

export async function startStack(env: Record<string, string>): Promise<Stack> {
  migrateRuntimeDatabase(env.DATABASE_URL);
  const db = new Client(testClientConfig(env.DATABASE_URL));
  await db.connect();
  // Test files run one at a time on this database: end what an aborted earlier run left active, or
  // every reconciler pass of this stack would spend its time on other tests' leftovers.
  await db.query(
    `UPDATE runs SET status = 'cancelled', next_step_at = NULL, ended_at = now()
      WHERE status IN ('pending', 'running', 'waiting')`,
  );
  await db.query(`DELETE FROM trigger_handoffs`);
  await db.query(`DELETE FROM event_outbox`);
  const redis = new Redis(env.REDIS_URL);
  const api = await startApi(env, 120_000);
  const worker = await startWorker(env, 120_000);
  watchExit(worker, 'worker');
  const stack: Stack = {
    api,
    worker,
    env,
    db,
    redis,
    // Through `stack`: a test may replace the worker (SIGKILL chaos), and the replacement must stop too.
    stop: async () => {
      await Promise.all([stack.api.stop(), stack.worker.stop()]);
      await db.end();
      redis.disconnect();
    },
  };
  return stack;
}

/** A process dying on its own is the first thing to know when a chaos test times out. */
export function watchExit(p: RunningProcess, name: string): void {
  p.proc.once('exit', (code, signal) => {
    if (!p.proc.killed)
      console.error(
        `${name} exited on its own (code ${code}, signal ${signal}):\n${p.output().slice(-4000)}`,
      );
  });
}

/** Each tenant's email sender, which flows name as the placeholder `senderId: 'default'`. */
const defaultSenders = new WeakMap<Tenant, string>();

export async function tenant(stack: Stack, label: string): Promise<Tenant> {
  const t = await createTenant(stack.api, label);
  const sender = await stack.api.request(`/api/sites/${t.siteId}/email-senders`, {
    method: 'POST',
    token: t.tokens.editor,
    body: {
      name: 'Flows',
      fromName: 'Flows',
      fromAddress: 'flows@nudgeflow.test',
      replyTo: 'team@nudgeflow.test',
    },
  });
  if (sender.status !== 201) throw new Error(`email sender: ${sender.status} ${sender.raw}`);
  defaultSenders.set(t, sender.body.id as string);
  return t;
}

export interface EventSpec {
  visitorId: string;
  name: string;
  type?: 'track' | 'page' | 'identify';
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  isBot?: boolean;
}

/**
 * Writes events the way ingestion does (visitor upsert, event rows and one outbox row in one
 * transaction): the runtime's input contract, without depending on the ingestion HTTP path.
 */
export async function ingest(db: Client, siteId: string, events: EventSpec[]): Promise<string[]> {
  await db.query('BEGIN');
  try {
    const visitors = [...new Map(events.map((e) => [e.visitorId, e])).values()];
    for (const v of visitors)
      await db.query(
        `INSERT INTO visitors (site_id, id, traits, first_seen_at, last_seen_at, is_bot)
         VALUES ($1, $2, $3, now(), now(), $4) ON CONFLICT (site_id, id) DO NOTHING`,
        [siteId, v.visitorId, JSON.stringify(v.traits ?? {}), v.isBot ?? false],
      );
    const ids = (
      await db.query<{ id: string }>(
        `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties, is_bot)
         SELECT $1, now(), x.message_id, x.type, x.name, x.visitor_id, x.properties, x.is_bot
           FROM jsonb_to_recordset($2::jsonb) AS x(message_id text, type text, name text, visitor_id uuid,
                properties jsonb, is_bot boolean)
         RETURNING id::text AS id`,
        [
          siteId,
          JSON.stringify(
            events.map((e) => ({
              message_id: randomUUID(),
              type: e.type ?? 'track',
              name: e.name,
              visitor_id: e.visitorId,
              properties: e.properties ?? {},
              is_bot: e.isBot ?? false,
            })),
          ),
        ],
      )
    ).rows.map((r) => r.id);
    await db.query(`INSERT INTO event_outbox (site_id, event_ids) VALUES ($1, $2::bigint[])`, [siteId, ids]);
    await db.query('COMMIT');
    return ids;
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

type Node = { id: string; type: string; config: Record<string, unknown> };
type Edge = [source: string, handle: string, target: string];

export function flowDoc(name: string, nodes: Node[], edges: Edge[], settings: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    name,
    settings,
    graph: {
      nodes: nodes.map((n, i) => ({ ...n, position: { x: 0, y: i * 100 } })),
      edges: edges.map(([source, sourceHandle, target], i) => ({
        id: `e${i}`,
        source,
        sourceHandle,
        target,
      })),
    },
  };
}

export async function publishFlow(stack: Stack, t: Tenant, doc: ReturnType<typeof flowDoc>): Promise<string> {
  const sender = defaultSenders.get(t);
  for (const node of doc.graph.nodes)
    if (node.type === 'send_email' && node.config.senderId === 'default' && sender)
      node.config.senderId = sender;
  const created = await stack.api.request(`/api/sites/${t.siteId}/flows/import`, {
    method: 'POST',
    token: t.tokens.editor,
    body: doc,
  });
  if (created.status !== 201) throw new Error(`import failed: ${created.status} ${created.raw}`);
  const flowId = (created.body.id ?? (created.body.flow as { id: string } | undefined)?.id) as string;
  const published = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/publish`, {
    method: 'POST',
    token: t.tokens.editor,
    body: {},
  });
  if (published.status !== 201 && published.status !== 200)
    throw new Error(`publish failed: ${published.status} ${published.raw}`);
  return flowId;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RunRowLite {
  id: string;
  status: string;
  flow_version: number;
  error: { code: string; message: string } | null;
  visitor_id: string;
}

export async function runsOf(db: Client, siteId: string, flowId: string): Promise<RunRowLite[]> {
  return (
    await db.query<RunRowLite>(
      `SELECT id, status, flow_version, error, visitor_id FROM runs WHERE site_id = $1 AND flow_id = $2 ORDER BY created_at`,
      [siteId, flowId],
    )
  ).rows;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Visitors with an email trait, inserted in one statement. */
export async function seedVisitors(
  db: Client,
  siteId: string,
  ids: string[],
  domain = 'example.com',
): Promise<void> {
  await db.query(
    `INSERT INTO visitors (site_id, id, traits, first_seen_at, last_seen_at)
     SELECT $1, v, jsonb_build_object('email', replace(v::text, '-', '') || '@' || $3), now(), now()
       FROM unnest($2::uuid[]) v`,
    [siteId, ids, domain],
  );
}

export const statusCounts = async (db: Client, siteId: string, flowId: string) =>
  Object.fromEntries(
    (
      await db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM runs WHERE site_id = $1 AND flow_id = $2 GROUP BY 1`,
        [siteId, flowId],
      )
    ).rows.map((r) => [r.status, r.n]),
  ) as Record<string, number>;

/** Waits (bounded) until `n` runs of the flow completed; returns the flow's status counts then. */
export const untilCompleted = (
  stack: Stack,
  siteId: string,
  flowId: string,
  n: number,
  timeoutMs = 90_000,
  everyMs = 300,
) =>
  waitFor(
    `all ${n} completed`,
    async () => {
      const c = await statusCounts(stack.db, siteId, flowId);
      return c.completed === n ? c : undefined;
    },
    timeoutMs,
    everyMs,
  );

export async function ingestMany(
  stack: Stack,
  siteId: string,
  visitors: string[],
  name: string,
  batch = 100,
) {
  for (let i = 0; i < visitors.length; i += batch)
    await ingest(
      stack.db,
      siteId,
      visitors.slice(i, i + batch).map((v) => ({ visitorId: v, name })),
    );
}

/**
 * Redis here is shared with other features' test runs (other databases of the same server), so the
 * runtime's own Redis database is wiped with FLUSHDB: for the api and worker under test that is
 * exactly a FLUSHALL (every queue, job, schedule and budget key gone).
 */
