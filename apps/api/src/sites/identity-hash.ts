import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IdentityPolicy } from '../auth/principal';
import { randomToken } from '../common/tokens';

/**
 * Identity verification (Intercom/Segment style): the site's server computes
 * `hex(HMAC-SHA256(identity secret, userId))` and hands it to the embed script with the user id. A
 * browser request (write key) that names a userId without that hash is not trusted with it.
 */
export type { IdentityPolicy };

export const NO_VERIFICATION: IdentityPolicy = { required: false, secrets: [] };

const HASH_RE = /^[0-9a-f]{64}$/i;

export const newIdentitySecret = (): string => `nf_is_${randomToken(32)}`;

export const userHashOf = (secret: string, userId: string): string =>
  createHmac('sha256', secret).update(userId, 'utf8').digest('hex');

/** True when `hash` is the HMAC of `userId` under one of the policy's live secrets. */
export function validUserHash(
  policy: IdentityPolicy,
  userId: string,
  hash: unknown,
  now = Date.now(),
): boolean {
  if (typeof hash !== 'string' || !HASH_RE.test(hash)) return false;
  const given = Buffer.from(hash.toLowerCase(), 'hex');
  let ok = false;
  for (const { secret, until } of policy.secrets) {
    if (until !== null && until <= now) continue;
    // Compare against every live secret (no early exit): the time taken does not tell which matched.
    if (timingSafeEqual(Buffer.from(userHashOf(secret, userId), 'hex'), given)) ok = true;
  }
  return ok;
}

/** Whether a request authenticated by this key may act as `userId` (secret keys are servers: trusted). */
export function userIdTrusted(
  key: { kind: 'write' | 'secret'; identity: IdentityPolicy },
  userId: string,
  hash: unknown,
): boolean {
  return key.kind === 'secret' || !key.identity.required || validUserHash(key.identity, userId, hash);
}
