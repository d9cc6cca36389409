import type { KeyKind } from '../auth/principal';
import { hexToUuid, randomToken, sha256, uuidToHex } from '../common/tokens';

export type { KeyKind };

const PREFIX: Record<KeyKind, string> = { write: 'nf_wk_', secret: 'nf_sk_' };
const KEY_RE = /^nf_(wk|sk)_([0-9a-f]{32})([A-Za-z0-9_-]{32,64})$/;

export interface NewKey {
  token: string;
  tokenHash: Buffer;
  /** Write keys are public by design and kept whole so the builder can show the snippet. */
  publicToken: string | null;
  last4: string;
}

/** Keys carry their site id (`nf_wk_<site hex><random>`), so verifying one is a single-shard lookup. */
export function newKeyToken(kind: KeyKind, siteId: string): NewKey {
  const token = `${PREFIX[kind]}${uuidToHex(siteId)}${randomToken(24)}`;
  return {
    token,
    tokenHash: sha256(token),
    publicToken: kind === 'write' ? token : null,
    last4: token.slice(-4),
  };
}

export function parseKeyToken(token: string): { kind: KeyKind; siteId: string } | undefined {
  const m = KEY_RE.exec(token);
  if (!m) return undefined;
  return { kind: m[1] === 'wk' ? 'write' : 'secret', siteId: hexToUuid(m[2]) };
}

export const maskedKey = (kind: KeyKind, last4: string) => `${PREFIX[kind]}…${last4}`;
