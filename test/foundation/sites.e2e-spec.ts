import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';

describe('sites, keys and roles', () => {
  let t: TestApi;
  let a: Tenant;
  beforeAll(async () => {
    t = await startApi();
    a = await createTenant(t, 'sites');
  });
  afterAll(() => t.stop());

  it('creates a site with a write key and lists it for every member with their role', async () => {
    const me = await t.request('/api/me', { token: a.tokens.viewer });
    expect(me.body.sites).toEqual([expect.objectContaining({ id: a.siteId, role: 'viewer' })]);
    expect(a.writeKey).toMatch(/^nf_wk_[0-9a-f]{32}/);
  });

  it('validates site input with a message naming the field', async () => {
    const bad = await t.request('/api/sites', {
      method: 'POST',
      token: a.tokens.owner,
      body: { name: 'x', domain: 'shop.example.com', timezone: 'Mars/Olympus' },
    });
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', path: 'timezone' } });
    const patch = await t.request(`/api/sites/${a.siteId}`, {
      method: 'PATCH',
      token: a.tokens.editor,
      body: { timezone: 'America/New_York' },
    });
    expect(patch).toMatchObject({ status: 200, body: { timezone: 'America/New_York' } });
  });

  it('lets a viewer read but not write (403 FORBIDDEN_ROLE), and an editor not manage keys', async () => {
    expect((await t.request(`/api/sites/${a.siteId}`, { token: a.tokens.viewer })).status).toBe(200);
    const write = await t.request(`/api/sites/${a.siteId}`, {
      method: 'PATCH',
      token: a.tokens.viewer,
      body: { name: 'hacked' },
    });
    expect(write).toMatchObject({ status: 403, body: { code: 'FORBIDDEN_ROLE' } });
    const key = await t.request(`/api/sites/${a.siteId}/keys`, {
      method: 'POST',
      token: a.tokens.editor,
      body: { kind: 'secret', name: 'x' },
    });
    expect(key).toMatchObject({ status: 403, body: { code: 'FORBIDDEN_ROLE' } });
    expect((await t.request(`/api/sites/${a.siteId}`, { token: a.tokens.owner })).body.name).not.toBe(
      'hacked',
    );
  });

  it('lists secret keys masked, shows them whole only once, and accepts them as editor credentials for their site', async () => {
    const list = await t.request(`/api/sites/${a.siteId}/keys`, { token: a.tokens.owner });
    const secret = (list.body as unknown as { id: string; key: string }[]).find(
      (k) => k.id === a.secretKeyId,
    )!;
    expect(secret.key).toBe(`nf_sk_…${a.secretKey.slice(-4)}`);
    expect(JSON.stringify(list.body)).not.toContain(a.secretKey);
    const read = await t.request(`/api/sites/${a.siteId}`, { token: a.secretKey });
    expect(read).toMatchObject({ status: 200, body: { id: a.siteId } });
    const keys = await t.request(`/api/sites/${a.siteId}/keys`, { token: a.secretKey });
    expect(keys).toMatchObject({ status: 403, body: { code: 'FORBIDDEN_ROLE' } });
    const writeAsAuth = await t.request(`/api/sites/${a.siteId}`, { token: a.writeKey });
    expect(writeAsAuth).toMatchObject({ status: 401, body: { code: 'KEY_NOT_SECRET' } });
  });

  it('rotates and revokes keys: the old secret stops working at once', async () => {
    const created = await t.request(`/api/sites/${a.siteId}/keys`, {
      method: 'POST',
      token: a.tokens.owner,
      body: { kind: 'secret', name: 'ci' },
    });
    expect(created.status).toBe(201);
    const oldKey = created.body.key as string;
    expect((await t.request(`/api/sites/${a.siteId}`, { token: oldKey })).status).toBe(200);
    const rotated = await t.request(`/api/sites/${a.siteId}/keys/${created.body.id}/rotate`, {
      method: 'POST',
      token: a.tokens.owner,
    });
    expect(rotated.status).toBe(201);
    expect(await t.request(`/api/sites/${a.siteId}`, { token: oldKey })).toMatchObject({
      status: 401,
      body: { code: 'KEY_INVALID' },
    });
    const newKey = rotated.body.key as string;
    expect((await t.request(`/api/sites/${a.siteId}`, { token: newKey })).status).toBe(200);
    const revoked = await t.request(`/api/sites/${a.siteId}/keys/${rotated.body.id}`, {
      method: 'DELETE',
      token: a.tokens.owner,
    });
    expect(revoked.body.revokedAt).toBeTruthy();
    expect(await t.request(`/api/sites/${a.siteId}`, { token: newKey })).toMatchObject({
      status: 401,
      body: { code: 'KEY_INVALID' },
    });
  });

  it('keeps at least one owner on an account (409 LAST_OWNER)', async () => {
    const members = await t.request(`/api/accounts/${a.accountId}/members`, { token: a.tokens.owner });
    const owner = (members.body as unknown as { userId: string; role: string }[]).find(
      (m) => m.role === 'owner',
    )!;
    const demote = await t.request(`/api/accounts/${a.accountId}/members/${owner.userId}`, {
      method: 'PATCH',
      token: a.tokens.owner,
      body: { role: 'viewer' },
    });
    expect(demote).toMatchObject({ status: 409, body: { code: 'LAST_OWNER' } });
  });

  it('refuses a malformed id as not found rather than a database error', async () => {
    const res = await t.request(`/api/sites/${a.siteId}/keys/not-a-uuid`, {
      method: 'DELETE',
      token: a.tokens.owner,
    });
    expect(res).toMatchObject({ status: 404, body: { code: 'KEY_NOT_FOUND' } });
    const site = await t.request(`/api/sites/zzz`, { token: a.tokens.owner });
    expect(site).toMatchObject({ status: 404, body: { code: 'SITE_NOT_FOUND' } });
  });
});
