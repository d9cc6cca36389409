import { Injectable, OnModuleInit } from '@nestjs/common';
import { notFound } from '../common/app-error';
import { TtlCache } from '../common/ttl-cache';
import { hexToUuid, randomToken, sha256, uuidToHex } from '../common/tokens';
import { InvalidationBus } from '../redis/invalidation-bus';
import { KeyKind, SiteKeyRepository, SiteKeyRow } from './site-key.repository';

export interface KeyPrincipal {
  siteId: string;
  keyId: string;
  kind: KeyKind;
}

const PREFIX: Record<KeyKind, string> = { write: 'nf_wk_', secret: 'nf_sk_' };
const KEY_RE = /^nf_(wk|sk)_([0-9a-f]{32})([A-Za-z0-9_-]{32,64})$/;

export interface KeyView {
  id: string;
  kind: KeyKind;
  name: string;
  /** The whole key for write keys (they are public by design); masked for secret keys. */
  key: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * Keys carry their site id (`nf_wk_<site hex><random>`), so verifying one is a single-shard lookup
 * by (site_id, sha256). Secret keys are stored only as hashes and shown once.
 */
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

  static parse(token: string): { kind: KeyKind; siteId: string } | undefined {
    const m = KEY_RE.exec(token);
    if (!m) return undefined;
    return { kind: m[1] === 'wk' ? 'write' : 'secret', siteId: hexToUuid(m[2]) };
  }

  async verify(token: string): Promise<KeyPrincipal | undefined> {
    const parsed = SiteKeyService.parse(token);
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
    const token = `${PREFIX[kind]}${uuidToHex(siteId)}${randomToken(24)}`;
    const row = await this.keys.insert(siteId, {
      kind,
      name,
      tokenHash: sha256(token),
      publicToken: kind === 'write' ? token : null,
      last4: token.slice(-4),
    });
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
    key: row.public_token ?? `${PREFIX[row.kind]}…${row.last4}`,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
