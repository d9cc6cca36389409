import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEV_SECRETS_KEY, SecretBox } from '../webhooks/secret-box';
import { newIdentitySecret } from './identity-hash';
import { SiteIdentityRow, SiteRepository } from './site.repository';
import { SiteKeyService } from './site-key.service';

export interface SiteIdentityView {
  /** Browser userIds (write key) count only with `userHash = hex(HMAC-SHA256(secret, userId))`. */
  enabled: boolean;
  /** Shown to editors and owners only: it belongs on the site's server, never in a page. */
  secret: string;
  /** After a rotation the previous secret still verifies until then (null: none). */
  previousSecretValidUntil: Date | null;
}

/**
 * A site's identity-verification settings. Secrets are sealed at rest like webhook secrets; a change
 * drops every process's cached key principals (they carry the policy), so it applies within a second.
 */
@Injectable()
export class SiteIdentityService {
  private readonly box: SecretBox;

  constructor(
    private readonly sites: SiteRepository,
    private readonly keys: SiteKeyService,
    @Inject(APP_CONFIG) cfg: AppConfig,
  ) {
    this.box = new SecretBox(cfg.SECRETS_KEY ?? DEV_SECRETS_KEY);
  }

  /** The settings, making the site's first secret if it has none yet. */
  async get(siteId: string): Promise<SiteIdentityView> {
    let row = await this.sites.identity(siteId);
    if (row && !row.identity_secret) {
      row = await this.sites.initIdentitySecret(siteId, this.box.seal(newIdentitySecret()));
      await this.keys.invalidate(siteId);
    }
    return this.view(row);
  }

  async setEnabled(siteId: string, enabled: boolean): Promise<SiteIdentityView> {
    const row = await this.sites.setIdentityVerification(siteId, enabled);
    if (!row) throw notFound('site', 'SITE_NOT_FOUND');
    await this.keys.invalidate(siteId);
    return this.get(siteId);
  }

  /** A new secret; hashes made with the old one keep verifying for `graceHours` (0: stop at once). */
  async rotate(siteId: string, graceHours: number): Promise<SiteIdentityView> {
    const until = new Date(Date.now() + graceHours * 3_600_000);
    const row = await this.sites.rotateIdentitySecret(siteId, this.box.seal(newIdentitySecret()), until);
    await this.keys.invalidate(siteId);
    return this.view(row);
  }

  private view(row: SiteIdentityRow | undefined): SiteIdentityView {
    if (!row?.identity_secret) throw notFound('site', 'SITE_NOT_FOUND');
    const until = row.identity_secret_previous ? row.identity_secret_previous_until : null;
    return {
      enabled: row.identity_verification,
      secret: this.box.open(row.identity_secret),
      previousSecretValidUntil: until && until.getTime() > Date.now() ? until : null,
    };
  }
}
