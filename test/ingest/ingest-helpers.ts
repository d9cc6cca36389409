import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { ApiResponse, TestApi } from '../support/processes';
import { request } from '../support/processes';
import { TEST_DATABASE_URL } from '../support/test-env';

export async function dbClient(): Promise<Client> {
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  return db;
}

export const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** The headers only a browser adds to a POST: its User-Agent is then the visitor's (bot verdict, device). */
export const BROWSER_HEADERS = {
  'user-agent': BROWSER_UA,
  origin: 'https://shop.example',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'cross-site',
};

/** POSTs like a browser SDK (analytics.js, the embed): JSON body, write key as Basic username when given. */
export function send(
  api: TestApi,
  path: string,
  body: unknown,
  opts: { key?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  return request(api.url, path, {
    method: 'POST',
    body,
    headers: {
      ...BROWSER_HEADERS,
      ...(opts.key ? { authorization: basic(opts.key) } : {}),
      ...opts.headers,
    },
  });
}

export const track = (event: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event,
  anonymousId: `anon-${randomUUID()}`,
  messageId: randomUUID(),
  properties: {},
  ...extra,
});

export interface EventRow {
  id: string;
  site_id: string;
  ts: Date;
  received_at: Date;
  message_id: string;
  type: string;
  name: string;
  visitor_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  is_bot: boolean;
}

export async function eventsOf(db: Client, siteId: string, where = 'true', params: unknown[] = []) {
  return (
    await db.query<EventRow>(`SELECT * FROM events WHERE site_id = $1 AND ${where} ORDER BY id`, [
      siteId,
      ...params,
    ])
  ).rows;
}

export async function outboxIds(db: Client, siteId: string): Promise<string[]> {
  const rows = (
    await db.query<{ id: string }>(
      `SELECT unnest(event_ids)::text AS id FROM event_outbox WHERE site_id = $1`,
      [siteId],
    )
  ).rows;
  return rows.map((r) => r.id);
}

/** Event ids the fold handed to trigger matching (no worker runs in the API-only suites to take them). */
export async function handoffIds(db: Client, siteId: string): Promise<string[]> {
  const rows = (
    await db.query<{ id: string }>(
      `SELECT unnest(event_ids)::text AS id FROM trigger_handoffs WHERE site_id = $1`,
      [siteId],
    )
  ).rows;
  return rows.map((r) => r.id);
}
