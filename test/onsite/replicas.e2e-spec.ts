import { createHmac, randomUUID } from 'node:crypto';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import {
  DESKTOP_UA,
  migrateOnsiteDatabase,
  ONSITE_DATABASE_URL,
  ONSITE_ENV,
  publishCta,
} from './onsite-harness';
import { closeFold, folded } from '../support/fold';

/**
 * Two API replicas sharing PostgreSQL and Redis (issue #25): what one changes — a CTA published or
 * paused, identity verification switched — applies to decide on the other within a second, although
 * each keeps its own caches (published CTAs, key principals with the identity policy).
 */
describe('decide across two API replicas', () => {
  let a: TestApi;
  let b: TestApi;
  let t: Tenant;

  beforeAll(async () => {
    migrateOnsiteDatabase();
    [a, b] = await Promise.all([startApi(ONSITE_ENV), startApi(ONSITE_ENV)]);
    t = await createTenant(a, 'replicas', { identityVerification: true });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await closeFold();
  });

  async function decideOn(api: TestApi, body: Record<string, unknown>) {
    const res = await fetch(`${api.url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        writeKey: t.writeKey,
        url: 'https://shop.example.com/',
        context: { userAgent: DESKTOP_UA },
        ...body,
      }),
    });
    return (await res.json()) as { ctas: { id: string; content: { headline: string } }[] };
  }

  /** Polls `check` on replica b until it holds; resolves with the time it took after the change. */
  async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
    const t0 = Date.now();
    while (!(await check())) {
      if (Date.now() - t0 > ms) throw new Error(`not applied on the other replica within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - t0;
  }

  it('publish, pause and the identity switch on one replica apply on the other within a second', async () => {
    const anon = randomUUID();
    // Warm b's caches (the site has nothing published yet).
    expect((await decideOn(b, { anonymousId: anon })).ctas).toEqual([]);

    const id = await publishCta(a, t, {
      kind: 'bar',
      variants: [{ id: 'v', name: 'v', weight: 1, content: { headline: 'Hi {{visitor.traits.email}}' } }],
    });
    await within(1000, async () => (await decideOn(b, { anonymousId: anon })).ctas.some((c) => c.id === id));

    const user = `r-${randomUUID().slice(0, 6)}@example.com`;
    const stored = await fetch(`${a.url}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.secretKey}` },
      body: JSON.stringify({ userId: user, traits: { email: user } }),
    });
    expect(stored.status).toBe(202);
    const greet = async () =>
      (await decideOn(b, { anonymousId: randomUUID(), userId: user })).ctas.find((c) => c.id === id)?.content
        .headline;
    // Verification on: b ignores the unsigned userId (after the fold made the profile: no worker runs
    // here, so the test folds as the worker would).
    await folded(t.siteId, 30_000, ONSITE_DATABASE_URL);
    expect(await greet()).toBe('Hi ');
    const off = await a.request(`/api/sites/${t.siteId}/identity`, {
      method: 'PATCH',
      token: t.tokens.owner,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    await within(3000, async () => (await greet()) === `Hi ${user}`);
    const on = await a.request(`/api/sites/${t.siteId}/identity`, {
      method: 'PATCH',
      token: t.tokens.owner,
      body: { enabled: true },
    });
    expect(on.status).toBe(200);
    await within(1000, async () => (await greet()) === 'Hi ');
    const secret = (await a.request(`/api/sites/${t.siteId}/identity`, { token: t.tokens.editor })).body
      .secret as string;
    const userHash = createHmac('sha256', secret).update(user).digest('hex');
    expect(
      (await decideOn(b, { anonymousId: randomUUID(), userId: user, userHash })).ctas.find((c) => c.id === id)
        ?.content.headline,
    ).toBe(`Hi ${user}`);

    const paused = await a.request(`/api/sites/${t.siteId}/ctas/${id}/unpublish`, {
      method: 'POST',
      token: t.tokens.editor,
    });
    expect(paused.status).toBeLessThan(300);
    await within(1000, async () => !(await decideOn(b, { anonymousId: anon })).ctas.some((c) => c.id === id));
  });
});
