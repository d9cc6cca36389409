import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { startApi, TestApi } from '../support/processes';
import { PASSWORD } from '../support/tenants';

describe('marketer auth', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi({ LOGIN_MAX_ATTEMPTS: '3' });
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

  it('rotates refresh tokens: the new one works, the old one is refused', async () => {
    const e = email();
    const s = await t.request('/api/auth/signup', {
      method: 'POST',
      body: { email: e, password: PASSWORD, name: 'A' },
    });
    const first = s.body.refreshToken as string;
    const r1 = await t.request('/api/auth/refresh', { method: 'POST', body: { refreshToken: first } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first);
    const reuse = await t.request('/api/auth/refresh', { method: 'POST', body: { refreshToken: first } });
    expect(reuse).toMatchObject({ status: 401, body: { code: 'REFRESH_TOKEN_INVALID' } });
    const r2 = await t.request('/api/auth/refresh', {
      method: 'POST',
      body: { refreshToken: r1.body.refreshToken },
    });
    expect(r2.status).toBe(200);
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
    expect(await t.request('/api/me', { method: 'GET', token: expired })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_EXPIRED' },
    });
    expect(await t.request('/api/me', { method: 'GET', token: forged })).toMatchObject({
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
