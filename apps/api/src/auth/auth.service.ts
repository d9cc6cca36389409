import { Inject, Injectable } from '@nestjs/common';
import { conflict, tooManyRequests, unauthorized } from '../common/app-error';
import { randomToken, sha256 } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RateLimiter } from '../redis/rate-limiter';
import { LoginInput, SignupInput } from './auth.schemas';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { UserRepository, UserRow } from './user.repository';

export interface AuthResult {
  user: { id: string; email: string; name: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly limiter: RateLimiter,
    private readonly passwords: PasswordHasher,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  async signup(input: SignupInput): Promise<AuthResult & { accountId: string }> {
    const passwordHash = await this.passwords.hash(input.password);
    const created = await this.users.transaction((tx) =>
      this.users.createWithAccount(
        {
          email: input.email,
          name: input.name,
          passwordHash,
          accountName: input.accountName ?? `${input.name}'s team`,
        },
        tx,
      ),
    );
    if (!created) throw conflict('EMAIL_TAKEN', 'email: an account with this email already exists');
    return { ...(await this.issue(created.user)), accountId: created.accountId };
  }

  /**
   * Failed logins are limited per (email, address) and per address, so a stranger elsewhere cannot
   * lock a user out: an email failing too often from everywhere together is only slowed down.
   */
  async login(input: LoginInput, ip: string): Promise<AuthResult> {
    const email = input.email.toLowerCase();
    const window = this.cfg.LOGIN_WINDOW_SECONDS;
    const max = this.cfg.LOGIN_MAX_ATTEMPTS;
    const [byPair, byIp, byEmail] = await Promise.all([
      this.limiter.hit(`login:pair:${email}:${ip}`, max, window),
      this.limiter.hit(`login:ip:${ip}`, max * 10, window),
      this.limiter.hit(`login:email:${email}`, max, window),
    ]);
    if (!byPair.allowed || !byIp.allowed) {
      throw tooManyRequests(
        'LOGIN_RATE_LIMITED',
        Math.max(byPair.allowed ? 0 : byPair.retryAfterSeconds, byIp.allowed ? 0 : byIp.retryAfterSeconds),
      );
    }
    if (!byEmail.allowed && this.cfg.LOGIN_SLOWDOWN_MS > 0)
      await new Promise((r) => setTimeout(r, this.cfg.LOGIN_SLOWDOWN_MS));
    const user = await this.users.findByEmail(email);
    const ok = await this.passwords.verify(user?.password_hash, input.password);
    if (!user || !ok) throw unauthorized('INVALID_CREDENTIALS', 'email or password is wrong');
    await this.limiter.reset(`login:pair:${email}:${ip}`, window);
    return this.issue(user);
  }

  async refresh(refreshToken: string | undefined): Promise<AuthResult> {
    if (!refreshToken) throw unauthorized('REFRESH_TOKEN_REQUIRED', 'refreshToken: is required');
    const hash = sha256(refreshToken);
    const session = await this.users.findSessionByToken(hash);
    if (!session) {
      const reusedSession = await this.users.sessionOfRetiredToken(hash);
      if (reusedSession) return this.revokeReused(reusedSession);
      throw unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    }
    if (session.revoked_at) throw unauthorized('SESSION_REVOKED', 'session has been logged out');
    if (session.expires_at < new Date())
      throw unauthorized('REFRESH_TOKEN_EXPIRED', 'refresh token has expired');
    const user = await this.users.findById(session.user_id);
    if (!user) throw unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    const next = randomToken();
    const rotated = await this.users.rotateSession(session.id, hash, sha256(next), this.refreshExpiry());
    // Another request rotated this very token first: the same token was presented twice.
    if (!rotated) return this.revokeReused(session.id);
    return this.result(user, session.id, next);
  }

  /**
   * A rotated-away refresh token came back: whoever holds the current one may be the thief, so the
   * whole session (every token of its family, and its access tokens) ends (OAuth 2.0 security BCP).
   */
  private async revokeReused(sessionId: string): Promise<never> {
    await this.logout(sessionId);
    throw unauthorized('REFRESH_TOKEN_REUSED', 'refresh token was already used; the session is revoked');
  }

  async logout(sessionId: string): Promise<void> {
    await this.users.revokeSession(sessionId);
    await this.tokens.markRevoked(sessionId);
  }

  private async issue(user: UserRow): Promise<AuthResult> {
    const refreshToken = randomToken();
    const sessionId = await this.users.createSession(user.id, sha256(refreshToken), this.refreshExpiry());
    return this.result(user, sessionId, refreshToken);
  }

  private result(user: UserRow, sessionId: string, refreshToken: string): AuthResult {
    return {
      user: { id: user.id, email: user.email, name: user.name },
      accessToken: this.tokens.signAccess(user.id, sessionId),
      refreshToken,
      expiresIn: this.cfg.ACCESS_TOKEN_TTL_SECONDS,
    };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.cfg.REFRESH_TOKEN_TTL_DAYS * 86_400_000);
  }
}
