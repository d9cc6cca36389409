import type { Role } from '../../apps/api/src/common/roles';
import type { Tenant } from './tenants';

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
}

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
    name: 'delete site',
    method: 'DELETE',
    path: (v) => `/api/sites/${v.siteId}`,
    role: 'owner',
    okStatus: 204,
  },
];
