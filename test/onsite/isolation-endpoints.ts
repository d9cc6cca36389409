import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import type { Role } from '../../apps/api/src/common/roles';
import type { Tenant } from '../support/tenants';

/** CTA routes for the tenant-isolation table: each victim gets a fresh published CTA per route. */
const ctaOf = new WeakMap<Tenant, string>();
let seq = 0;

const config = {
  kind: 'modal',
  variants: [{ id: 'a', content: { headline: 'Victim secret offer', body: '<p>victim</p>' } }],
};

async function seedCta(t: TestApi, v: Tenant): Promise<void> {
  const token = v.tokens.editor;
  const id = `victim-cta-${(seq += 1)}`;
  const base = `/api/sites/${v.siteId}/ctas`;
  const created = await t.request(base, { method: 'POST', token, body: { id, name: 'Victim CTA', config } });
  if (created.status !== 201) throw new Error(`seed CTA failed: ${created.status} ${created.raw}`);
  const published = await t.request(`${base}/${id}/publish`, { method: 'POST', token });
  if (published.status !== 201) throw new Error(`publish CTA failed: ${published.status} ${published.raw}`);
  ctaOf.set(v, id);
}

const ctaEndpoint = (
  name: string,
  method: IsolatedEndpoint['method'],
  rest: string,
  role: Role,
  okStatus: number,
  body?: unknown,
): IsolatedEndpoint => ({
  name,
  method,
  path: (v) => `/api/sites/${v.siteId}/ctas/${ctaOf.get(v)}${rest}`,
  body: body === undefined ? undefined : () => body,
  role,
  okStatus,
  keyAllowed: true,
  setup: seedCta,
});

export const ONSITE_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  {
    name: 'list CTAs',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/ctas`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
  },
  {
    name: 'create CTA',
    method: 'POST',
    path: (v) => `/api/sites/${v.siteId}/ctas`,
    body: () => ({ name: 'planted', config }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
  },
  ctaEndpoint('get CTA', 'GET', '', 'viewer', 200),
  ctaEndpoint('update CTA', 'PUT', '', 'editor', 200, { revision: 1, name: 'taken over' }),
  ctaEndpoint('publish CTA', 'POST', '/publish', 'editor', 201),
  ctaEndpoint('unpublish CTA', 'POST', '/unpublish', 'editor', 201),
  ctaEndpoint('duplicate CTA', 'POST', '/duplicate', 'editor', 201, {}),
  ctaEndpoint('preview CTA', 'POST', '/preview', 'viewer', 200, {}),
  ctaEndpoint('CTA stats', 'GET', '/stats', 'viewer', 200),
  ctaEndpoint('archive CTA', 'DELETE', '', 'editor', 204),
];
