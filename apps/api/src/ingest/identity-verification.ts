import type { KeyPrincipal } from '../sites/site-key.service';
import { validUserHash } from '../sites/identity-hash';
import type { NormalizedEvent, Rejection } from './event-normalize';

export interface IndexedEvent {
  index: number;
  event: NormalizedEvent;
}

/**
 * Identity verification at normalisation time (issue #25). With it on, a browser request (write key)
 * is trusted with a userId only when the raw event carries `userHash = hex(HMAC-SHA256(site identity
 * secret, userId))`. Otherwise the claim never reaches the store as an identity: an event that also
 * has its anonymousId is kept as that anonymous visitor's (the claim recorded as
 * `context.unverifiedUserId`), one with only the userId is rejected. A browser cannot alias (alias
 * merges a profile it names into another). Secret keys (servers) and sites with it off: unchanged.
 */
export function verifyBrowserIdentities(
  key: Pick<KeyPrincipal, 'kind' | 'identity'>,
  raw: unknown[],
  events: IndexedEvent[],
): { events: IndexedEvent[]; rejected: Rejection[] } {
  if (key.kind !== 'write' || !key.identity.required) return { events, rejected: [] };
  const kept: IndexedEvent[] = [];
  const rejected: Rejection[] = [];
  const now = Date.now();
  for (const item of events) {
    const { event } = item;
    if (event.type === 'alias') {
      rejected.push({
        index: item.index,
        code: 'ALIAS_UNVERIFIED',
        reason: 'type: alias needs the secret key while identity verification is on',
      });
      continue;
    }
    if (!event.userId) {
      kept.push(item);
      continue;
    }
    const hash = (raw[item.index] as { userHash?: unknown } | null)?.userHash;
    if (validUserHash(key.identity, event.userId, hash, now)) {
      kept.push(item);
    } else if (event.anonymousId) {
      const context = { ...event.context, unverifiedUserId: event.userId };
      kept.push({ index: item.index, event: { ...event, userId: null, context } });
    } else {
      rejected.push({
        index: item.index,
        code: 'USER_HASH_INVALID',
        reason: 'userHash: missing or not the HMAC of userId (identity verification is on)',
      });
    }
  }
  return { events: kept, rejected };
}
