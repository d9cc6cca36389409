import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, tooManyRequests } from '../common/app-error';
import { TtlCache } from '../common/ttl-cache';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RateLimiter } from '../redis/rate-limiter';
import { userIdTrusted } from '../sites/identity-hash';
import { parseKeyToken } from '../sites/key-token';
import { KeyPrincipal, SiteKeyService } from '../sites/site-key.service';
import { parseUserAgent } from '../visitors/visitor-facts';
import { decide, DecideRequest, Device } from './cta-decision';
import { renderVariant, WireCta } from './cta-render';
import { PublishedCtaCache } from './published-cta.cache';
import { VisitorStateRepository } from './visitor-state.repository';

export const DECIDE_MAX_BYTES = 16 * 1024;
// Every answer on decide's path, errors included, carries CORS headers (onsite-cors.ts).
const fail = (status: number, code: string, message: string) => new AppError(status, code, message);

export interface DecideResponse {
  ctas: WireCta[];
  live?: { url: string };
}

const str = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function deviceOf(ua: string): { device: Device; bot: boolean } {
  if (!ua) return { device: 'desktop', bot: false };
  const parsed = parseUserAgent(ua);
  const type = (parsed.device as { type?: unknown }).type;
  return { device: type === 'mobile' || type === 'tablet' ? type : 'desktop', bot: parsed.bot };
}

/**
 * `POST /v1/decide`: which CTAs this visitor sees on this page now. Reads only (the script reports
 * `cta_viewed` itself): one cached lookup of the site's published CTAs, one query for the visitor.
 */
@Injectable()
export class DecideService {
  /** Recent visitors' live URLs (a pure function of site, key and anonymous id), oldest out first. */
  private readonly liveUrls = new TtlCache<string, string>(3_600_000, 50_000);

  constructor(
    private readonly keys: SiteKeyService,
    private readonly cache: PublishedCtaCache,
    private readonly state: VisitorStateRepository,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly limiter: RateLimiter,
  ) {}

  async handle(rawBody: unknown, userAgentHeader: string | undefined): Promise<DecideResponse> {
    const body = parseBody(rawBody);
    const writeKey = str(body.writeKey, 200);
    if (!writeKey) throw fail(HttpStatus.UNAUTHORIZED, 'KEY_REQUIRED', 'writeKey: is required');
    const anonymousId = str(body.anonymousId, 200);
    if (!anonymousId) throw fail(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'anonymousId: is required');
    const key = await this.browserKey(writeKey);
    // Per site and second across every API replica: one site's runaway page cannot starve the rest.
    const rate = await this.limiter.hit(`decide:${key.siteId}`, this.cfg.DECIDE_RATE_LIMIT, 1);
    if (!rate.allowed) throw tooManyRequests('RATE_LIMITED', rate.retryAfterSeconds);
    const context = obj(body.context);
    const ua = str(context.userAgent, 1000) ?? userAgentHeader ?? '';
    const { device, bot } = deviceOf(ua);
    if (bot) return { ctas: [] };

    const site = await this.cache.get(key.siteId);
    // Nothing published: no flow message could render either, so no live connection is worth holding.
    if (site.ctas.size === 0) return { ctas: [] };
    const request: DecideRequest = {
      anonymousId,
      url: str(body.url, 4000) ?? '',
      referrer: str(body.referrer, 4000) ?? '',
      device,
      campaign: obj(context.campaign),
    };
    // An unverified userId is ignored: the visitor is who their anonymous id (their capability) says.
    const claimed = str(body.userId, 200);
    const userId = claimed && userIdTrusted(key, claimed, body.userHash) ? claimed : null;
    const visitor = await this.state.load(key.siteId, anonymousId, userId, site.windowDays);
    const decisions = decide({ ctas: site.ctas, request, ...visitor, now: Date.now() });
    const view = { visitor: { traits: visitor.visitor?.traits ?? {}, tags: visitor.visitor?.tags ?? [] } };
    return {
      ctas: decisions.map((d) => renderVariant(d.cta.id, d.cta.config, d.variant, view)),
      live: { url: this.liveUrl(key.siteId, writeKey, anonymousId) },
    };
  }

  /**
   * Browser endpoints take the public write key only: a secret key is refused before any lookup
   * (403 SECRET_KEY_REFUSED), so it can never be used from a page or end up in a live URL.
   */
  async browserKey(writeKey: string): Promise<KeyPrincipal> {
    if (parseKeyToken(writeKey)?.kind === 'secret') {
      throw fail(
        HttpStatus.FORBIDDEN,
        'SECRET_KEY_REFUSED',
        'writeKey: a secret key is for servers only; browsers use the site write key (and rotate a leaked secret key)',
      );
    }
    const key = await this.keys.verify(writeKey);
    if (!key) throw fail(HttpStatus.UNAUTHORIZED, 'KEY_INVALID', 'write key is unknown or revoked');
    return key;
  }

  /** What a live connection is pushed when a flow queued a message: pending messages only, within caps. */
  async pendingFor(siteId: string, anonymousId: string): Promise<WireCta[]> {
    const site = await this.cache.get(siteId);
    if (site.ctas.size === 0) return [];
    const visitor = await this.state.load(siteId, anonymousId, null, site.windowDays);
    if (!visitor.messages.length) return [];
    const request: DecideRequest = { anonymousId, url: '', referrer: '', device: 'desktop' };
    const view = { visitor: { traits: visitor.visitor?.traits ?? {}, tags: visitor.visitor?.tags ?? [] } };
    return decide({ ctas: site.ctas, request, ...visitor, now: Date.now() })
      .filter((d) => d.source === 'message')
      .map((d) => renderVariant(d.cta.id, d.cta.config, d.variant, view));
  }

  /**
   * The visitor's live URL. A pure function of site, key and anonymous id, remembered for recent
   * visitors (oldest out first): signing it on every page view cost decide 5 % of its CPU.
   */
  liveUrl(siteId: string, writeKey: string, anonymousId: string): string {
    const key = `${siteId}|${writeKey}|${anonymousId}`;
    let url = this.liveUrls.get(key);
    if (url === undefined) {
      const q = new URLSearchParams({ k: writeKey, a: anonymousId, s: this.sign(siteId, anonymousId) });
      url = `/v1/live?${q.toString()}`;
      this.liveUrls.set(key, url);
    }
    return url;
  }

  /** A live URL is bound to one anonymous id, so nobody can listen to another visitor's pushes. */
  verifyLive(siteId: string, anonymousId: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(siteId, anonymousId));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(siteId: string, anonymousId: string): string {
    return createHmac('sha256', this.cfg.JWT_SECRET)
      .update(`live:${siteId}:${anonymousId}`)
      .digest('base64url')
      .slice(0, 32);
  }
}

/** text/plain (what the script sends, CORS-simple) arrives as a string; JSON arrives parsed. */
function parseBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (body.length > DECIDE_MAX_BYTES)
      throw fail(413, 'PAYLOAD_TOO_LARGE', `body: larger than ${DECIDE_MAX_BYTES} bytes`);
    try {
      return obj(JSON.parse(body.toString()));
    } catch {
      throw fail(HttpStatus.BAD_REQUEST, 'INVALID_JSON', 'body: is not valid JSON');
    }
  }
  return obj(body);
}
