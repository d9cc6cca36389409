import { mergeTraits, newVisitor, sameJson, type Json } from '../visitors/visitor-profile';

/** A `$trait_changed` event the fold wrote (its `properties`), at its source event's (ts, id). */
export interface TraitChangeRow {
  ts: number;
  id: bigint;
  key: string;
  previous: unknown;
}

/** A visitor merged into this one: its traits, and the event of this visitor that merged it (null: before the window). */
export interface MergeRow {
  traits: Json;
  at: { ts: number; id: bigint } | null;
}

type Key = { ts: number; rank: number; id: bigint };
// A merge and the trait changes of the identify that caused it share a timestamp: the merge came
// first. Ids do not order them (on Citus the fold's `$trait_changed` ids come from another sequence).
const before = (a: Key, b: Key) => a.ts - b.ts || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A visitor's traits as they were when the window opened: today's traits with every identify change
 * and merge since then undone, newest first. Changes come from the fold's `$trait_changed` events
 * (`previous: null` was an absent key); a merge gave the profile the merged visitor's traits it
 * lacked (`{...from, ...into}`), so undoing it drops those keys still holding the merged value.
 */
export function traitsAtWindowStart(today: Json, changes: TraitChangeRow[], merges: MergeRow[]): Json {
  type Item = Key & { undo: (t: Json) => void };
  const items: Item[] = [
    ...changes.map((c) => ({
      ts: c.ts,
      rank: 1,
      id: c.id,
      undo: (t: Json) => {
        if (c.previous === null || c.previous === undefined) delete t[c.key];
        else t[c.key] = c.previous;
      },
    })),
    ...merges.flatMap((m) =>
      m.at
        ? [
            {
              ...m.at,
              rank: 0,
              undo: (t: Json) => {
                for (const [k, v] of Object.entries(m.traits))
                  if (Object.hasOwn(t, k) && sameJson(t[k], v)) delete t[k];
              },
            },
          ]
        : [],
    ),
  ];
  items.sort((a, b) => before(b, a));
  const traits: Json = { ...today };
  for (const item of items) item.undo(traits);
  return traits;
}

/**
 * What the fold does to a profile's traits at one event, in its order: a merge first (the merged
 * profile's traits fill the keys this one lacks), then an identify's traits (new values win).
 */
export function foldTraits(traits: Json, merged: Json[], identify: Json | null): Json {
  let next = traits;
  for (const from of merged) next = { ...from, ...next };
  if (identify) {
    const v = newVisitor('', '', new Date(0));
    v.traits = next;
    mergeTraits(v, identify);
    next = v.traits;
  }
  return next;
}
