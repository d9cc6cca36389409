import type { Role } from '../common/roles';
import type { KeyPrincipal } from './principal';

/** A user's role on a site, through their membership of the site's account. */
export interface SiteAccessRow {
  site_id: string;
  account_id: string;
  role: Role;
}

/** A site listed for a signed-in marketer (`GET /api/auth/me`). */
export interface UserSite {
  id: string;
  account_id: string;
  name: string;
  domain: string;
  role: Role;
}

/**
 * What access control needs to know of sites. The sites feature provides it (`SitesDirectory`),
 * bound in `SitesCoreModule`: sites depend on the accounts and members of auth, never the other way round.
 */
export abstract class SiteDirectory {
  /** A site key's principal; undefined when the key is unknown or revoked. */
  abstract verifyKey(token: string): Promise<KeyPrincipal | undefined>;
  /** The account of a live site; undefined when there is none. */
  abstract accountOf(siteId: string): Promise<string | undefined>;
  /** The user's access to a live site; undefined when they have none. */
  abstract access(siteId: string, userId: string): Promise<SiteAccessRow | undefined>;
  /** The user's sites, with their role on each. */
  abstract listForUser(userId: string): Promise<UserSite[]>;
}
