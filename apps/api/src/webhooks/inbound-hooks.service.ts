import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError, notFound, tooManyRequests } from '../common/app-error';
import { hexToUuid, randomToken, sha256, uuidToHex } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { INGEST_LIMITS, normalizeEvent } from '../ingest/event-normalize';
import { IngestService } from '../ingest/ingest.service';
import { RateLimiter } from '../redis/rate-limiter';
import { readString } from './json-path';
import { InboundHookRepository, InboundHookRow } from './inbound-hook.repository';
import { WebhookSecrets } from './webhook-secrets';
import { generateSigningSecret, verifySignature } from './webhook-signature';

const TOKEN_RE = /^nf_ih_([0-9a-f]{32})([A-Za-z0-9_-]{32,64})$/;
const hookNotFound = () => notFound('inbound hook', 'INBOUND_HOOK_NOT_FOUND');

export interface InboundHookView {
  id: string;
  name: string;
  eventPath: string;
  visitorPath: string;
  defaultEvent: string | null;
  verified: boolean;
  /** Masked; the whole URL is shown once, at creation. */
  token: string;
  createdAt: Date;
}

export interface CreateInboundHook {
  name: string;
  eventPath: string;
  visitorPath: string;
  defaultEvent?: string;
  /** Standard Webhooks verification: the sender's `whsec_` secret, or `true` to generate one. */
  secret?: string | true;
}

/**
 * Inbound hooks turn an integration's JSON into a Nudgeflow track event and store it through the
 * ingestion path itself: ingestion's normaliser and limits, the site's ingest rate limit (shared
 * with /v1), and IngestService's group commit (dedupe window, visitor profile, outbox). On top: a
 * per-hook rate limit, Standard Webhooks verification and dedupe on webhook-id.
 */
@Injectable()
export class InboundHooksService {
  constructor(
    private readonly hooks: InboundHookRepository,
    private readonly ingest: IngestService,
    private readonly limiter: RateLimiter,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  async create(
    siteId: string,
    input: CreateInboundHook,
  ): Promise<InboundHookView & { path: string; secret?: string }> {
    const token = `nf_ih_${uuidToHex(siteId)}${randomToken(24)}`;
    const secret = input.secret === true ? generateSigningSecret() : input.secret;
    const row = await this.hooks.insert(siteId, {
      name: input.name,
      tokenHash: sha256(token),
      last4: token.slice(-4),
      eventPath: input.eventPath,
      visitorPath: input.visitorPath,
      defaultEvent: input.defaultEvent ?? null,
      secretEnc: secret ? this.secrets.seal(secret) : null,
    });
    return { ...toView(row), path: `/v1/hooks/${token}`, ...(input.secret === true ? { secret } : {}) };
  }

  async list(siteId: string): Promise<InboundHookView[]> {
    return (await this.hooks.list(siteId)).map(toView);
  }

  async remove(siteId: string, id: string): Promise<void> {
    if (!(await this.hooks.delete(siteId, id))) throw hookNotFound();
  }

  async receive(
    token: string,
    rawBody: Buffer | undefined,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<{ success: true; duplicate: boolean; messageId: string }> {
    const m = TOKEN_RE.exec(token);
    if (!m) throw hookNotFound();
    const siteId = hexToUuid(m[1]);
    const hook = await this.hooks.findByToken(siteId, sha256(token));
    if (!hook) throw hookNotFound();

    const rate = await this.limiter.hit(
      `inbound:${siteId}:${hook.id}`,
      this.cfg.INBOUND_HOOK_RATE_PER_MINUTE,
      60,
    );
    if (!rate.allowed) throw tooManyRequests('RATE_LIMITED', rate.retryAfterSeconds);

    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const webhookId = header('webhook-id');
    if (hook.secret_enc) {
      const signed = {
        'webhook-id': webhookId ?? '',
        'webhook-timestamp': header('webhook-timestamp') ?? '',
        'webhook-signature': header('webhook-signature') ?? '',
      };
      if (!rawBody || !verifySignature(this.secrets.open(hook.secret_enc), rawBody, signed))
        throw new AppError(
          HttpStatus.UNAUTHORIZED,
          'WEBHOOK_SIGNATURE_INVALID',
          'webhook-signature: does not verify',
        );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new AppError(HttpStatus.BAD_REQUEST, 'INVALID_JSON', 'body: must be a JSON object');
    if (webhookId !== undefined && (webhookId.length === 0 || webhookId.length > 200))
      throw new AppError(HttpStatus.BAD_REQUEST, 'INVALID_ID', 'webhook-id: 1 to 200 characters');

    const event = this.toEvent(hook, body, webhookId);
    if (webhookId && !(await this.hooks.receive(siteId, hook.id, webhookId)))
      return { success: true, duplicate: true, messageId: event.messageId };
    try {
      // The site's ingest limit and the shared group commit, exactly as /v1/track.
      const [outcome] = await this.ingest.submit(siteId, [event], { userAgent: null, country: null });
      return { success: true, duplicate: outcome === 'duplicate', messageId: event.messageId };
    } catch (err) {
      if (webhookId) await this.hooks.forget(siteId, hook.id, webhookId);
      throw err;
    }
  }

  /** The integration's JSON as a Segment track event, validated by ingestion's own normaliser. */
  private toEvent(hook: InboundHookRow, body: object, webhookId: string | undefined) {
    const name = readString(body, hook.event_path) ?? hook.default_event ?? undefined;
    if (!name)
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'MISSING_EVENT_NAME',
        `${hook.event_path}: no event name there`,
      );
    const userId = readString(body, hook.visitor_path);
    if (!userId)
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'MISSING_IDENTITY',
        `${hook.visitor_path}: no visitor id there`,
      );
    const receivedAt = new Date();
    const r = normalizeEvent(
      {
        type: 'track',
        event: name,
        userId,
        properties: body,
        // Deterministic per (hook, webhook-id): ingestion's own dedupe window agrees with ours.
        messageId: webhookId ? `hook-${uuidToHex(hook.id)}-${webhookId}` : undefined,
      },
      // Marks the event as this hook's (`context.source/hookId`): `trigger_inbound_webhook` starts on it.
      { receivedAt, type: 'track', newMessageId: randomUUID, inboundHookId: hook.id },
    );
    if (!r.ok) throw new AppError(r.code === 'EVENT_TOO_LARGE' ? 413 : 400, r.code, r.reason);
    return r.event;
  }
}

export const INBOUND_MAX_BYTES = INGEST_LIMITS.eventBytes;

function toView(r: InboundHookRow): InboundHookView {
  return {
    id: r.id,
    name: r.name,
    eventPath: r.event_path,
    visitorPath: r.visitor_path,
    defaultEvent: r.default_event,
    verified: !!r.secret_enc,
    token: `nf_ih_…${r.last4}`,
    createdAt: r.created_at,
  };
}
