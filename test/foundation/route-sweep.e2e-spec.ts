import { randomUUID } from 'node:crypto';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';

/**
 * Every route the OpenAPI document lists, called the way a prober would: a random id in every path
 * parameter and a malformed query. A route may refuse (4xx) but never answer 500: unknown or foreign
 * ids are 404s, bad query values are 400s. New routes are swept automatically.
 */

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
}

/** Query values no route accepts: bad dates, ranges, numbers, enums, arrays and junk. */
const MALFORMED_QUERY = new URLSearchParams([
  ['from', 'yesterday-ish'],
  ['to', '2026-13-45'],
  ['limit', '-7'],
  ['offset', 'abc'],
  ['cursor', '!!not-a-cursor!!'],
  ['granularity', 'fortnight'],
  ['status', 'bogus'],
  ['range', 'forever'],
  ['compare', 'maybe'],
  ['flowId', 'not-a-uuid'],
  ['ctaId', 'not-a-uuid'],
  ['since', 'x'],
  ['before', 'x'],
  ['type', 'nope'],
  ['tz', 'Mars/Olympus'],
  ['from', 'twice'],
]).toString();

/** Routes that cannot be swept blindly: streams, and the two that would end the sweep's own session. */
const SKIP = new Set(['GET /v1/live', 'POST /api/auth/logout']);

describe('route sweep: random ids and malformed queries never answer 500', () => {
  let t: TestApi;
  let tenant: Tenant;
  let operations: Operation[];

  beforeAll(async () => {
    t = await startApi();
    tenant = await createTenant(t, 'sweep');
    const doc = (await (await fetch(`${t.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase() as Operation['method'], path })),
    );
  });
  afterAll(() => t.stop());

  const call = (op: Operation, fill: (param: string) => string, token: string, query = MALFORMED_QUERY) =>
    t.request(`${op.path.replace(/\{(\w+)\}/g, (_, p: string) => fill(p))}${query ? `?${query}` : ''}`, {
      method: op.method,
      token,
      body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
    });

  it('finds the documented routes', () => {
    expect(operations.length).toBeGreaterThan(50);
  });

  it('answers 4xx to a random id in every path parameter (the site too), as the site owner', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      if (SKIP.has(`${op.method} ${op.path}`) || !op.path.includes('{')) continue;
      const res = await call(op, () => randomUUID(), tenant.tokens.owner);
      if (res.status < 400 || res.status >= 500) failures.push(`${op.method} ${op.path} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it.each([
    ['a malformed query', MALFORMED_QUERY],
    ['no query', ''],
  ])('answers 4xx to a random id inside the own site, with %s', async (_, query) => {
    const failures: string[] = [];
    for (const op of operations) {
      const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      if (SKIP.has(`${op.method} ${op.path}`) || params.length < 2 || params[0] !== 'siteId') continue;
      const own = (p: string) => (p === 'siteId' ? tenant.siteId : randomUUID());
      const res = await call(op, own, tenant.tokens.owner, query);
      if (res.status < 400 || res.status >= 500) failures.push(`${op.method} ${op.path} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("answers 404 to another tenant's flow id under the own site (runs, stats)", async () => {
    const other = await createTenant(t, 'sweep-other');
    const created = await t.request(`/api/sites/${other.siteId}/flows`, {
      method: 'POST',
      token: other.tokens.editor,
      body: { name: 'Foreign flow' },
    });
    expect(created.status).toBe(201);
    const foreign = created.body.id as string;
    for (const what of ['runs', 'stats']) {
      const res = await t.request(`/api/sites/${tenant.siteId}/flows/${foreign}/${what}`, {
        token: tenant.tokens.owner,
      });
      expect({ what, status: res.status, code: res.body.code }).toEqual({
        what,
        status: 404,
        code: 'FLOW_NOT_FOUND',
      });
      const own = await t.request(`/api/sites/${other.siteId}/flows/${foreign}/${what}`, {
        token: other.tokens.viewer,
      });
      expect(own.status).toBe(200);
    }
  });

  it('never answers 500 to a malformed query on any route, with or without credentials', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      if (SKIP.has(`${op.method} ${op.path}`)) continue;
      // DELETE of the site itself would end the sweep: its id stays random there.
      const own = (p: string) =>
        p === 'siteId' && !(op.method === 'DELETE' && op.path === '/api/sites/{siteId}')
          ? tenant.siteId
          : randomUUID();
      for (const token of [tenant.tokens.owner, tenant.secretKey, '']) {
        const res = await call(op, own, token);
        if (res.status >= 500)
          failures.push(`${op.method} ${op.path} (${token ? 'auth' : 'anon'}) -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
