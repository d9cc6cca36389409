import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { folded } from '../support/fold';
import type { TestApi } from '../support/processes';
import type { Tenant } from '../support/tenants';
import { siblingDatabaseUrl } from '../support/test-env';

/**
 * On-site tests run the worker (live push), whose outbox relay claims every site's rows, so they get
 * their own database, Redis db and queue prefix rather than sharing the common test database.
 */
export const ONSITE_DATABASE_URL = process.env.ONSITE_DATABASE_URL ?? siblingDatabaseUrl('onsite');
export const ONSITE_ENV = {
  DATABASE_URL: ONSITE_DATABASE_URL,
  REDIS_URL: process.env.ONSITE_REDIS_URL ?? 'redis://127.0.0.1:6379/8',
  QUEUE_PREFIX: 'nfonsite',
};

export function migrateOnsiteDatabase(): void {
  migrateRuntimeDatabase(ONSITE_DATABASE_URL);
}

export async function onsiteDb(): Promise<Client> {
  const db = new Client({ connectionString: ONSITE_DATABASE_URL });
  await db.connect();
  return db;
}

export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
export const MOBILE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

export function variant(id: string, headline: string, extra: Record<string, unknown> = {}) {
  return { id, name: id, weight: 1, content: { headline, body: '<p>Body</p>', buttons: [] }, ...extra };
}

export function ctaConfig(overrides: Record<string, unknown> = {}) {
  return { kind: 'modal', variants: [variant('a', 'Hello')], ...overrides };
}

/** Creates and publishes a CTA; returns its id. */
export async function publishCta(
  api: TestApi,
  t: Tenant,
  config: Record<string, unknown>,
  id: string = `cta-${randomUUID().slice(0, 8)}`,
): Promise<string> {
  const base = `/api/sites/${t.siteId}/ctas`;
  const created = await api.request(base, {
    method: 'POST',
    token: t.tokens.editor,
    body: { id, name: id, config },
  });
  if (created.status !== 201) throw new Error(`create CTA failed: ${created.status} ${created.raw}`);
  const published = await api.request(`${base}/${id}/publish`, { method: 'POST', token: t.tokens.editor });
  if (published.status !== 201) throw new Error(`publish CTA failed: ${published.status} ${published.raw}`);
  return id;
}

export interface WireCta {
  id: string;
  variantId: string;
  kind: string;
  content: { headline: string; body: string; buttons: { label: string }[] };
}

export async function decide(
  api: TestApi,
  t: Tenant,
  body: {
    anonymousId: string;
    url?: string;
    referrer?: string;
    userId?: string;
    ua?: string;
    campaign?: object;
  },
): Promise<{ status: number; ctas: WireCta[]; live?: { url: string } }> {
  const res = await fetch(`${api.url}/v1/decide`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({
      writeKey: t.writeKey,
      anonymousId: body.anonymousId,
      userId: body.userId,
      url: body.url ?? 'https://shop.example.com/',
      referrer: body.referrer ?? '',
      context: { userAgent: body.ua ?? DESKTOP_UA, ...(body.campaign ? { campaign: body.campaign } : {}) },
    }),
  });
  const json = (await res.json()) as { ctas?: WireCta[]; live?: { url: string } };
  return { status: res.status, ctas: json.ctas ?? [], live: json.live };
}

/**
 * Sends events through the real ingestion API (committed when it answers), then folds them into the
 * profile as the worker would (these suites run no worker).
 */
export async function track(
  api: TestApi,
  t: Tenant,
  anonymousId: string,
  events: { type?: string; event?: string; properties?: object; traits?: object; timestamp?: string }[],
): Promise<void> {
  const batch = events.map((e) => ({
    type: e.type ?? 'track',
    ...e,
    anonymousId,
    messageId: randomUUID(),
    timestamp: e.timestamp ?? new Date().toISOString(),
    context: { userAgent: DESKTOP_UA },
  }));
  const res = await fetch(`${api.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ writeKey: t.writeKey, batch }),
  });
  if (res.status !== 202) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
  await folded(t.siteId, 30_000, ONSITE_DATABASE_URL);
}

export async function visitorIdOf(db: Client, t: Tenant, anonymousId: string): Promise<string> {
  const { rows } = await db.query<{ visitor_id: string }>(
    `SELECT visitor_id FROM visitor_identities WHERE site_id = $1 AND kind = 'anon' AND value = $2`,
    [t.siteId, anonymousId],
  );
  if (!rows[0]) throw new Error(`no visitor for ${anonymousId}`);
  return rows[0].visitor_id;
}
