import { identityKey, identityKeysOf } from '../visitors/identity-resolver';
import type { NormalizedEvent } from './event-normalize';

/**
 * A group-commit lane key per event: events of one submission linked through an identity
 * (anonymousId, userId, previousId — directly or through other events) share a key, so they commit
 * together and in order; unlinked visitors may commit in parallel (`GroupCommit.submitSplit`). The
 * key of a linked set is its first event's first identity.
 */
export function identityLaneKeys(siteId: string, events: readonly NormalizedEvent[]): string[] {
  const parent = events.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const owner = new Map<string, number>();
  const first: string[] = [];
  events.forEach((e, i) => {
    const keys = identityKeysOf(siteId, e).map((k) => identityKey(...k));
    first.push(keys[0] ?? `${siteId}|none`);
    for (const k of keys) {
      const o = owner.get(k);
      if (o === undefined) owner.set(k, i);
      else {
        const [a, b] = [find(o), find(i)];
        // the earlier event's root stays the root: a set is named by its first event
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  return events.map((_, i) => first[find(i)]);
}
