import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { forbidden, notFound, unauthorized } from '../common/app-error';
import { Role, roleAtLeast } from '../common/roles';
import { UUID_RE } from '../common/tokens';
import { UserRepository } from './user.repository';
import { ACCOUNT_ROLE, AuthedRequest, Principal, PUBLIC_ROUTE, SITE_ROLE, USER_ONLY } from './principal';
import { SiteDirectory } from './site-directory';
import { TokenService } from './token.service';

/**
 * Global guard: authenticates (JWT or secret site key), then authorises by role on the route's
 * `:siteId` / `:accountId`. Another tenant's resource answers 404, exactly like a missing one.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly sites: SiteDirectory,
    private readonly users: UserRepository,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const principal = await this.authenticate(req);
    req.principal = principal;

    if (principal.type === 'key' && this.reflector.getAllAndOverride<boolean>(USER_ONLY, targets)) {
      throw forbidden('this endpoint needs a signed-in marketer, not a site key');
    }
    const params = (req.params ?? {}) as Record<string, string>;
    const siteRole = this.reflector.getAllAndOverride<Role | undefined>(SITE_ROLE, targets);
    if (siteRole) await this.authoriseSite(req, principal, params.siteId, siteRole);
    const accountRole = this.reflector.getAllAndOverride<Role | undefined>(ACCOUNT_ROLE, targets);
    if (accountRole) await this.authoriseAccount(principal, params.accountId, accountRole);
    return true;
  }

  private async authenticate(req: AuthedRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('AUTH_REQUIRED', 'authorization header is required');
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() !== 'bearer' || !value) {
      throw unauthorized('AUTH_SCHEME', 'authorization must be "Bearer <token>"');
    }
    if (value.startsWith('nf_')) {
      const key = await this.sites.verifyKey(value);
      if (!key) throw unauthorized('KEY_INVALID', 'site key is unknown or revoked');
      if (key.kind !== 'secret')
        throw unauthorized('KEY_NOT_SECRET', 'write keys only send events; use a secret key');
      return { type: 'key', ...key };
    }
    const claims = await this.tokens.verifyAccess(value);
    return { type: 'user', userId: claims.sub, sessionId: claims.sid };
  }

  private async authoriseSite(
    req: AuthedRequest,
    principal: Principal,
    siteId: string | undefined,
    need: Role,
  ) {
    if (!siteId || !UUID_RE.test(siteId)) throw notFound('site', 'SITE_NOT_FOUND');
    if (principal.type === 'key') {
      if (principal.siteId !== siteId) throw notFound('site', 'SITE_NOT_FOUND');
      const accountId = await this.sites.accountOf(siteId);
      if (!accountId) throw notFound('site', 'SITE_NOT_FOUND');
      if (!roleAtLeast('editor', need)) throw forbidden(`needs the ${need} role on this site`);
      req.siteAccess = { siteId, accountId, role: 'editor' };
      return;
    }
    const access = await this.sites.access(siteId, principal.userId);
    if (!access) throw notFound('site', 'SITE_NOT_FOUND');
    if (!roleAtLeast(access.role, need))
      throw forbidden(`needs the ${need} role on this site (you are ${access.role})`);
    req.siteAccess = { siteId, accountId: access.account_id, role: access.role };
  }

  private async authoriseAccount(principal: Principal, accountId: string | undefined, need: Role) {
    if (principal.type !== 'user' || !accountId || !UUID_RE.test(accountId)) {
      throw notFound('account', 'ACCOUNT_NOT_FOUND');
    }
    const role = await this.users.membership(accountId, principal.userId);
    if (!role) throw notFound('account', 'ACCOUNT_NOT_FOUND');
    if (!roleAtLeast(role, need)) throw forbidden(`needs the ${need} role on this account (you are ${role})`);
  }
}
