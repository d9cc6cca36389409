import { Injectable, OnModuleInit } from '@nestjs/common';
import { notFound } from '../common/app-error';
import { TtlCache } from '../common/ttl-cache';
import { sha256 } from '../common/tokens';
import { maskedKey, newKeyToken, parseKeyToken } from './key-token';
import { InvalidationBus } from '../redis/invalidation-bus';
import { KeyKind, SiteKeyRepository, SiteKeyRow } from './site-key.repository';

export interface KeyPrincipal {
  siteId: string;
  keyId: string;
  kind: KeyKind;
}

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
  private readonly cache = new TtlCache<string, KeyPrincipal | null>(30_000);

  constructor(
    private readonly keys: SiteKeyRepository,
    private readonly bus: InvalidationBus,
  ) {}

  onModuleInit(): void {
    this.bus.on('site-keys', (siteId) => this.cache.deleteWhere((_, v) => v === null || v.siteId === siteId));
  }

  async verify(token: string): Promise<KeyPrincipal | undefined> {
    const parsed = parseKeyToken(token);
    if (!parsed) return undefined;
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached ?? undefined;
    const row = await this.keys.findActiveByHash(parsed.siteId, sha256(token));
    const principal =
      row && row.kind === parsed.kind ? { siteId: parsed.siteId, keyId: row.id, kind: row.kind } : null;
    this.cache.set(token, principal);
    return principal ?? undefined;
  }

  async list(siteId: string): Promise<KeyView[]> {
    return (await this.keys.list(siteId)).map(toView);
  }

  async create(siteId: string, kind: KeyKind, name: string): Promise<KeyView & { key: string }> {
    const { token, ...stored } = newKeyToken(kind, siteId);
    const row = await this.keys.insert(siteId, { kind, name, ...stored });
    await this.bus.publish('site-keys', siteId);
    return { ...toView(row), key: token };
  }

  async revoke(siteId: string, keyId: string): Promise<KeyView> {
    const row = await this.keys.revoke(siteId, keyId);
    if (!row) throw notFound('key', 'KEY_NOT_FOUND');
    await this.bus.publish('site-keys', siteId);
    return toView(row);
  }

  /** Drops every cached key of the site in every process (site deleted). */
  async invalidate(siteId: string): Promise<void> {
    await this.bus.publish('site-keys', siteId);
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
