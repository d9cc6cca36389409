/**
 * Undo/redo as an immutable value. Every edit of the graph goes through `record`; edits that share a
 * coalescing key within a short window (typing in one field, dragging one node) become one step.
 */
export interface History<T> {
  past: readonly T[];
  present: T;
  future: readonly T[];
  /** Key and time of the last recorded edit, for coalescing. */
  lastKey?: string;
  lastAt?: number;
}

export interface RecordOptions {
  /** Edits with the same key within `coalesceMs` replace the previous step instead of adding one. */
  key?: string;
  now?: number;
  coalesceMs?: number;
  limit?: number;
}

export const DEFAULT_HISTORY_LIMIT = 200;
const DEFAULT_COALESCE_MS = 1000;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function record<T>(history: History<T>, next: T, options: RecordOptions = {}): History<T> {
  if (Object.is(next, history.present)) return history;
  const now = options.now ?? Date.now();
  const coalesce =
    options.key !== undefined &&
    options.key === history.lastKey &&
    history.lastAt !== undefined &&
    now - history.lastAt <= (options.coalesceMs ?? DEFAULT_COALESCE_MS) &&
    history.past.length > 0;
  const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
  const past = coalesce ? history.past : [...history.past, history.present].slice(-limit);
  return { past, present: next, future: [], lastKey: options.key, lastAt: now };
}

/** Replaces the present without an undo step (e.g. a server reload); clears redo. */
export function reset<T>(history: History<T>, present: T, keepPast = false): History<T> {
  return { past: keepPast ? history.past : [], present, future: [] };
}

export const canUndo = <T>(history: History<T>): boolean => history.past.length > 0;
export const canRedo = <T>(history: History<T>): boolean => history.future.length > 0;

export function undo<T>(history: History<T>): History<T> {
  if (!canUndo(history)) return history;
  const previous = history.past[history.past.length - 1] as T;
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future] };
}

export function redo<T>(history: History<T>): History<T> {
  if (!canRedo(history)) return history;
  const [next, ...future] = history.future as T[];
  return { past: [...history.past, history.present], present: next as T, future };
}
