import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Role } from '../common/roles';

/** The two kinds of site key: write keys (public, events only) and secret keys (server-side API). */
export type KeyKind = 'write' | 'secret';

/**
 * A site's identity verification as a write key carries it: a userId from a browser counts only with
 * a valid hash when `required` (the hash itself: sites/identity-hash.ts).
 */
export interface IdentityPolicy {
  /** On: a userId from a write key counts only with a valid hash. Off: trusted as before #25. */
  required: boolean;
  /** The current secret, and the previous one until its grace period ends (epoch ms). */
  secrets: { secret: string; until: number | null }[];
}

/** A verified site key (sites' `SiteKeyService.verify`). */
export interface KeyPrincipal {
  siteId: string;
  keyId: string;
  kind: KeyKind;
  /** The site's identity verification (browser userIds need a valid hash when required). */
  identity: IdentityPolicy;
}

export type Principal =
  { type: 'user'; userId: string; sessionId: string } | ({ type: 'key' } & KeyPrincipal);

export interface SiteAccess {
  siteId: string;
  accountId: string;
  role: Role;
}

export type AuthedRequest = FastifyRequest & { principal?: Principal; siteAccess?: SiteAccess };

export const PUBLIC_ROUTE = 'nudgeflow:public';
export const SITE_ROLE = 'nudgeflow:site-role';
export const ACCOUNT_ROLE = 'nudgeflow:account-role';
export const USER_ONLY = 'nudgeflow:user-only';

/** No marketer credentials needed (login, ingest with its own key check, health...). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Route has `:siteId`; caller needs at least this role on that site (secret keys act as editors). */
export const SiteRole = (role: Role) => SetMetadata(SITE_ROLE, role);
/** Route has `:accountId`; caller must be a member with at least this role. */
export const AccountRole = (role: Role) => SetMetadata(ACCOUNT_ROLE, role);
/** Only a signed-in marketer, never a site key (key management, members). */
export const UserOnly = () => SetMetadata(USER_ONLY, true);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthedRequest>().principal,
);
export const CurrentSite = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthedRequest>().siteAccess,
);
