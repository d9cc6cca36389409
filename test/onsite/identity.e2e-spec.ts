import fc from 'fast-check';
import { createHmac, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Client } from 'pg';
import { waitFor } from '../runtime/runtime-harness';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import {
  DESKTOP_UA,
  migrateOnsiteDatabase,
  ONSITE_DATABASE_URL,
  ONSITE_ENV,
  onsiteDb,
  publishCta,
} from './onsite-harness';
import { closeFold, folded } from '../support/fold';

const hmac = (secret: string, userId: string) => createHmac('sha256', secret).update(userId).digest('hex');
const anon = () => randomUUID();

interface DecideAnswer {
  status: number;
  body: { code?: string; ctas?: { id: string; content: { headline: string } }[]; live?: { url: string } };
  raw: string;
}

/**
 * Identity verification (issue #25) against the real API: a browser (write key) that names another
 * visitor's userId without the site server's HMAC gets neither their traits, nor their profile, nor
 * their live stream; a valid hash works; secret keys are refused on browser endpoints.
 */
describe('identity verification', () => {
  let api: TestApi;
  let db: Client;
  let t: Tenant;
  let other: Tenant;
  let secret: string;
  let otherSecret: string;
  let greeting: string;
  const victim = { userId: `victim-${randomUUID().slice(0, 8)}@example.com`, anon: anon() };

  async function identitySecret(tenant: Tenant): Promise<string> {
    const res = await api.request(`/api/sites/${tenant.siteId}/identity`, { token: tenant.tokens.editor });
    expect(res.status).toBe(200);
    return res.body.secret as string;
  }

  async function decide(tenant: Tenant, body: Record<string, unknown>): Promise<DecideAnswer> {
    const res = await fetch(`${api.url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        writeKey: tenant.writeKey,
        url: 'https://shop.example.com/',
        context: { userAgent: DESKTOP_UA },
        ...body,
      }),
    });
    const raw = await res.text();
    return { status: res.status, body: JSON.parse(raw) as DecideAnswer['body'], raw };
  }

  const headline = (a: DecideAnswer) => a.body.ctas?.find((c) => c.id === greeting)?.content.headline;

  async function batch(key: string, events: Record<string, unknown>[]) {
    const res = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        writeKey: key,
        batch: events.map((e) => ({
          messageId: randomUUID(),
          timestamp: new Date().toISOString(),
          context: { userAgent: DESKTOP_UA },
          ...e,
        })),
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function profileOf(tenant: Tenant, kind: 'user' | 'anon', value: string) {
    // No worker runs here: fold the site's committed events as the worker would, then read.
    await folded(tenant.siteId, 30_000, ONSITE_DATABASE_URL);
    const { rows } = await db.query<{ id: string; anonymous_ids: string[]; traits: Record<string, unknown> }>(
      `SELECT v.id, v.anonymous_ids, v.traits FROM visitor_identities i
         JOIN visitors v ON v.site_id = i.site_id AND v.id = i.visitor_id
        WHERE i.site_id = $1 AND i.kind = $2 AND i.value = $3`,
      [tenant.siteId, kind, value],
    );
    return rows[0];
  }

  beforeAll(async () => {
    migrateOnsiteDatabase();
    api = await startApi(ONSITE_ENV);
    db = await onsiteDb();
    [t, other] = await Promise.all([
      createTenant(api, 'identity', { identityVerification: true }),
      createTenant(api, 'identity-b', { identityVerification: true }),
    ]);
    [secret, otherSecret] = await Promise.all([identitySecret(t), identitySecret(other)]);
    greeting = await publishCta(api, t, {
      kind: 'bar',
      variants: [{ id: 'a', name: 'a', weight: 1, content: { headline: 'Hi {{visitor.traits.email}}' } }],
    });
    // The victim as the site's server knows them (secret key: trusted), with their browser's anonymous id.
    const stored = await batch(t.secretKey, [
      { type: 'identify', userId: victim.userId, anonymousId: victim.anon, traits: { email: victim.userId } },
    ]);
    expect(stored.status).toBe(202);
    await waitFor('victim profile', async () => (await profileOf(t, 'user', victim.userId))?.traits.email);
  });
  afterAll(async () => {
    await db?.end();
    await api?.stop();
    await closeFold();
  });

  it('is on for a new site, shows the secret to editors only, and only owners switch it', async () => {
    const created = await api.request('/api/sites', {
      method: 'POST',
      token: t.tokens.owner,
      body: { name: 'Fresh', domain: 'fresh.example.com' },
    });
    expect(created.status).toBe(201);
    expect(created.body.identityVerification).toBe(true);
    expect((await api.request(`/api/sites/${t.siteId}`, { token: t.tokens.viewer })).body).toMatchObject({
      identityVerification: true,
    });
    const viewer = await api.request(`/api/sites/${t.siteId}/identity`, { token: t.tokens.viewer });
    expect(viewer.status).toBe(403);
    expect(viewer.raw).not.toContain(secret);
    expect(secret).toMatch(/^nf_is_[\w-]{40,}$/);
    // The secret is sealed at rest, never stored in clear.
    const { rows } = await db.query<{ identity_secret: string }>(
      `SELECT identity_secret FROM sites WHERE id = $1`,
      [t.siteId],
    );
    expect(rows[0].identity_secret).toMatch(/^v1\./);
    expect(rows[0].identity_secret).not.toContain(secret);
    const byEditor = await api.request(`/api/sites/${t.siteId}/identity`, {
      method: 'PATCH',
      token: t.tokens.editor,
      body: { enabled: false },
    });
    expect(byEditor.status).toBe(403);
    const bad = await api.request(`/api/sites/${t.siteId}/identity`, {
      method: 'PATCH',
      token: t.tokens.owner,
      body: { enabled: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect(bad.raw).toContain('enabled');
  });

  it("does not render another visitor's traits given only their userId; a valid hash does", async () => {
    const attacker = anon();
    const guessed = await decide(t, { anonymousId: attacker, userId: victim.userId });
    expect(guessed.status).toBe(200);
    expect(headline(guessed)).toBe('Hi ');
    expect(guessed.raw).not.toContain(victim.userId);
    const forged = await decide(t, {
      anonymousId: attacker,
      userId: victim.userId,
      userHash: 'ab'.repeat(32),
    });
    expect(forged.raw).not.toContain(victim.userId);
    // Site B's secret does not verify on site A (tenant isolation).
    const crossSite = await decide(t, {
      anonymousId: attacker,
      userId: victim.userId,
      userHash: hmac(otherSecret, victim.userId),
    });
    expect(crossSite.raw).not.toContain(victim.userId);
    // The victim's own browser, with the hash their site's server made: their email.
    const verified = await decide(t, {
      anonymousId: anon(),
      userId: victim.userId,
      userHash: hmac(secret, victim.userId),
    });
    expect(headline(verified)).toBe(`Hi ${victim.userId}`);
    // Their anonymous id is their own capability.
    expect(headline(await decide(t, { anonymousId: victim.anon }))).toBe(`Hi ${victim.userId}`);
  });

  it('an unverified identify from the browser never merges into the profile; a verified one does', async () => {
    const attacker = anon();
    const res = await batch(t.writeKey, [
      { type: 'identify', userId: victim.userId, anonymousId: attacker, traits: { plan: 'stolen' } },
      { type: 'track', event: 'x', userId: victim.userId },
      { type: 'alias', previousId: victim.userId, userId: 'attacker@example.com', anonymousId: attacker },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 1, code: 'USER_HASH_INVALID' },
        { index: 2, code: 'ALIAS_UNVERIFIED' },
      ],
    });
    // The identify is kept as the attacker's own anonymous visitor, the claim noted beside it.
    const own = await waitFor('attacker profile', () => profileOf(t, 'anon', attacker));
    const victimProfile = await profileOf(t, 'user', victim.userId);
    expect(own.id).not.toBe(victimProfile.id);
    expect(victimProfile.anonymous_ids).not.toContain(attacker);
    expect(victimProfile.traits.plan).toBeUndefined();
    const { rows } = await db.query<{ context: Record<string, unknown>; user_id: string | null }>(
      `SELECT context FROM events WHERE site_id = $1 AND visitor_id = $2 AND name = '$identify'`,
      [t.siteId, own.id],
    );
    expect(rows[0].context.unverifiedUserId).toBe(victim.userId);
    expect(headline(await decide(t, { anonymousId: attacker, userId: victim.userId }))).toBe('Hi ');

    // A single-event route says why, with the field.
    const single = await fetch(`${api.url}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ writeKey: t.writeKey, userId: victim.userId, traits: { plan: 'x' } }),
    });
    expect(single.status).toBe(400);
    expect(await single.json()).toMatchObject({
      code: 'USER_HASH_INVALID',
      message: expect.stringContaining('userHash'),
    });

    // The real user's browser, verified: its anonymous profile joins theirs.
    const browser = anon();
    const ok = await batch(t.writeKey, [
      {
        type: 'identify',
        userId: victim.userId,
        userHash: hmac(secret, victim.userId),
        anonymousId: browser,
        traits: { plan: 'pro' },
      },
    ]);
    expect(ok.body).toMatchObject({ accepted: 1, rejected: [] });
    await waitFor('verified merge', async () =>
      (await profileOf(t, 'user', victim.userId))?.anonymous_ids.includes(browser),
    );
  });

  it('refuses secret keys on browser endpoints and never puts one in a URL', async () => {
    const res = await decide(t, { writeKey: t.secretKey, anonymousId: anon() });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('SECRET_KEY_REFUSED');
    expect(res.raw).not.toContain(t.secretKey);
    const live = await fetch(`${api.url}/v1/live?k=${t.secretKey}&a=x&s=y`);
    expect(live.status).toBe(403);
    expect(((await live.json()) as { code: string }).code).toBe('SECRET_KEY_REFUSED');
    const ok = await decide(t, { anonymousId: anon() });
    expect(ok.body.live?.url).toContain(encodeURIComponent(t.writeKey).slice(0, 10));
    expect(ok.body.live?.url).not.toContain('nf_sk_');
  });

  it('rotates the secret: the old one verifies during the grace period only', async () => {
    const mine = await createTenant(api, 'rotate', { identityVerification: true });
    await publishCta(
      api,
      mine,
      {
        kind: 'bar',
        variants: [{ id: 'a', name: 'a', weight: 1, content: { headline: 'Hi {{visitor.traits.email}}' } }],
      },
      greeting,
    );
    const user = 'rot@example.com';
    await batch(mine.secretKey, [{ type: 'identify', userId: user, traits: { email: user } }]);
    await waitFor('profile', async () => (await profileOf(mine, 'user', user))?.traits.email);
    const first = await identitySecret(mine);
    const greet = async (hash: string) =>
      headline(await decide(mine, { anonymousId: anon(), userId: user, userHash: hash }));
    expect(await greet(hmac(first, user))).toBe(`Hi ${user}`);
    const rotated = await api.request(`/api/sites/${mine.siteId}/identity/rotate`, {
      method: 'POST',
      token: mine.tokens.owner,
      body: { graceHours: 1 },
    });
    expect(rotated.status).toBe(201);
    const second = rotated.body.secret as string;
    expect(second).not.toBe(first);
    expect(rotated.body.previousSecretValidUntil).toBeTruthy();
    expect(await greet(hmac(first, user))).toBe(`Hi ${user}`);
    expect(await greet(hmac(second, user))).toBe(`Hi ${user}`);
    const now = await api.request(`/api/sites/${mine.siteId}/identity/rotate`, {
      method: 'POST',
      token: mine.tokens.owner,
      body: { graceHours: 0 },
    });
    const third = now.body.secret as string;
    expect(await greet(hmac(second, user))).toBe('Hi ');
    expect(await greet(hmac(first, user))).toBe('Hi ');
    expect(await greet(hmac(third, user))).toBe(`Hi ${user}`);
    // Off (owner): today's behaviour, a userId is trusted as sent.
    const off = await api.request(`/api/sites/${mine.siteId}/identity`, {
      method: 'PATCH',
      token: mine.tokens.owner,
      body: { enabled: false },
    });
    expect(off.body).toMatchObject({ enabled: false });
    expect(headline(await decide(mine, { anonymousId: anon(), userId: user }))).toBe(`Hi ${user}`);
  });

  it("streams a visitor's pushes only to their own anonymous ids, never to a guessed or forged one", async () => {
    const flowOnly = await publishCta(api, t, {
      kind: 'slide_in',
      mode: 'flow',
      variants: [{ id: 'a', name: 'a', weight: 1, content: { headline: 'For the victim only' } }],
    });
    const attacker = anon();
    // The attacker claims the victim's userId (unverified) and gets a live URL: for their own id only.
    await batch(t.writeKey, [{ type: 'identify', userId: victim.userId, anonymousId: attacker }]);
    await waitFor('attacker profile', () => profileOf(t, 'anon', attacker));
    const mine = await decide(t, { anonymousId: attacker, userId: victim.userId });
    const url = new URL(mine.body.live!.url, api.url);
    expect(url.searchParams.get('a')).toBe(attacker);
    // The signature is bound to the anonymous id: swapping in the victim's (or a guess) is refused.
    for (const a of [victim.anon, anon()]) {
      const forged = new URL(url);
      forged.searchParams.set('a', a);
      expect((await fetch(forged)).status).toBe(401);
    }
    const victimUrl = new URL((await decide(t, { anonymousId: victim.anon })).body.live!.url, api.url);

    const read = async (u: URL) => {
      const ac = new AbortController();
      const res = await fetch(u, { signal: ac.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = '';
      const done = (async () => {
        try {
          for (;;) {
            const { value, done: end } = await reader.read();
            if (end) return;
            text += Buffer.from(value).toString();
          }
        } catch {
          // aborted
        }
      })();
      return { text: () => text, stop: async () => (ac.abort(), await done) };
    };
    const [theirs, attackers] = await Promise.all([read(victimUrl), read(url)]);
    try {
      const victimId = (await profileOf(t, 'user', victim.userId)).id;
      await db.query(
        `INSERT INTO onsite_messages (site_id, visitor_id, cta_id, idempotency_key, priority)
         VALUES ($1, $2, $3, $4, 90)`,
        [t.siteId, victimId, flowOnly, randomUUID()],
      );
      const redis = new Redis(ONSITE_ENV.REDIS_URL);
      await redis.publish(`${ONSITE_ENV.QUEUE_PREFIX}:invalidate:onsite-push`, `${t.siteId}:${victimId}`);
      await redis.quit();
      await waitFor('victim push', async () => theirs.text().includes('For the victim only'), 10_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      expect(attackers.text()).not.toContain('For the victim only');
    } finally {
      await Promise.all([theirs.stop(), attackers.stop()]);
    }
  });

  it('property: no write key, anonymousId and unverified userId combination reads another visitor', async () => {
    const victims = await Promise.all(
      [0, 1].map(async (i) => {
        const v = { userId: `prop-${i}-${randomUUID().slice(0, 6)}@example.com`, anon: anon() };
        await batch(t.secretKey, [
          { type: 'identify', userId: v.userId, anonymousId: v.anon, traits: { email: v.userId } },
        ]);
        return v;
      }),
    );
    await waitFor('victims', async () => {
      for (const v of victims) if (!(await profileOf(t, 'user', v.userId))?.traits.email) return false;
      return true;
    });
    const ids = victims.flatMap((v) => [v.userId, v.anon]);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          key: fc.constantFrom('write', 'otherWrite'),
          anonymousId: fc.oneof(fc.constantFrom(...ids), fc.uuid()),
          userId: fc.option(fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 20 }))),
          hash: fc.constantFrom('none', 'garbage', 'otherSite', 'otherUser', 'valid'),
        }),
        async ({ key, anonymousId, userId, hash }) => {
          const tenant = key === 'write' ? t : other;
          const siteSecret = key === 'write' ? secret : otherSecret;
          const userHash =
            userId === null || hash === 'none'
              ? undefined
              : hash === 'garbage'
                ? 'zz'
                : hash === 'otherSite'
                  ? hmac(key === 'write' ? otherSecret : secret, userId)
                  : hash === 'otherUser'
                    ? hmac(siteSecret, `${userId}x`)
                    : hmac(siteSecret, userId);
          const res = await decide(tenant, { anonymousId, userId: userId ?? undefined, userHash });
          expect(res.status).toBe(200);
          // A verified user id wins; else the anonymous id the caller sent is who they are.
          const reader =
            tenant === t
              ? (victims.find((v) => hash === 'valid' && userId === v.userId) ??
                victims.find((v) => anonymousId === v.anon))
              : undefined;
          for (const v of victims) {
            if (v === reader) expect(headline(res)).toBe(`Hi ${v.userId}`);
            else expect(res.raw).not.toContain(v.userId);
          }
          // A live URL is only ever signed for the anonymous id the caller sent.
          if (res.body.live)
            expect(new URL(res.body.live.url, api.url).searchParams.get('a')).toBe(anonymousId);
        },
      ),
      { numRuns: 60 },
    );
  });
});
