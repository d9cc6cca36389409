import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import { TEST_DATABASE_URL, testClientConfig } from '../support/test-env';
import type { Tenant } from '../support/tenants';

/** Report routes for the tenant-isolation table; the flow report needs a flow, planted in the database. */
const flowOf = new WeakMap<Tenant, string>();

async function plantFlow(_: TestApi, v: Tenant): Promise<void> {
  if (flowOf.has(v)) return;
  const db = new Client(testClientConfig(TEST_DATABASE_URL));
  await db.connect();
  try {
    const id = randomUUID();
    await db.query(
      `INSERT INTO flows (site_id, id, name, draft) VALUES ($1, $2, 'victim report flow', '{}')`,
      [v.siteId, id],
    );
    flowOf.set(v, id);
  } finally {
    await db.end();
  }
}

// Each victim gets one saved funnel, created through the API by its editor.
const funnelOf = new WeakMap<Tenant, string>();
const funnelSteps = [
  { event: '$page', filters: [{ property: 'path', op: 'equals', value: '/pricing' }] },
  { event: 'signup', filters: [] },
];
async function plantFunnel(t: TestApi, v: Tenant): Promise<void> {
  if (funnelOf.has(v)) return;
  const res = await t.request(`/api/sites/${v.siteId}/funnels`, {
    method: 'POST',
    token: v.tokens.editor,
    body: { name: 'victim funnel', steps: funnelSteps, windowSeconds: 3600 },
  });
  if (res.status !== 201) throw new Error(`plant funnel: ${res.status} ${res.raw}`);
  funnelOf.set(v, res.body.id as string);
}
const funnelPath = (v: Tenant, rest = '') =>
  `/api/sites/${v.siteId}/funnels/${funnelOf.get(v) ?? 'missing'}${rest}`;

const report = (name: string, rest: string, setup?: IsolatedEndpoint['setup']): IsolatedEndpoint => ({
  name,
  method: 'GET',
  path: (v) => `/api/sites/${v.siteId}/reports/${rest.replace(':flow', flowOf.get(v) ?? 'missing')}`,
  role: 'viewer',
  okStatus: 200,
  keyAllowed: true,
  setup,
});

export const ANALYTICS_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  report('traffic report', 'traffic?compare=true'),
  report('traffic report csv', 'traffic/export'),
  report('cta report', 'ctas'),
  report('cta report csv', 'ctas/export'),
  report('flow report', 'flows/:flow', plantFlow),
  report('flow report csv', 'flows/:flow/export', plantFlow),
  report('realtime report', 'realtime'),
  report('realtime report csv', 'realtime/export'),
  {
    name: 'funnel list',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/funnels`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'funnel create',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/funnels`,
    body: () => ({ name: 'attacker funnel', steps: funnelSteps }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
  },
  {
    name: 'funnel get',
    method: 'GET',
    path: (v) => funnelPath(v),
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: plantFunnel,
  },
  {
    name: 'funnel update',
    method: 'PUT',
    path: (v) => funnelPath(v),
    body: () => ({ name: 'renamed' }),
    role: 'editor',
    okStatus: 200,
    keyAllowed: true,
    setup: plantFunnel,
  },
  {
    name: 'funnel report',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/reports/funnels/${funnelOf.get(v) ?? 'missing'}?compare=true`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: plantFunnel,
  },
  {
    name: 'funnel report csv',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/reports/funnels/${funnelOf.get(v) ?? 'missing'}/export`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: plantFunnel,
  },
  {
    name: 'funnel preview (raw)',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/reports/funnels/preview`,
    body: () => ({ steps: funnelSteps, windowSeconds: 3600 }),
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'funnel delete',
    method: 'DELETE',
    path: (v) => funnelPath(v),
    role: 'editor',
    okStatus: 204,
    keyAllowed: true,
    setup: plantFunnel,
  },
];
