import type { EngineEffect, TraitValue } from '@nudgeflow/engine';

export type VisitorUpdate = Pick<
  Extract<EngineEffect, { kind: 'update_visitor' }>,
  'setTraits' | 'unsetTraits' | 'addTags' | 'removeTags'
>;

function setOwn(target: Record<string, TraitValue>, key: string, value: TraitValue): void {
  // `__proto__` and friends are ordinary trait keys here, never the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * One update with the effect of applying `updates` one after another, in the form the visitors
 * UPDATE applies (`traits || set - unset`, `(tags - remove) ∪ add`): a later update wins over an
 * earlier one on the same trait or tag.
 */
export function composeVisitorUpdates(updates: VisitorUpdate[]): VisitorUpdate {
  const set: Record<string, TraitValue> = {};
  const unset = new Set<string>();
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const u of updates) {
    for (const key of u.unsetTraits) {
      delete set[key];
      unset.add(key);
    }
    for (const [key, value] of Object.entries(u.setTraits)) {
      if (u.unsetTraits.includes(key)) continue; // set then unset in one update: unset wins
      setOwn(set, key, value);
      unset.delete(key);
    }
    for (const tag of u.removeTags) {
      add.delete(tag);
      remove.add(tag);
    }
    for (const tag of u.addTags) {
      add.add(tag);
      remove.delete(tag);
    }
  }
  return { setTraits: set, unsetTraits: [...unset], addTags: [...add], removeTags: [...remove] };
}

/** What the visitors UPDATE does to a row's traits and tags (the reference the composition is tested against). */
export function applyStoredUpdate(
  row: { traits: Record<string, TraitValue>; tags: string[] },
  u: VisitorUpdate,
): { traits: Record<string, TraitValue>; tags: string[] } {
  const traits: Record<string, TraitValue> = {};
  for (const [k, v] of Object.entries(row.traits)) setOwn(traits, k, v);
  for (const [k, v] of Object.entries(u.setTraits)) setOwn(traits, k, v);
  for (const k of u.unsetTraits) delete traits[k];
  const tags = [...new Set([...row.tags.filter((t) => !u.removeTags.includes(t)), ...u.addTags])].sort();
  return { traits, tags };
}
