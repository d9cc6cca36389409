import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DEV_SECRETS_KEY, SecretBox } from '../../apps/api/src/webhooks/secret-box';
import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import { TEST_DATABASE_URL } from '../support/test-env';
import type { Tenant } from '../support/tenants';

/**
 * Webhook routes for the tenant-isolation table. The isolation API runs without the SSRF allowlist,
 * so each victim's endpoint (a loopback discard port), one failed message and an inbound hook are
 * planted straight in the database.
 */
const planted = new WeakMap<Tenant, { endpointId: string; messageId: string; hookId: string }>();

async function plant(_: TestApi, v: Tenant): Promise<void> {
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  try {
    const box = new SecretBox(DEV_SECRETS_KEY);
    const endpointId = randomUUID();
    const messageId = randomUUID();
    await db.query(
      `INSERT INTO webhook_endpoints (site_id, id, url, secret_enc) VALUES ($1, $2, 'http://127.0.0.1:9/victim', $3)`,
      [v.siteId, endpointId, box.seal(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)],
    );
    await db.query(
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, status)
       VALUES ($1, $2, $3, 'victim.event', $4, $4, '{"secret":"victim"}', 'failed')`,
      [v.siteId, messageId, endpointId, `msg_${messageId.replace(/-/g, '')}`],
    );
    const hookId = randomUUID();
    await db.query(
      `INSERT INTO inbound_hooks (site_id, id, name, token_hash, last4, event_path, visitor_path)
       VALUES ($1, $2, 'victim hook', $3, 'abcd', 'type', 'user.id')`,
      [v.siteId, hookId, randomBytes(32)],
    );
    planted.set(v, { endpointId, messageId, hookId });
  } finally {
    await db.end();
  }
}

const base = (v: Tenant) => `/api/sites/${v.siteId}/webhooks`;
const ep = (v: Tenant) => `${base(v)}/endpoints/${planted.get(v)?.endpointId}`;
const msg = (v: Tenant) => `${base(v)}/messages/${planted.get(v)?.messageId}`;

const row = (
  name: string,
  method: IsolatedEndpoint['method'],
  path: (v: Tenant) => string,
  role: IsolatedEndpoint['role'],
  okStatus: number,
  body?: unknown,
): IsolatedEndpoint => ({
  name,
  method,
  path,
  body: body === undefined ? undefined : () => body,
  role,
  okStatus,
  keyAllowed: true,
  setup: plant,
});

export const WEBHOOK_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  row('list webhook endpoints', 'GET', (v) => `${base(v)}/endpoints`, 'viewer', 200),
  // Refused by the SSRF guard for the owner too (400): proves the route and role check ran.
  row('create webhook endpoint', 'POST', (v) => `${base(v)}/endpoints`, 'editor', 400, {
    url: 'http://127.0.0.1/',
  }),
  row('get webhook endpoint', 'GET', ep, 'viewer', 200),
  row('update webhook endpoint', 'PATCH', ep, 'editor', 200, { description: 'taken over' }),
  row('get webhook secret', 'GET', (v) => `${ep(v)}/secret`, 'editor', 200),
  row('rotate webhook secret', 'POST', (v) => `${ep(v)}/rotate-secret`, 'editor', 201, {}),
  row('send test webhook', 'POST', (v) => `${ep(v)}/test`, 'editor', 201, {}),
  row('recover webhooks', 'POST', (v) => `${ep(v)}/recover`, 'editor', 201, {
    since: '2020-01-01T00:00:00Z',
  }),
  row('list webhook messages', 'GET', (v) => `${base(v)}/messages`, 'viewer', 200),
  row('get webhook message', 'GET', msg, 'viewer', 200),
  row('resend webhook message', 'POST', (v) => `${msg(v)}/resend`, 'editor', 201),
  row('list webhook notices', 'GET', (v) => `${base(v)}/notices`, 'viewer', 200),
  row('delete webhook endpoint', 'DELETE', ep, 'editor', 204),
  row('list inbound hooks', 'GET', (v) => `/api/sites/${v.siteId}/inbound-hooks`, 'viewer', 200),
  row('create inbound hook', 'POST', (v) => `/api/sites/${v.siteId}/inbound-hooks`, 'editor', 201, {
    name: 'stolen',
    eventPath: 'type',
    visitorPath: 'user.id',
  }),
  row(
    'delete inbound hook',
    'DELETE',
    (v) => `/api/sites/${v.siteId}/inbound-hooks/${planted.get(v)?.hookId}`,
    'editor',
    204,
  ),
];
