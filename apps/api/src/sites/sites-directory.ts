import { Injectable } from '@nestjs/common';
import type { KeyPrincipal } from '../auth/principal';
import { SiteAccessRow, SiteDirectory, UserSite } from '../auth/site-directory';
import { SiteKeyService } from './site-key.service';
import { SiteRepository } from './site.repository';

/** The sites feature's answer to access control's questions (bound in `SitesCoreModule`). */
@Injectable()
export class SitesDirectory implements SiteDirectory {
  constructor(
    private readonly sites: SiteRepository,
    private readonly keys: SiteKeyService,
  ) {}

  verifyKey(token: string): Promise<KeyPrincipal | undefined> {
    return this.keys.verify(token);
  }

  async accountOf(siteId: string): Promise<string | undefined> {
    return (await this.sites.get(siteId))?.account_id;
  }

  access(siteId: string, userId: string): Promise<SiteAccessRow | undefined> {
    return this.sites.access(siteId, userId);
  }

  listForUser(userId: string): Promise<UserSite[]> {
    return this.sites.listForUser(userId);
  }
}
