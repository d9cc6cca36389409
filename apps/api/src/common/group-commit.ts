/**
 * Group commit: concurrent submissions share one flush. A submission resolves only when the flush
 * that carried it resolved (after COMMIT), so nothing acknowledged lives only in memory.
 *
 * Lanes are picked by a key (the site). Each lane runs up to `inFlight` flushes at once: the first
 * starts as soon as anything is queued; while one runs, the next gathers submissions for at most
 * `lingerMs` (or until `minItems` are queued) and then starts too, so it is already waiting at the
 * database (on the per-site lock) when the running one commits, instead of starting a round trip
 * later. Whatever arrives while every slot is busy goes into the next flush together.
 */
interface Pending<T, R> {
  items: T[];
  resolve: (r: R[]) => void;
  reject: (e: unknown) => void;
}

interface Lane<T, R> {
  queue: Pending<T, R>[];
  queued: number;
  running: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export interface GroupCommitOptions {
  /** Flushes of one lane in flight at once (default 1: strictly one after another). */
  inFlight?: number;
  /** How long an extra flush waits for company when another one of its lane is already running. */
  lingerMs?: number;
  /** An extra flush starts without waiting once this many items are queued. */
  minItems?: number;
  /**
   * Whether a failed flush's error may come from one submission's own data: each submission of that
   * group is then flushed again on its own, so only the one at fault fails, never its neighbours.
   */
  isolate?: (err: unknown) => boolean;
}

export class GroupCommit<T, R> {
  private readonly lanes: Lane<T, R>[];
  private readonly inFlight: number;
  private readonly lingerMs: number;
  private readonly minItems: number;
  private readonly isolate: (err: unknown) => boolean;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    laneCount = 4,
    /** Most items in one flush (a submission is never split). */
    private readonly maxItems = 5000,
    opts: GroupCommitOptions = {},
  ) {
    this.lanes = Array.from({ length: laneCount }, () => ({
      queue: [],
      queued: 0,
      running: 0,
      timer: null,
    }));
    this.inFlight = Math.max(1, opts.inFlight ?? 1);
    this.lingerMs = opts.lingerMs ?? 2;
    this.minItems = opts.minItems ?? 200;
    this.isolate = opts.isolate ?? (() => false);
  }

  submit(key: string, items: T[]): Promise<R[]> {
    return this.submitTo(this.lanes[laneOf(key, this.lanes.length)], items);
  }

  private submitTo(lane: Lane<T, R>, items: T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      lane.queue.push({ items, resolve, reject });
      lane.queued += items.length;
      this.schedule(lane);
    });
  }

  /**
   * One submission split by key: the items of each lane go as one submission of that lane (in their
   * order), the lanes flush independently, and the answer holds every item's result in input order.
   * Rejects if any part failed (the other parts may have committed).
   */
  async submitSplit(items: T[], keys: readonly string[]): Promise<R[]> {
    const parts = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const lane = laneOf(key, this.lanes.length);
      const part = parts.get(lane);
      if (part) part.push(i);
      else parts.set(lane, [i]);
    });
    const results = new Array<R>(items.length);
    await Promise.all(
      [...parts].map(async ([lane, idx]) => {
        const out = await this.submitTo(
          this.lanes[lane],
          idx.map((i) => items[i]),
        );
        idx.forEach((i, n) => (results[i] = out[n]));
      }),
    );
    return results;
  }

  /** Submissions waiting or in flight (for shutdown and tests). */
  get idle(): boolean {
    return this.lanes.every((l) => l.running === 0 && l.queue.length === 0);
  }

  private schedule(lane: Lane<T, R>): void {
    if (lane.queue.length === 0 || lane.running >= this.inFlight) return;
    if (lane.running === 0 || lane.queued >= this.minItems) {
      this.start(lane);
      return;
    }
    lane.timer ??= setTimeout(() => {
      lane.timer = null;
      if (lane.queue.length > 0 && lane.running < this.inFlight) this.start(lane);
    }, this.lingerMs);
  }

  private start(lane: Lane<T, R>): void {
    if (lane.timer) {
      clearTimeout(lane.timer);
      lane.timer = null;
    }
    const group: Pending<T, R>[] = [];
    let count = 0;
    while (
      lane.queue.length > 0 &&
      (group.length === 0 || count + lane.queue[0].items.length <= this.maxItems)
    ) {
      const p = lane.queue.shift() as Pending<T, R>;
      group.push(p);
      count += p.items.length;
    }
    lane.queued -= count;
    lane.running += 1;
    void this.run(lane, group);
  }

  private async run(lane: Lane<T, R>, group: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(group.flatMap((p) => p.items));
      let at = 0;
      for (const p of group) {
        p.resolve(results.slice(at, at + p.items.length));
        at += p.items.length;
      }
    } catch (err) {
      if (group.length > 1 && this.isolate(err)) {
        // The group rolled back as a whole: one after another, each submission in its own flush.
        for (const p of group) await this.flush(p.items).then(p.resolve, p.reject);
      } else {
        for (const p of group) p.reject(err);
      }
    } finally {
      lane.running -= 1;
      // Whatever queued meanwhile goes next, at once (it has waited for a whole flush already).
      if (lane.queue.length > 0 && lane.running < this.inFlight) this.start(lane);
    }
  }
}

export function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}
