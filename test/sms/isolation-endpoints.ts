import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import type { Tenant } from '../support/tenants';

/** A public IP literal: vetted without DNS, and nothing is ever sent to it at save time. */
const body = () => ({
  baseUrl: 'https://93.184.215.14',
  accountSid: 'AC_stolen',
  authToken: 'stolen',
  fromNumber: '+15005550006',
});

async function plantProvider(t: TestApi, v: Tenant): Promise<void> {
  const res = await t.request(`/api/sites/${v.siteId}/sms-provider`, {
    method: 'PUT',
    token: v.tokens.editor,
    body: { ...body(), accountSid: 'AC_victim', authToken: 'victim-token' },
  });
  if (res.status !== 200) throw new Error(`sms provider: ${res.status} ${res.raw}`);
}

const path = (v: Tenant) => `/api/sites/${v.siteId}/sms-provider`;

/** SMS provider routes for the tenant-isolation table. */
export const SMS_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  {
    name: 'get the SMS provider',
    method: 'GET',
    path,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: plantProvider,
  },
  {
    name: 'set the SMS provider',
    method: 'PUT',
    path,
    body,
    role: 'editor',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'remove the SMS provider',
    method: 'DELETE',
    path,
    role: 'editor',
    okStatus: 204,
    keyAllowed: true,
    setup: plantProvider,
  },
];
