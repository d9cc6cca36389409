import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import type { Tenant } from '../support/tenants';

/** Email sender routes for the tenant-isolation table: each victim gets one sender. */
const senders = new WeakMap<Tenant, string>();

async function plantSender(t: TestApi, v: Tenant): Promise<void> {
  const res = await t.request(`/api/sites/${v.siteId}/email-senders`, {
    method: 'POST',
    token: v.tokens.editor,
    body: { name: 'Victim', fromName: 'Victim', fromAddress: 'victim@example.com' },
  });
  if (res.status !== 201) throw new Error(`email sender: ${res.status} ${res.raw}`);
  senders.set(v, res.body.id as string);
}

const senderPath = (v: Tenant) => `/api/sites/${v.siteId}/email-senders/${senders.get(v)}`;

export const EMAIL_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  {
    name: 'list email senders',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/email-senders`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'create an email sender',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/email-senders`,
    body: () => ({ name: 'stolen', fromName: 'x', fromAddress: 'x@example.com' }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
  },
  {
    name: 'get an email sender',
    method: 'GET',
    path: senderPath,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: plantSender,
  },
  {
    name: 'delete an email sender',
    method: 'DELETE',
    path: senderPath,
    role: 'editor',
    okStatus: 204,
    keyAllowed: true,
    setup: plantSender,
  },
];
