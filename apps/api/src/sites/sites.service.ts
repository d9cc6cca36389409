import { Injectable } from '@nestjs/common';
import { AppError, forbidden, notFound } from '../common/app-error';
import { roleAtLeast } from '../common/roles';
import { UserRepository } from '../auth/user.repository';
import { CreateSiteInput, UpdateSiteInput } from './site.schemas';
import { SiteRepository, SiteRow } from './site.repository';
import { SiteKeyService } from './site-key.service';

export interface SiteView {
  id: string;
  accountId: string;
  name: string;
  domain: string;
  timezone: string;
  retentionDays: number;
  identityVerification: boolean;
  createdAt: Date;
}

export const toSiteView = (s: SiteRow): SiteView => ({
  id: s.id,
  accountId: s.account_id,
  name: s.name,
  domain: s.domain,
  timezone: s.timezone,
  retentionDays: s.retention_days,
  identityVerification: s.identity_verification,
  createdAt: s.created_at,
});

@Injectable()
export class SitesService {
  constructor(
    private readonly sites: SiteRepository,
    private readonly users: UserRepository,
    private readonly keys: SiteKeyService,
  ) {}

  async listForUser(userId: string) {
    return (await this.sites.listForUser(userId)).map((s) => ({ ...toSiteView(s), role: s.role }));
  }

  /** A new site comes with its first write key, so the embed snippet works right away. */
  async create(userId: string, input: CreateSiteInput) {
    const memberships = await this.users.memberships(userId);
    const editable = memberships.filter((m) => roleAtLeast(m.role, 'editor'));
    let accountId = input.accountId;
    if (!accountId) {
      if (editable.length !== 1) {
        throw new AppError(
          400,
          'ACCOUNT_REQUIRED',
          'accountId: required when you belong to several accounts',
        );
      }
      accountId = editable[0].account_id;
    }
    const membership = memberships.find((m) => m.account_id === accountId);
    if (!membership) throw notFound('account', 'ACCOUNT_NOT_FOUND');
    if (!roleAtLeast(membership.role, 'editor')) throw forbidden('needs the editor role on this account');
    const site = await this.sites.create({
      accountId,
      name: input.name,
      domain: input.domain,
      timezone: input.timezone,
      identityVerification: input.identityVerification,
    });
    const writeKey = await this.keys.create(site.id, 'write', 'Default write key');
    return { ...toSiteView(site), writeKey: writeKey.key };
  }

  async get(siteId: string): Promise<SiteView> {
    const site = await this.sites.get(siteId);
    if (!site) throw notFound('site', 'SITE_NOT_FOUND');
    return toSiteView(site);
  }

  async update(siteId: string, patch: UpdateSiteInput): Promise<SiteView> {
    const site = await this.sites.update(siteId, patch);
    if (!site) throw notFound('site', 'SITE_NOT_FOUND');
    return toSiteView(site);
  }

  async remove(siteId: string): Promise<void> {
    await this.sites.softDelete(siteId);
    await this.keys.invalidate(siteId);
  }
}
