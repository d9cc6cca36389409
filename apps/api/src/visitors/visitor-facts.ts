import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import type { ProfileEvent } from './profile-event';
import { CTA_LOG_EVENTS, type EventFacts, type Json } from './visitor-profile';

/** Request metadata that enriches the events of one request. */
export interface RequestMeta {
  /**
   * The visitor's browser, when the request itself came from one (`browserUserAgent`); used only when
   * the event has no `context.userAgent`. Null for server-side sources.
   */
  userAgent: string | null;
  /** Two-letter country from an edge header (cf-ipcountry, x-country, x-vercel-ip-country). */
  country: string | null;
}

type Headers = Record<string, string | string[] | undefined>;
const header = (headers: Headers, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The request's User-Agent when a browser sent the request, else null. A browser adds headers that
 * its scripts cannot set: `Origin` on every POST (fetch, XHR, sendBeacon) and `Sec-Fetch-Site` /
 * `Sec-Fetch-Dest` (not `Sec-Fetch-Mode`, which Node's own fetch sends too). A server library (the
 * Segment Node SDK, curl, any backend) sends none of them, and its User-Agent names the library, not
 * the visitor: no bot verdict, no device. Such sources tell the visitor's browser in
 * `context.userAgent` when they know it.
 */
export function browserUserAgent(headers: Headers): string | null {
  const fromBrowser = ['origin', 'sec-fetch-site', 'sec-fetch-dest'].some(
    (h) => header(headers, h) !== undefined,
  );
  return fromBrowser ? (header(headers, 'user-agent') ?? null) : null;
}

const COUNTRY_HEADERS = ['cf-ipcountry', 'x-country', 'x-vercel-ip-country', 'cloudfront-viewer-country'];

export function countryFromHeaders(headers: Headers): string | null {
  for (const h of COUNTRY_HEADERS) {
    const c = normalizeCountry(header(headers, h));
    if (c) return c;
  }
  return null;
}

function normalizeCountry(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const c = v.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(c) && c !== 'XX' ? c : null;
}

const uaCache = new Map<string, { device: Json; bot: boolean }>();

/** ua-parser-js and isbot are slow-ish per call; a bounded cache keeps the hot path cheap. */
export function parseUserAgent(ua: string): { device: Json; bot: boolean } {
  let hit = uaCache.get(ua);
  if (!hit) {
    const r = new UAParser(ua).getResult();
    hit = {
      device: {
        type: r.device.type ?? 'desktop',
        browser: r.browser.name ?? null,
        browserVersion: r.browser.major ?? null,
        os: r.os.name ?? null,
        osVersion: r.os.version ?? null,
      },
      bot: isbot(ua),
    };
    if (uaCache.size >= 5000) uaCache.clear();
    uaCache.set(ua, hit);
  }
  return hit;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};

function utmOf(context: Json, pageUrl: string | null): Json | null {
  const c = obj(context.campaign);
  const utm: Json = {};
  if (str(c.source)) utm.source = c.source;
  if (str(c.medium)) utm.medium = c.medium;
  if (str(c.name)) utm.campaign = c.name;
  if (str(c.term)) utm.term = c.term;
  if (str(c.content)) utm.content = c.content;
  if (Object.keys(utm).length === 0 && pageUrl) {
    try {
      const q = new URL(pageUrl).searchParams;
      for (const k of ['source', 'medium', 'campaign', 'term', 'content']) {
        const v = q.get(`utm_${k}`);
        if (v) utm[k] = v;
      }
    } catch {
      // relative URL: no UTM
    }
  }
  return Object.keys(utm).length ? utm : null;
}

/** The CTA interaction a track event records, when it is one the on-site decision reads. */
function ctaOf(e: ProfileEvent): EventFacts['cta'] {
  if (e.type !== 'track' || !CTA_LOG_EVENTS.has(e.name)) return null;
  const ctaId = e.properties.cta_id;
  if (typeof ctaId !== 'string' || !ctaId) return null;
  const variantId = e.properties.variant_id;
  return { name: e.name, ctaId, variantId: typeof variantId === 'string' ? variantId : null };
}

export function eventFacts(e: ProfileEvent, meta: RequestMeta): EventFacts {
  const page = obj(e.context.page);
  const isPage = e.type === 'page';
  const pageUrl = isPage ? (str(e.properties.url) ?? str(page.url)) : str(page.url);
  const referrer = isPage ? (str(e.properties.referrer) ?? str(page.referrer)) : str(page.referrer);
  const ua = str(e.context.userAgent) ?? meta.userAgent;
  const parsed = ua ? parseUserAgent(ua) : null;
  const location = obj(e.context.location);
  return {
    ts: e.ts,
    isPage,
    pageUrl,
    referrer,
    utm: utmOf(e.context, pageUrl),
    device: parsed?.device ?? null,
    country: normalizeCountry(location.country) ?? meta.country,
    isBot: parsed?.bot ?? false,
    cta: ctaOf(e),
  };
}
