import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Client } from 'pg';
import { request, startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_REDIS_URL } from '../support/test-env';
import { closeFold, folded } from '../support/fold';
import { basic, BROWSER_UA, dbClient, eventsOf, handoffIds, outboxIds, send, track } from './ingest-helpers';

describe('ingestion API', () => {
  let api: TestApi;
  let db: Client;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    api = await startApi();
    db = await dbClient();
    a = await createTenant(api, 'ingest-a');
    b = await createTenant(api, 'ingest-b');
  });
  afterAll(async () => {
    await closeFold();
    await db.end();
    await api.stop();
  });

  it('accepts a Segment track with the write key as Basic username and stores it durably', async () => {
    const ev = track('Signed Up', { properties: { plan: 'pro' } });
    const res = await send(api, '/v1/track', ev, { key: a.writeKey });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, accepted: 1, stored: 1, duplicates: 0, rejected: [] });
    const [row] = await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId]);
    expect(row).toMatchObject({
      type: 'track',
      name: 'Signed Up',
      anonymous_id: ev.anonymousId,
      is_bot: false,
    });
    expect(row.properties).toEqual({ plan: 'pro' });
    expect(await outboxIds(db, a.siteId)).toContain(row.id);
  });

  it('accepts text/plain JSON with a charset and the writeKey field, with CORS for browsers', async () => {
    const ev = {
      ...track('Clicked'),
      type: 'page',
      event: undefined,
      context: { page: { url: 'https://x.test/a?b=1' } },
    };
    const res = await request(api.url, '/v1/batch', {
      method: 'POST',
      body: JSON.stringify({ writeKey: a.writeKey, batch: [ev], sentAt: new Date().toISOString() }),
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const [row] = await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId]);
    expect(row).toMatchObject({ type: 'page', name: '$page' });
    expect(row.properties).toMatchObject({
      url: 'https://x.test/a?b=1',
      path: '/a',
      search: '?b=1',
      referrer: null,
    });

    const pre = await fetch(`${api.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const bad = await send(api, '/v1/track', {}, { key: 'nope' });
    expect(bad.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('accepts a secret key for server-side sources (Bearer or Basic)', async () => {
    const ev = track('Server Event', { userId: 'srv-1', anonymousId: undefined });
    const res = await request(api.url, '/v1/track', {
      method: 'POST',
      body: ev,
      headers: { authorization: `Bearer ${a.secretKey}` },
    });
    expect(res.status).toBe(202);
    expect((await send(api, '/v1/track', track('x'), { key: a.secretKey })).status).toBe(202);
  });

  it('dedupes on messageId per site: a retry is accepted but not stored again', async () => {
    const ev = track('Order Completed');
    const first = await send(api, '/v1/batch', { batch: [ev, ev] }, { key: a.writeKey });
    expect(first.body).toMatchObject({ accepted: 2, stored: 1, duplicates: 1 });
    const retry = await send(api, '/v1/track', ev, { key: a.writeKey });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId])).toHaveLength(1);
    // The same messageId on another site is another event.
    expect((await send(api, '/v1/track', ev, { key: b.writeKey })).body).toMatchObject({ stored: 1 });
  });

  it('writes a large group (the COPY path) byte-exact, with identities, trait changes, bots and the outbox', async () => {
    const odd = 'tab\there\nnew line \\ back\\slash \r "quoted" \u00e9\u2028 \\N';
    const anon = `copy-${randomUUID()}`;
    const batch: Record<string, unknown>[] = Array.from({ length: 150 }, (_, i) => ({
      ...track(i % 2 ? odd : 'Copy Path', { anonymousId: i < 100 ? anon : `copy-${randomUUID()}` }),
      messageId: `${randomUUID()}\t${i}\\`,
      properties: { i, odd, nested: { odd, list: [odd, null, 1.5] } },
      context: i % 10 === 0 ? { userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' } : { odd },
    }));
    batch.push({
      type: 'identify',
      anonymousId: anon,
      userId: `user-${anon}`,
      messageId: randomUUID(),
      traits: { odd },
    });
    const res = await send(api, '/v1/batch', { batch }, { key: a.writeKey });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 151, stored: 151, duplicates: 0 });
    const ids = batch.map((e) => e.messageId as string);
    await folded(a.siteId);
    const rows = await eventsOf(db, a.siteId, 'message_id = ANY($2)', [ids]);
    expect(rows).toHaveLength(151);
    const byId = new Map(rows.map((r) => [r.message_id, r]));
    batch.slice(0, 150).forEach((e, i) => {
      const r = byId.get(e.messageId as string)!;
      expect(r.name).toBe(e.event);
      expect(r.properties).toEqual(e.properties);
      // The request's browser User-Agent joins the context when the event has none (the fold reads it).
      expect(r.context).toEqual(
        i % 10 === 0 ? e.context : { ...(e.context as object), userAgent: BROWSER_UA },
      );
      expect(r.is_bot).toBe(i % 10 === 0);
    });
    const changed = await eventsOf(db, a.siteId, `name = '$trait_changed' AND anonymous_id = $2`, [anon]);
    expect(changed.map((c) => c.properties)).toEqual([{ key: 'odd', value: odd, previous: null }]);
    const visitorIds = new Set(rows.filter((r) => r.anonymous_id === anon).map((r) => r.visitor_id));
    expect(visitorIds.size).toBe(1);
    const v = (
      await db.query(`SELECT * FROM visitors WHERE site_id = $1 AND id = $2`, [a.siteId, [...visitorIds][0]])
    ).rows[0];
    expect(v).toMatchObject({ user_id: `user-${anon}`, event_count: 101, traits: { odd } });
    const handedOff = new Set(await handoffIds(db, a.siteId));
    for (const r of [...rows, ...changed]) expect(handedOff.has(r.id)).toBe(!r.is_bot);
    // A retry of the whole group stores nothing.
    const again = await send(api, '/v1/batch', { batch }, { key: a.writeKey });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 151 });
  });

  it('assigns a messageId when missing', async () => {
    const ev = track('No Id', { messageId: undefined });
    const res = await send(api, '/v1/track', ev, { key: a.writeKey });
    expect(res.body).toMatchObject({ stored: 1 });
    const [row] = await eventsOf(db, a.siteId, 'anonymous_id = $2', [ev.anonymousId]);
    expect(row.message_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores the valid events of a partial batch and lists each rejected index with a reason', async () => {
    const good1 = track('ok-1');
    const good2 = track('ok-2');
    const batch = [
      good1,
      { type: 'track', messageId: randomUUID(), anonymousId: 'x' },
      { type: 'track', event: 'no identity', messageId: randomUUID() },
      good2,
      { type: 'track', event: 'huge', anonymousId: 'x', properties: { blob: 'x'.repeat(33 * 1024) } },
      { type: 'bogus', anonymousId: 'x' },
      { type: 'track', event: '$trait_changed', anonymousId: 'x' },
      { type: 'track', event: 'bad ts', anonymousId: 'x', timestamp: 'yesterday-ish' },
      'not an object',
    ];
    const res = await send(api, '/v1/batch', { batch }, { key: a.writeKey });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, stored: 2 });
    expect((res.body.rejected as { index: number; code: string }[]).map((r) => [r.index, r.code])).toEqual([
      [1, 'MISSING_EVENT_NAME'],
      [2, 'MISSING_IDENTITY'],
      [4, 'EVENT_TOO_LARGE'],
      [5, 'INVALID_TYPE'],
      [6, 'RESERVED_EVENT_NAME'],
      [7, 'INVALID_TIMESTAMP'],
      [8, 'EVENT_NOT_OBJECT'],
    ]);
    expect(
      await eventsOf(db, a.siteId, 'message_id = ANY($2)', [[good1.messageId, good2.messageId]]),
    ).toHaveLength(2);
  });

  it('enforces limits with stable codes', async () => {
    const allBad = await send(api, '/v1/batch', { batch: [{ type: 'track' }] }, { key: a.writeKey });
    expect(allBad).toMatchObject({ status: 400, body: { code: 'BATCH_REJECTED' } });
    const tooMany = await send(
      api,
      '/v1/batch',
      { batch: Array.from({ length: 2501 }, () => ({ type: 'track', event: 'e', anonymousId: 'a' })) },
      { key: a.writeKey },
    );
    expect(tooMany).toMatchObject({ status: 413, body: { code: 'BATCH_TOO_LARGE' } });
    const big = Array.from({ length: 20 }, () => track('big', { properties: { s: 'y'.repeat(26 * 1024) } }));
    const tooBig = await send(api, '/v1/batch', { batch: big }, { key: a.writeKey });
    expect(tooBig).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    const bigEvent = await send(api, '/v1/track', track('x', { properties: { s: 'z'.repeat(33_000) } }), {
      key: a.writeKey,
    });
    expect(bigEvent).toMatchObject({ status: 413, body: { code: 'EVENT_TOO_LARGE' } });
    const notJson = await request(api.url, '/v1/batch', {
      method: 'POST',
      body: '{"batch": [',
      headers: { 'content-type': 'text/plain', authorization: basic(a.writeKey) },
    });
    expect(notJson).toMatchObject({ status: 400, body: { code: 'INVALID_JSON' } });
    const noEvent = await send(api, '/v1/track', { anonymousId: 'a' }, { key: a.writeKey });
    expect(noEvent).toMatchObject({ status: 400, body: { code: 'MISSING_EVENT_NAME' } });
  });

  it('refuses missing, wrong and revoked keys; a key only ever writes to its own site', async () => {
    expect((await send(api, '/v1/track', track('x'))).body.code).toBe('KEY_REQUIRED');
    const wrong = await send(api, '/v1/track', track('x'), {
      key: `nf_wk_${'0'.repeat(32)}${'a'.repeat(32)}`,
    });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'KEY_INVALID' } });
    const mismatch = await send(
      api,
      '/v1/batch',
      { writeKey: b.writeKey, batch: [track('x')] },
      { key: a.writeKey },
    );
    expect(mismatch).toMatchObject({ status: 401, body: { code: 'KEY_MISMATCH' } });

    const ev = track('only-a');
    await send(api, '/v1/track', ev, { key: a.writeKey });
    expect(await eventsOf(db, b.siteId, 'message_id = $2', [ev.messageId])).toHaveLength(0);
    expect(await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId])).toHaveLength(1);

    const created = await api.request(`/api/sites/${b.siteId}/keys`, {
      method: 'POST',
      token: b.tokens.owner,
      body: { kind: 'write', name: 'temp' },
    });
    const key = created.body.key as string;
    expect((await send(api, '/v1/track', track('x'), { key })).status).toBe(202);
    await api.request(`/api/sites/${b.siteId}/keys/${created.body.id as string}`, {
      method: 'DELETE',
      token: b.tokens.owner,
    });
    let status = 0;
    for (let i = 0; i < 40 && status !== 401; i++) {
      status = (await send(api, '/v1/track', track('after revoke'), { key })).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });

  it('corrects clock skew the Segment way', async () => {
    const now = Date.now();
    // The client clock is 2 hours ahead; the event happened 10 s before sending.
    const sentAt = new Date(now + 2 * 3_600_000);
    const ev = track('skewed', { timestamp: new Date(sentAt.getTime() - 10_000).toISOString() });
    await send(api, '/v1/batch', { batch: [ev], sentAt: sentAt.toISOString() }, { key: a.writeKey });
    const [row] = await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId]);
    const expected = row.received_at.getTime() - 10_000;
    expect(Math.abs(row.ts.getTime() - expected)).toBeLessThan(5);
    const noSent = track('trusted', { timestamp: '2025-01-02T03:04:05.000Z' });
    await send(api, '/v1/track', noSent, { key: a.writeKey });
    const [r2] = await eventsOf(db, a.siteId, 'message_id = $2', [noSent.messageId]);
    expect(r2.ts.toISOString()).toBe('2025-01-02T03:04:05.000Z');
  });

  it('flags bots: stored, marked, never handed to flows', async () => {
    const ev = track('bot hit', {
      context: { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    });
    await send(api, '/v1/track', ev, { key: a.writeKey });
    const [row] = await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId]);
    expect(row.is_bot).toBe(true);
    await folded(a.siteId);
    expect(await handoffIds(db, a.siteId)).not.toContain(row.id);
    const v = await db.query(`SELECT is_bot FROM visitors WHERE site_id = $1 AND id = $2`, [
      a.siteId,
      row.visitor_id,
    ]);
    expect(v.rows[0].is_bot).toBe(true);
  });

  it('builds the visitor profile: sessions, page views, UTM, referrer, device, country', async () => {
    const anon = `anon-${randomUUID()}`;
    const t0 = Date.now() - 3 * 3_600_000;
    const ua =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
    const page = (minutes: number, url: string, referrer = '') => ({
      type: 'page',
      anonymousId: anon,
      messageId: randomUUID(),
      timestamp: new Date(t0 + minutes * 60_000).toISOString(),
      context: { page: { url, referrer }, userAgent: ua },
    });
    const batch = [
      page(
        0,
        'https://shop.test/?utm_source=news&utm_medium=email&utm_campaign=spring',
        'https://google.com/',
      ),
      page(10, 'https://shop.test/products'),
      page(70, 'https://shop.test/cart'),
    ];
    await send(api, '/v1/batch', { batch }, { key: a.writeKey, headers: { 'cf-ipcountry': 'fr' } });
    await folded(a.siteId);
    const { rows } = await db.query(
      `SELECT v.* FROM visitors v JOIN visitor_identities i ON i.site_id = v.site_id AND i.visitor_id = v.id
        WHERE i.site_id = $1 AND i.kind = 'anon' AND i.value = $2`,
      [a.siteId, anon],
    );
    expect(rows[0]).toMatchObject({
      session_count: 2,
      visit_count: 3,
      last_page_url: 'https://shop.test/cart',
      referrer: 'https://google.com/',
      country: 'FR',
      anonymous_ids: [anon],
      is_bot: false,
    });
    expect(rows[0].utm).toEqual({ source: 'news', medium: 'email', campaign: 'spring' });
    expect(rows[0].device).toMatchObject({ type: 'mobile', browser: 'Mobile Safari', os: 'iOS' });
    expect(rows[0].first_seen_at.getTime()).toBe(t0);
  });

  it('identify merges an anonymous visitor into the known one without losing history', async () => {
    const anonPhone = `phone-${randomUUID()}`;
    const anonLaptop = `laptop-${randomUUID()}`;
    const userId = `user-${randomUUID()}`;
    await send(
      api,
      '/v1/page',
      { anonymousId: anonPhone, context: { page: { url: 'https://s.test/1' } } },
      { key: a.writeKey },
    );
    await send(
      api,
      '/v1/identify',
      { anonymousId: anonLaptop, userId, traits: { email: 'ana@example.com', plan: 'free' } },
      { key: a.writeKey },
    );
    await send(api, '/v1/track', { anonymousId: anonPhone, event: 'Viewed Pricing' }, { key: a.writeKey });
    const merged = await send(
      api,
      '/v1/identify',
      { anonymousId: anonPhone, userId, traits: { plan: 'pro', name: 'Ana' } },
      { key: a.writeKey },
    );
    expect(merged.status).toBe(202);
    await folded(a.siteId);

    const ids = await db.query(
      `SELECT kind, value, visitor_id FROM visitor_identities WHERE site_id = $1 AND value = ANY($2) ORDER BY kind, value`,
      [a.siteId, [anonPhone, anonLaptop, userId]],
    );
    const target = ids.rows.find((r) => r.kind === 'user').visitor_id as string;
    expect(new Set(ids.rows.map((r) => r.visitor_id))).toEqual(new Set([target]));
    const v = (await db.query(`SELECT * FROM visitors WHERE site_id = $1 AND id = $2`, [a.siteId, target]))
      .rows[0];
    expect(v.user_id).toBe(userId);
    expect(v.traits).toEqual({ email: 'ana@example.com', plan: 'pro', name: 'Ana' });
    expect([...v.anonymous_ids].sort()).toEqual([anonLaptop, anonPhone].sort());
    const absorbed = await db.query(`SELECT id FROM visitors WHERE site_id = $1 AND merged_into = $2`, [
      a.siteId,
      target,
    ]);
    expect(absorbed.rows).toHaveLength(1);

    const changes = await eventsOf(db, a.siteId, `visitor_id = $2 AND name = '$trait_changed'`, [target]);
    // In identify order; within one identify in the stored traits' (jsonb) key order.
    const props = changes.map((c) => c.properties);
    expect(props).toHaveLength(4);
    expect(props.slice(0, 2)).toEqual(
      expect.arrayContaining([
        { key: 'email', value: 'ana@example.com', previous: null },
        { key: 'plan', value: 'free', previous: null },
      ]),
    );
    expect(props.slice(2)).toEqual(
      expect.arrayContaining([
        { key: 'plan', value: 'pro', previous: 'free' },
        { key: 'name', value: 'Ana', previous: null },
      ]),
    );
    const identifies = await eventsOf(db, a.siteId, `user_id = $2 AND name = '$identify'`, [userId]);
    expect(identifies).toHaveLength(2);
    const handedOff = await handoffIds(db, a.siteId);
    for (const e of [...changes, ...identifies]) expect(handedOff).toContain(e.id);

    const detail = await api.request(`/api/sites/${a.siteId}/visitors/${target}`, { token: a.tokens.viewer });
    expect(detail.status).toBe(200);
    const names = (detail.body.timeline as { name: string }[]).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['$page', 'Viewed Pricing', '$identify', '$trait_changed']));
    expect(detail.body).toMatchObject({ userId, sessionCount: expect.any(Number) });

    // alias: an old user id folds into the new one.
    const oldUser = `old-${randomUUID()}`;
    await send(api, '/v1/identify', { userId: oldUser, traits: { legacy: true } }, { key: a.writeKey });
    const alias = await send(api, '/v1/alias', { previousId: oldUser, userId }, { key: a.writeKey });
    expect(alias.status).toBe(202);
    await folded(a.siteId);
    const after = (
      await db.query(`SELECT traits FROM visitors WHERE site_id = $1 AND id = $2`, [a.siteId, target])
    ).rows[0];
    expect(after.traits).toMatchObject({ legacy: true, plan: 'pro' });
    const oldId = await db.query(
      `SELECT visitor_id FROM visitor_identities WHERE site_id = $1 AND kind = 'user' AND value = $2`,
      [a.siteId, oldUser],
    );
    expect(oldId.rows[0].visitor_id).toBe(target);
  });

  it('lists and searches visitors with keyset paging, per site', async () => {
    const userId = `searchable-${randomUUID()}`;
    await send(
      api,
      '/v1/identify',
      { userId, anonymousId: randomUUID(), traits: { email: `${userId}@mail.test` } },
      { key: b.writeKey },
    );
    for (let i = 0; i < 3; i++)
      await send(api, '/v1/page', { anonymousId: `pager-${i}-${randomUUID()}` }, { key: b.writeKey });
    await folded(b.siteId);
    const found = await api.request(`/api/sites/${b.siteId}/visitors?search=${userId}`, {
      token: b.tokens.viewer,
    });
    expect(found.status).toBe(200);
    expect((found.body.items as { userId: string }[]).map((v) => v.userId)).toEqual([userId]);
    const byEmail = await api.request(`/api/sites/${b.siteId}/visitors?search=${userId}%40MAIL`, {
      token: b.tokens.viewer,
    });
    expect(byEmail.body.items).toHaveLength(1);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<TestApi['request']>> = await api.request(
        `/api/sites/${b.siteId}/visitors?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: b.tokens.viewer },
      );
      expect(page.status).toBe(200);
      seen.push(...(page.body.items as { id: string }[]).map((v) => v.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    const other = await api.request(`/api/sites/${a.siteId}/visitors?search=${userId}`, {
      token: a.tokens.viewer,
    });
    expect(other.body.items).toEqual([]);
    expect(
      (await api.request(`/api/sites/${b.siteId}/visitors/${randomUUID()}`, { token: b.tokens.viewer }))
        .status,
    ).toBe(404);
  });

  it('has daily event partitions ahead and creates one on demand for an older day', async () => {
    const parts = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'`,
    );
    const names = new Set(parts.rows.map((r) => r.name));
    for (let d = 0; d <= 3; d++) {
      const day = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
      expect(names).toContain(`events_p${day}`);
    }
    const old = new Date(Date.now() - 40 * 86_400_000);
    const ev = track('backfilled', { timestamp: old.toISOString() });
    expect((await send(api, '/v1/track', ev, { key: a.writeKey })).body).toMatchObject({ stored: 1 });
    const [row] = await eventsOf(db, a.siteId, 'message_id = $2', [ev.messageId]);
    expect(row.ts.toISOString()).toBe(old.toISOString());
  });
});

describe('ingestion rate limit', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ INGEST_RATE_LIMIT: '3' });
  });
  afterAll(() => api.stop());

  it('answers 429 with Retry-After once a site exceeds its requests per second', async () => {
    const t = await createTenant(api, 'ratelimited');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => send(api, '/v1/track', track('burst'), { key: t.writeKey })),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].body.code).toBe('RATE_LIMITED');
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A browser on the customer's site can read the refusal (and its Retry-After).
    expect(limited[0].headers.get('access-control-allow-origin')).toBe('*');
    expect(results.filter((r) => r.status === 202).length).toBeLessThanOrEqual(6);
    // The window's counter expires by itself (set when the window's first hit creates it).
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`rl:ingest:${t.siteId}:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(await redis.ttl(k)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
