import type { Role } from '../../apps/api/src/common/roles';
import type { TestApi } from './processes';
import type { Tenant } from './tenants';
import { ANALYTICS_ISOLATED_ENDPOINTS } from '../analytics/isolation-endpoints';
import { WEBHOOK_ISOLATED_ENDPOINTS } from '../webhooks/isolation-endpoints';
import { ONSITE_ISOLATED_ENDPOINTS } from '../onsite/isolation-endpoints';
import { EMAIL_ISOLATED_ENDPOINTS } from '../email/isolation-endpoints';
import { SMS_ISOLATED_ENDPOINTS } from '../sms/isolation-endpoints';
import { BACKTEST_ISOLATED_ENDPOINTS } from '../backtest/isolation-endpoints';

/**
 * Every tenant-scoped endpoint, with the role it needs. The isolation test calls each one with the
 * other tenant's credentials (every role, and its secret key) and expects 404 and no data.
 * Later features add their endpoints here.
 */
export interface IsolatedEndpoint {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (victim: Tenant) => string;
  body?: (victim: Tenant) => unknown;
  /** The role that succeeds for the owner's own tenant (proves the route exists and works). */
  role: Role;
  okStatus: number;
  keyAllowed?: boolean;
  /** Creates what the path points at in the victim's tenant (e.g. a flow) before the calls. */
  setup?: (t: TestApi, victim: Tenant) => Promise<void>;
}

// Flows: each victim gets one published flow (revision 2, version 1), found by its tenant.
const flowOf = new WeakMap<Tenant, string>();
const flowGraph = {
  nodes: [
    { id: 'start', type: 'trigger_event', config: { event: 'signup', filters: [] } },
    { id: 'done', type: 'exit', config: {} },
  ],
  edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'done' }],
};
const flowSettings = { reEntry: { mode: 'once' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] };
async function seedFlow(t: TestApi, v: Tenant): Promise<void> {
  const token = v.tokens.editor;
  const base = `/api/sites/${v.siteId}/flows`;
  const created = await t.request(base, { method: 'POST', token, body: { name: 'Victim flow' } });
  const id = created.body.id as string;
  const draft = { revision: 1, graph: flowGraph, settings: flowSettings };
  await t.request(`${base}/${id}/draft`, { method: 'PUT', token, body: draft });
  const published = await t.request(`${base}/${id}/publish`, { method: 'POST', token, body: {} });
  if (published.status !== 201) throw new Error(`seed flow failed: ${published.status} ${published.raw}`);
  flowOf.set(v, id);
}
const flowPath = (v: Tenant, rest = '') => `/api/sites/${v.siteId}/flows/${flowOf.get(v)}${rest}`;
const flowEndpoint = (
  name: string,
  method: IsolatedEndpoint['method'],
  rest: string,
  role: Role,
  okStatus: number,
  body?: unknown,
): IsolatedEndpoint => ({
  name,
  method,
  path: (v) => flowPath(v, rest),
  body: body === undefined ? undefined : () => body,
  role,
  okStatus,
  keyAllowed: true,
  setup: seedFlow,
});

export const ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  {
    name: 'get site',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'update site',
    method: 'PATCH',
    path: (v) => `/api/sites/${v.siteId}`,
    body: () => ({ name: 'taken over' }),
    role: 'editor',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'list keys',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/keys`,
    role: 'owner',
    okStatus: 200,
  },
  {
    name: 'create key',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/keys`,
    body: () => ({ kind: 'secret', name: 'stolen' }),
    role: 'owner',
    okStatus: 201,
  },
  {
    name: 'rotate key',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/keys/${v.secretKeyId}/rotate`,
    role: 'owner',
    okStatus: 201,
  },
  {
    name: 'revoke key',
    method: 'DELETE',
    path: (v) => `/api/sites/${v.siteId}/keys/${v.secretKeyId}`,
    role: 'owner',
    okStatus: 200,
  },
  {
    name: 'get identity verification (secret)',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/identity`,
    role: 'editor',
    okStatus: 200,
  },
  {
    name: 'turn identity verification on/off',
    method: 'PATCH',
    path: (v) => `/api/sites/${v.siteId}/identity`,
    body: () => ({ enabled: false }),
    role: 'owner',
    okStatus: 200,
  },
  {
    name: 'rotate identity secret',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/identity/rotate`,
    body: () => ({ graceHours: 0 }),
    role: 'owner',
    okStatus: 201,
  },
  {
    name: 'list members',
    method: 'GET',
    path: (v) => `/api/accounts/${v.accountId}/members`,
    role: 'viewer',
    okStatus: 200,
  },
  {
    name: 'add member',
    method: 'POST',
    path: (v) => `/api/accounts/${v.accountId}/members`,
    body: (v) => ({ email: v.emails.viewer, role: 'owner' }),
    role: 'owner',
    okStatus: 409,
  },
  {
    name: 'list visitors',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/visitors`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'get visitor',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/visitors/00000000-0000-4000-8000-000000000000`,
    role: 'viewer',
    okStatus: 404,
    keyAllowed: true,
  },
  {
    name: 'list flows',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/flows`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'create flow',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/flows`,
    body: () => ({ name: 'planted', templateId: 'abandoned-cart' }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
  },
  {
    name: 'import flow',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/flows/import`,
    body: () => ({ schemaVersion: 1, name: 'planted', settings: flowSettings, graph: flowGraph }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
  },
  flowEndpoint('get flow', 'GET', '', 'viewer', 200),
  flowEndpoint('save flow draft', 'PUT', '/draft', 'editor', 200, {
    revision: 2,
    graph: { nodes: [], edges: [] },
    settings: flowSettings,
  }),
  flowEndpoint('validate flow', 'POST', '/validate', 'viewer', 200, {}),
  flowEndpoint('publish flow', 'POST', '/publish', 'editor', 201, { note: 'planted' }),
  flowEndpoint('pause flow', 'POST', '/pause', 'editor', 200, {}),
  flowEndpoint('resume flow', 'POST', '/resume', 'editor', 200, {}),
  flowEndpoint('archive flow', 'POST', '/archive', 'editor', 200, { exitRuns: true }),
  flowEndpoint('duplicate flow', 'POST', '/duplicate', 'editor', 201, {}),
  flowEndpoint('list flow versions', 'GET', '/versions', 'viewer', 200),
  flowEndpoint('get flow version', 'GET', '/versions/1', 'viewer', 200),
  flowEndpoint('diff flow versions', 'GET', '/versions/1/diff/draft', 'viewer', 200),
  flowEndpoint('roll back flow', 'POST', '/versions/1/rollback', 'editor', 201, {}),
  flowEndpoint('export flow', 'GET', '/export', 'viewer', 200),
  flowEndpoint('list flow runs', 'GET', '/runs?status=waiting', 'viewer', 200),
  flowEndpoint('flow node stats', 'GET', '/stats', 'viewer', 200),
  {
    name: 'runs dead letter',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/runs/dead-letter`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  flowEndpoint('delete flow', 'DELETE', '', 'editor', 204),
  ...WEBHOOK_ISOLATED_ENDPOINTS,
  ...ONSITE_ISOLATED_ENDPOINTS,
  ...ANALYTICS_ISOLATED_ENDPOINTS,
  ...EMAIL_ISOLATED_ENDPOINTS,
  ...SMS_ISOLATED_ENDPOINTS,
  ...BACKTEST_ISOLATED_ENDPOINTS,
  {
    name: 'delete site',
    method: 'DELETE',
    path: (v) => `/api/sites/${v.siteId}`,
    role: 'owner',
    okStatus: 204,
  },
];
