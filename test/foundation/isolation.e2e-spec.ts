import { ROLES } from '../../apps/api/src/common/roles';
import { ISOLATED_ENDPOINTS } from '../support/isolation-table';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';

/**
 * Tenant isolation: with every credential of tenant A (each role and its secret key), every endpoint
 * of tenant B answers 404 exactly as for a resource that does not exist, and B's data is unchanged.
 * Each endpoint is also called by B's own owner to prove the route is real (not a 404 for everyone).
 */
describe('tenant isolation', () => {
  let t: TestApi;
  let attacker: Tenant;
  beforeAll(async () => {
    t = await startApi();
    attacker = await createTenant(t, 'attacker');
  });
  afterAll(() => t.stop());

  describe.each(ISOLATED_ENDPOINTS)('$method $name', (ep) => {
    let victim: Tenant;
    beforeAll(async () => {
      victim = await createTenant(t, 'victim');
      await ep.setup?.(t, victim);
    });

    const credentials = () => [
      ...ROLES.map((role) => ({ who: `attacker ${role}`, token: attacker.tokens[role] })),
      { who: 'attacker secret key', token: attacker.secretKey },
    ];

    it('answers 404 to every credential of another tenant and changes nothing', async () => {
      const before = await t.request(`/api/sites/${victim.siteId}`, { token: victim.tokens.owner });
      for (const { who, token } of credentials()) {
        const res = await t.request(ep.path(victim), { method: ep.method, token, body: ep.body?.(victim) });
        const isKeyOnUserRoute = who.endsWith('secret key') && !ep.keyAllowed;
        // A site key on a marketer-only route is refused before any lookup (403, no data either way).
        expect({ who, status: res.status }).toEqual({ who, status: isKeyOnUserRoute ? 403 : 404 });
        expect(res.raw).not.toContain(victim.siteId);
        expect(JSON.stringify(res.body)).not.toMatch(/nf_wk_|nf_sk_|"email"|"domain"/);
      }
      const after = await t.request(`/api/sites/${victim.siteId}`, { token: victim.tokens.owner });
      expect(after.body).toEqual(before.body);
      const keys = await t.request(`/api/sites/${victim.siteId}/keys`, { token: victim.tokens.owner });
      expect(
        (keys.body as unknown as { name: string; revokedAt: string | null }[]).every(
          (k) => k.name !== 'stolen',
        ),
      ).toBe(true);
      expect((await t.request(`/api/sites/${victim.siteId}`, { token: victim.secretKey })).status).toBe(200);
    });

    it('works for the tenant itself with the required role', async () => {
      const res = await t.request(ep.path(victim), {
        method: ep.method,
        token: victim.tokens[ep.role],
        body: ep.body?.(victim),
      });
      expect(res.status).toBe(ep.okStatus);
    });
  });
});
