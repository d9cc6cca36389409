import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import Redis from 'ioredis';
import { unauthorized } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { UserRepository } from './user.repository';

interface AccessClaims {
  sub: string;
  sid: string;
  exp?: number;
}

/** Short-lived JWT access tokens; a logout marks the session revoked in Redis for the token's lifetime. */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);

  constructor(
    private readonly jwt: JwtService,
    private readonly users: UserRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  signAccess(userId: string, sessionId: string): string {
    return this.jwt.sign({ sub: userId, sid: sessionId } satisfies AccessClaims, {
      expiresIn: this.cfg.ACCESS_TOKEN_TTL_SECONDS,
      algorithm: 'HS256',
    });
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch (err) {
      if ((err as Error).name === 'TokenExpiredError')
        throw unauthorized('TOKEN_EXPIRED', 'access token has expired');
      throw unauthorized('TOKEN_INVALID', 'access token is invalid');
    }
    // A token without `exp` would never expire: only tokens we sign (always with `exp`) are valid.
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number') {
      throw unauthorized('TOKEN_INVALID', 'access token is invalid');
    }
    if (await this.isRevoked(claims.sid))
      throw unauthorized('SESSION_REVOKED', 'session has been logged out');
    return claims;
  }

  async markRevoked(sessionId: string): Promise<void> {
    await this.redis
      .set(this.revokedKey(sessionId), '1', 'EX', this.cfg.ACCESS_TOKEN_TTL_SECONDS)
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'could not cache session revocation'));
  }

  private async isRevoked(sessionId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(this.revokedKey(sessionId))) === 1;
    } catch {
      // Redis down: fall back to the source of truth rather than trusting the token blindly.
      return !(await this.users.isSessionActive(sessionId));
    }
  }

  private revokedKey(sessionId: string) {
    return `${this.cfg.QUEUE_PREFIX}:session-revoked:${sessionId}`;
  }
}
