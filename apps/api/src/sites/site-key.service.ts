import type { KeyPrincipal } from '../auth/principal';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { notFound } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEV_SECRETS_KEY, SecretBox } from '../webhooks/secret-box';
import { IdentityPolicy } from './identity-hash';
import { TtlCache } from '../common/ttl-cache';
import { sha256 } from '../common/tokens';
import { maskedKey, newKeyToken, parseKeyToken } from './key-token';
import { InvalidationBus } from '../redis/invalidation-bus';
import { ActiveKeyRow, KeyKind, SiteKeyRepository, SiteKeyRow } from './site-key.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

export type { KeyPrincipal };

export interface KeyView {
  id: string;
  kind: KeyKind;
  name: string;
  /** The whole key for write keys (they are public by design); masked for secret keys. */
  key: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Verifies keys by (site_id, sha256) with a short cache; secret keys are stored only as hashes and shown once. */
@Injectable()
export class SiteKeyService implements OnModuleInit {
  private readonly logger = new Logger(SiteKeyService.name);
  private readonly cache = new TtlCache<string, KeyPrincipal | null>(30_000);
  private readonly box: SecretBox;

  constructor(
    private readonly keys: SiteKeyRepository,
    private readonly bus: InvalidationBus,
    @Inject(APP_CONFIG) cfg: AppConfig,
  ) {
    this.box = new SecretBox(cfg.SECRETS_KEY ?? DEV_SECRETS_KEY);
  }

  onModuleInit(): void {
    this.bus.on(InvalidationTopic.SiteKeys, (siteId) =>
      this.cache.deleteWhere((_, v) => v === null || v.siteId === siteId),
    );
  }

  async verify(token: string): Promise<KeyPrincipal | undefined> {
    const parsed = parseKeyToken(token);
    if (!parsed) return undefined;
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached ?? undefined;
    const row = await this.keys.findActiveByHash(parsed.siteId, sha256(token));
    const principal =
      row && row.kind === parsed.kind
        ? { siteId: parsed.siteId, keyId: row.id, kind: row.kind, identity: this.identityPolicy(row) }
        : null;
    this.cache.set(token, principal);
    return principal ?? undefined;
  }

  /** Settings changed (identity verification, secret rotated): every process re-reads the site's keys. */
  async invalidate(siteId: string): Promise<void> {
    await this.bus.publish(InvalidationTopic.SiteKeys, siteId);
  }

  private identityPolicy(row: ActiveKeyRow): IdentityPolicy {
    const secrets: IdentityPolicy['secrets'] = [];
    const open = (sealed: string | null, until: number | null) => {
      if (!sealed) return;
      try {
        secrets.push({ secret: this.box.open(sealed), until });
      } catch (err) {
        // A secret sealed under another SECRETS_KEY verifies nothing (fails closed), loudly.
        this.logger.error({ err: (err as Error).message }, 'identity secret cannot be opened');
      }
    };
    open(row.identity_secret, null);
    open(row.identity_secret_previous, row.identity_secret_previous_until?.getTime() ?? 0);
    return { required: row.identity_verification, secrets };
  }

  async list(siteId: string): Promise<KeyView[]> {
    return (await this.keys.list(siteId)).map(toView);
  }

  async create(siteId: string, kind: KeyKind, name: string): Promise<KeyView & { key: string }> {
    const { token, ...stored } = newKeyToken(kind, siteId);
    const row = await this.keys.insert(siteId, { kind, name, ...stored });
    await this.bus.publish(InvalidationTopic.SiteKeys, siteId);
    return { ...toView(row), key: token };
  }

  async revoke(siteId: string, keyId: string): Promise<KeyView> {
    const row = await this.keys.revoke(siteId, keyId);
    if (!row) throw notFound('key', 'KEY_NOT_FOUND');
    await this.bus.publish(InvalidationTopic.SiteKeys, siteId);
    return toView(row);
  }

  /** A new key of the same kind and name; the old one stops working at once. */
  async rotate(siteId: string, keyId: string): Promise<KeyView & { key: string }> {
    const old = await this.keys.get(siteId, keyId);
    if (!old || old.revoked_at) throw notFound('key', 'KEY_NOT_FOUND');
    const created = await this.create(siteId, old.kind, old.name);
    await this.revoke(siteId, keyId);
    return created;
  }
}

function toView(row: SiteKeyRow): KeyView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    key: row.public_token ?? maskedKey(row.kind, row.last4),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
