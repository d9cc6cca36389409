import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AppError, tooManyRequests } from '../common/app-error';
import { positiveInt } from '../common/positive-int';
import { RateLimiter } from '../redis/rate-limiter';
import { SiteKeyService } from '../sites/site-key.service';
import { browserUserAgent, countryFromHeaders, eventFacts, RequestMeta } from '../visitors/visitor-facts';
import { EventStore, IngestItem, ItemOutcome } from './event-store.repository';
import {
  EventType,
  INGEST_LIMITS,
  NormalizedEvent,
  normalizeBatch,
  normalizeEvent,
  Rejection,
} from './event-normalize';
import { GroupCommit } from '../common/group-commit';
import { identityLaneKeys } from './identity-lanes';
import { verifyBrowserIdentities } from './identity-verification';

export interface IngestResponse {
  success: true;
  accepted: number;
  stored: number;
  duplicates: number;
  rejected: Rejection[];
}

/** Requests per second per site (`INGEST_RATE_LIMIT`), shared by every API replica through Redis. */
export const INGEST_RATE_LIMIT = positiveInt(process.env.INGEST_RATE_LIMIT, 5000);

// Every answer on the ingest paths, errors included, carries CORS headers (ingest-cors.ts).
const err = (status: number, code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(status, code, message, details);

const ingestLogger = new Logger('ingest');

/** Seconds a client should wait before sending again when PostgreSQL cannot commit. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Anything but a client error on the way to COMMIT means the events are not stored: 503 with
 * Retry-After, so SDKs keep them and send again (never a generic 500, never a lie of 202).
 */
async function storing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AppError) throw e;
    ingestLogger.error({ err: (e as Error).message }, 'events could not be committed');
    throw new AppError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'STORAGE_UNAVAILABLE',
      'events could not be stored right now; send them again later',
      undefined,
      { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
    );
  }
}

function decodeBasic(value: string): string | undefined {
  try {
    const [user] = Buffer.from(value, 'base64').toString('utf8').split(':', 1);
    return user || undefined;
  } catch {
    return undefined;
  }
}

/** Write key from Basic username (Segment), Bearer, or the body's `writeKey`. */
export function keyFromRequest(auth: string | undefined, body: Record<string, unknown>): string | undefined {
  let fromHeader: string | undefined;
  if (auth) {
    const [scheme, value] = auth.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic' && value) fromHeader = decodeBasic(value);
    else if (scheme?.toLowerCase() === 'bearer' && value) fromHeader = value;
  }
  const fromBody = typeof body.writeKey === 'string' && body.writeKey ? body.writeKey : undefined;
  if (fromHeader && fromBody && fromHeader !== fromBody) {
    throw err(HttpStatus.UNAUTHORIZED, 'KEY_MISMATCH', 'writeKey: differs from the authorization header');
  }
  return fromHeader ?? fromBody;
}

/**
 * The ingest path's group commit around `flush` (EventStore.commit), as the API runs it; the ingest
 * benchmark drives the same one without HTTP to measure the storage path's own ceiling.
 *
 * Up to three groups in flight at once (INGEST_IN_FLIGHT): groups naming different visitors commit in
 * parallel in PostgreSQL, and one naming a visitor a running group holds waits at its lock, ready to go
 * at that COMMIT. One lane by default: on two cores, more lanes meant smaller groups and more CPU per
 * event (single-event track: 4 lanes cost 1.5x the API and 2.4x the PostgreSQL CPU per event of one).
 * Submissions split by linked identities (`submitSplit`) when there are more.
 */
export function ingestGroupCommit(
  flush: (items: IngestItem[]) => Promise<ItemOutcome[]>,
): GroupCommit<IngestItem, ItemOutcome> {
  return new GroupCommit(flush, positiveInt(process.env.INGEST_LANES, 1), 5000, {
    inFlight: positiveInt(process.env.INGEST_IN_FLIGHT, 3),
    lingerMs: positiveInt(process.env.INGEST_LINGER_MS, 2),
    minItems: positiveInt(process.env.INGEST_MIN_ITEMS, 200),
    isolate: isDataError,
  });
}

/**
 * PostgreSQL refused a value (class 22, data exception: a string it cannot store, a number or time
 * out of range) or hit a limit (class 54, e.g. stack depth): caused by some request's events, so the
 * group's requests are committed again one by one. Validation rejects the known cases first.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

/** One submission's normalised events as group-commit items, their facts read with the request's meta. */
export function ingestItems(
  siteId: string,
  events: NormalizedEvent[],
  meta: RequestMeta,
  receivedAt: Date,
): IngestItem[] {
  return events.map((event) => ({
    siteId,
    event: withRequestMeta(event, meta),
    facts: eventFacts(event, meta),
    receivedAt,
  }));
}

/**
 * The event with what its request told about the visitor written into its context, as Segment's own
 * pipeline does: the browser's User-Agent (`context.userAgent`) and the edge's country
 * (`context.location.country`) when the event does not carry them. The fold reads the visitor's
 * device and country from the stored event alone.
 */
