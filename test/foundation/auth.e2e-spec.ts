import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { startApi, TestApi } from '../support/processes';
import { PASSWORD } from '../support/tenants';

describe('marketer auth', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi({ LOGIN_MAX_ATTEMPTS: '3', LOGIN_SLOWDOWN_MS: '20' });
  });
  afterAll(() => t.stop());

  const email = () => `m-${randomUUID().slice(0, 8)}@Example.com`;

  it('signs up, logs in with the lower-cased email and reads /api/me', async () => {
    const e = email();
    const signup = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'Ann' },
    });
    expect(signup.status).toBe(201);
    expect(signup.body.user).toMatchObject({ email: e.toLowerCase(), name: 'Ann' });
    expect(String(signup.headers.get('set-cookie'))).toContain('HttpOnly');

    const login = await t.request('/api/auth/login', {
      method: 'POST',
      body: { email: e.toUpperCase(), password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const me = await t.request('/api/me', { method: 'GET', token: login.body.accessToken as string });
    expect(me.status).toBe(200);
    expect(me.body.accounts).toEqual([expect.objectContaining({ id: signup.body.accountId, role: 'owner' })]);
  });

  it('refuses a duplicate email with 409 EMAIL_TAKEN and a short password with a message naming the field', async () => {
    const e = email();
    await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'A' },
    });
    const dup = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'B' },
    });
    expect(dup).toMatchObject({ status: 409, body: { code: 'EMAIL_TAKEN' } });
    const short = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: email(), password: 'short', name: 'B' },
    });
    expect(short).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', path: 'password' } });
    expect(short.body.message).toMatch(/^password: /);
  });

  it('answers a wrong password with 401 INVALID_CREDENTIALS and rate-limits repeated failures with 429 + Retry-After', async () => {
    const e = email();
    await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'A' },
    });
    for (let i = 0; i < 3; i++) {
      const bad = await t.request('/api/auth/login', {
        method: 'POST',
        body: { email: e, password: 'wrong-password' },
      });
      expect(bad).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    }
    const limited = await t.request('/api/auth/login', {
      method: 'POST',
      body: { email: e, password: PASSWORD },
    });
    expect(limited).toMatchObject({ status: 429, body: { code: 'LOGIN_RATE_LIMITED' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('rotates refresh tokens: each new one works, an unknown one is refused', async () => {
    const e = email();
    const s = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'A' },
    });
    const first = s.body.refreshToken as string;
    const r1 = await t.request('/api/auth/refresh', { method: 'POST', body: { refreshToken: first } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first);
    const r2 = await t.request('/api/auth/refresh', {
      method: 'POST',
      body: { refreshToken: r1.body.refreshToken },
    });
    expect(r2.status).toBe(200);
    const unknown = await t.request('/api/auth/refresh', {
      method: 'POST',
      body: { refreshToken: 'never-issued' },
    });
    expect(unknown).toMatchObject({ status: 401, body: { code: 'REFRESH_TOKEN_INVALID' } });
  });

  it.each([
    ['the token just rotated away', 1],
    ['a token rotated away two refreshes ago', 2],
  ])(
    'a replayed refresh token (%s) revokes the whole session: the thief and the owner are both out',
    async (_, rotations) => {
      const s = await t.request('/api/auth/signup', {
        method: 'POST',
        body: { email: email(), password: PASSWORD, name: 'A' },
      });
      const stolen = s.body.refreshToken as string;
      let current = { refreshToken: stolen, accessToken: s.body.accessToken as string };
      for (let i = 0; i < rotations; i++) {
        const r = await t.request('/api/auth/refresh', {
          method: 'POST',
          body: { refreshToken: current.refreshToken },
        });
        expect(r.status).toBe(200);
        current = r.body as typeof current;
      }
      expect((await t.request('/api/me', { token: current.accessToken })).status).toBe(200);

      const replay = await t.request('/api/auth/refresh', { method: 'POST', body: { refreshToken: stolen } });
      expect(replay).toMatchObject({ status: 401, body: { code: 'REFRESH_TOKEN_REUSED' } });
      // Every token of the family is dead: the newest refresh token and the access token it came with.
      expect(
        await t.request('/api/auth/refresh', {
          method: 'POST',
          body: { refreshToken: current.refreshToken },
        }),
      ).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
      expect(await t.request('/api/me', { token: current.accessToken })).toMatchObject({
        status: 401,
        body: { code: 'SESSION_REVOKED' },
      });
    },
  );

  it('a stranger failing logins from another address cannot lock the owner out', async () => {
    const e = email();
    await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'A' },
    });
    const from = (ip: string, password: string) =>
      t.request('/api/auth/login', {
        method: 'POST',
        body: { email: e, password },
        headers: { 'x-forwarded-for': ip },
      });
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.7', 'wrong-password')).status).toBe(401);
    expect(await from('198.51.100.7', 'wrong-password')).toMatchObject({
      status: 429,
      body: { code: 'LOGIN_RATE_LIMITED' },
    });
    // The owner, elsewhere, still gets in (the email alone is only slowed down, never blocked).
    expect((await from('203.0.113.9', PASSWORD)).status).toBe(200);
    // Spreading guesses over addresses does not block the email either.
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3'])
      expect((await from(ip, 'nope-nope')).status).toBe(401);
    expect((await from('203.0.113.10', PASSWORD)).status).toBe(200);
  });

  it('an untrusted peer cannot choose its address with X-Forwarded-For (TRUST_PROXY=false)', async () => {
    const direct = await startApi({ LOGIN_MAX_ATTEMPTS: '3', LOGIN_SLOWDOWN_MS: '0', TRUST_PROXY: 'false' });
    try {
      const e = email();
      await direct.request('/api/auth/signup', {
        method: 'POST',
        body: { email: e, password: PASSWORD, name: 'A' },
      });
      const statuses: number[] = [];
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']) {
        const res = await direct.request('/api/auth/login', {
          method: 'POST',
          body: { email: e, password: 'wrong-password' },
          headers: { 'x-forwarded-for': ip },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await direct.stop();
    }
  });

  it('logout revokes the session: its access token and refresh token stop working', async () => {
    const s = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: email(), password: PASSWORD, name: 'A' },
    });
    const token = s.body.accessToken as string;
    expect((await t.request('/api/me', { method: 'GET', token })).status).toBe(200);
    expect((await t.request('/api/auth/logout', { method: 'POST', token })).status).toBe(204);
    expect(await t.request('/api/me', { method: 'GET', token })).toMatchObject({
      status: 401,
      body: { code: 'SESSION_REVOKED' },
    });
    const refresh = await t.request('/api/auth/refresh', {
      method: 'POST',
      body: { refreshToken: s.body.refreshToken },
    });
    expect(refresh).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
  });

  it('refuses expired, forged and malformed tokens with distinct codes', async () => {
    const s = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: email(), password: PASSWORD, name: 'A' },
    });
    const claims = JSON.parse(
      Buffer.from((s.body.accessToken as string).split('.')[1], 'base64url').toString(),
    ) as {
      sub: string;
      sid: string;
    };
    const secret = process.env.JWT_SECRET ?? 'nudgeflow-development-secret-change-me-in-production';
    const expired = jwt.sign(
      { sub: claims.sub, sid: claims.sid, exp: Math.floor(Date.now() / 1000) - 10 },
      secret,
    );
    const forged = jwt.sign({ sub: claims.sub, sid: claims.sid }, 'another-secret-another-secret-another');
    const endless = jwt.sign({ sub: claims.sub, sid: claims.sid }, secret, { algorithm: 'HS256' });
    expect(JSON.parse(Buffer.from(endless.split('.')[1], 'base64url').toString())).not.toHaveProperty('exp');
    expect(await t.request('/api/me', { method: 'GET', token: expired })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_EXPIRED' },
    });
    expect(await t.request('/api/me', { method: 'GET', token: forged })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_INVALID' },
    });
    expect(await t.request('/api/me', { method: 'GET', token: endless })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_INVALID' },
    });
    expect(await t.request('/api/me', { method: 'GET', token: 'not-a-jwt' })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_INVALID' },
    });
    expect(await t.request('/api/me', { method: 'GET' })).toMatchObject({
      status: 401,
      body: { code: 'AUTH_REQUIRED' },
    });
    expect(
      await t.request('/api/me', { method: 'GET', headers: { authorization: 'Basic abc' } }),
    ).toMatchObject({ status: 401, body: { code: 'AUTH_SCHEME' } });
  });

  it('answers unparsable JSON with 400 INVALID_JSON', async () => {
    const res = await t.request('/api/auth/login', { method: 'POST', body: '{"email":' });
    expect(res).toMatchObject({ status: 400, body: { code: 'INVALID_JSON' } });
  });
});