export function withRequestMeta(event: NormalizedEvent, meta: RequestMeta): NormalizedEvent {
  const context = event.context;
  const location = isObject(context.location) ? context.location : undefined;
  const addUa =
    meta.userAgent !== null && !(typeof context.userAgent === 'string' && context.userAgent !== '');
  const addCountry =
    meta.country !== null && !(typeof location?.country === 'string' && location.country !== '');
  if (!addUa && !addCountry) return event;
  const next = { ...context };
  if (addUa) next.userAgent = meta.userAgent;
  if (addCountry) next.location = { ...(location ?? {}), country: meta.country };
  return { ...event, context: next };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Group commit split by visitor: unrelated visitors' events may commit in parallel lanes. */
export function commitSplit(
  commits: GroupCommit<IngestItem, ItemOutcome>,
  siteId: string,
  items: IngestItem[],
): Promise<ItemOutcome[]> {
  return commits.submitSplit(
    items,
    identityLaneKeys(
      siteId,
      items.map((i) => i.event),
    ),
  );
}

@Injectable()
export class IngestService {
  private readonly commits: GroupCommit<IngestItem, ItemOutcome>;

  constructor(
    private readonly store: EventStore,
    private readonly keys: SiteKeyService,
    private readonly limiter: RateLimiter,
  ) {
    this.commits = ingestGroupCommit((items) => this.store.commit(items));
  }

  /** `type` is set by the single-event routes; undefined means /v1/batch. */
  async handle(req: FastifyRequest, type: EventType | undefined): Promise<IngestResponse> {
    const receivedAt = new Date();
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > INGEST_LIMITS.requestBytes) {
      throw err(413, 'PAYLOAD_TOO_LARGE', `body: larger than ${INGEST_LIMITS.requestBytes} bytes`);
    }
    const body = parseBody(req.body);
    const token = keyFromRequest(req.headers.authorization, body);
    if (!token) throw err(401, 'KEY_REQUIRED', 'a write key is required (Basic username or writeKey)');
    const key = await storing(() => this.keys.verify(token));
    if (!key) throw err(401, 'KEY_INVALID', 'write key is unknown or revoked');
    const rate = await this.limiter.hit(`ingest:${key.siteId}`, INGEST_RATE_LIMIT, 1);
    if (!rate.allowed) throw tooManyRequests('RATE_LIMITED', rate.retryAfterSeconds);

    const opts = { receivedAt, sentAt: body.sentAt, newMessageId: randomUUID };
    let result;
    if (type) {
      const r = normalizeEvent(body, { ...opts, type });
      if (!r.ok) {
        throw err(r.code === 'EVENT_TOO_LARGE' ? 413 : 400, r.code, r.reason, {
          rejected: [{ index: 0, code: r.code, reason: r.reason }],
        });
      }
      result = verifyBrowserIdentities(key, [body], [{ index: 0, event: r.event }]);
      const [bad] = result.rejected;
      if (bad)
        throw err(bad.code === 'ALIAS_UNVERIFIED' ? 403 : 400, bad.code, bad.reason, {
          rejected: result.rejected,
        });
    } else {
      if (!Array.isArray(body.batch)) throw err(400, 'INVALID_BATCH', 'batch: must be an array of events');
      if (body.batch.length === 0) throw err(400, 'INVALID_BATCH', 'batch: must not be empty');
      if (body.batch.length > INGEST_LIMITS.batchEvents) {
        throw err(413, 'BATCH_TOO_LARGE', `batch: more than ${INGEST_LIMITS.batchEvents} events`);
      }
      const normalized = normalizeBatch(body.batch, { ...opts, sentAt: body.sentAt });
      const verified = verifyBrowserIdentities(key, body.batch, normalized.events);
      result = {
        events: verified.events,
        rejected: [...normalized.rejected, ...verified.rejected].sort((a, b) => a.index - b.index),
      };
      if (result.events.length === 0) {
        throw err(400, 'BATCH_REJECTED', 'batch: every event was rejected', { rejected: result.rejected });
      }
    }

    const meta: RequestMeta = {
      // Secret keys are for servers only; a write key is also used by server libraries.
      userAgent: key.kind === 'write' ? browserUserAgent(req.headers) : null,
      country: countryFromHeaders(req.headers),
    };
    const items = ingestItems(
      key.siteId,
      result.events.map(({ event }) => event),
      meta,
      receivedAt,
    );
    const outcomes = await storing(() => commitSplit(this.commits, key.siteId, items));
    const stored = outcomes.filter((o) => o === 'stored').length;
    return {
      success: true,
      accepted: items.length,
      stored,
      duplicates: items.length - stored,
      rejected: result.rejected,
    };
  }

  /**
   * Server-side producers (inbound hooks) with already-normalised events: the site's ingest rate
   * limit, then the same group commit as /v1 (dedupe window, visitors, outbox). Resolves after COMMIT.
   */
  async submit(siteId: string, events: NormalizedEvent[], meta: RequestMeta): Promise<ItemOutcome[]> {
    const rate = await this.limiter.hit(`ingest:${siteId}`, INGEST_RATE_LIMIT, 1);
    if (!rate.allowed) throw tooManyRequests('RATE_LIMITED', rate.retryAfterSeconds);
    const receivedAt = new Date();
    const items = ingestItems(siteId, events, meta, receivedAt);
    return storing(() => commitSplit(this.commits, siteId, items));
  }
}

/** application/json arrives parsed; text/plain (sendBeacon, CORS-simple) arrives as a string. */
function parseBody(body: unknown): Record<string, unknown> {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      throw err(400, 'INVALID_JSON', 'body: is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw err(400, 'INVALID_JSON', 'body: must be a JSON object');
  }
  return value as Record<string, unknown>;
}
