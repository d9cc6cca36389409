/**
 * Group commit: concurrent submissions share one flush. Each lane runs one flush at a time; whatever
 * arrives meanwhile waits and goes into the next flush together. A submission resolves only when
 * the flush that carried it resolved (after COMMIT), so nothing acknowledged lives only in memory.
 * Lanes are picked by a key (the site), so one site's writes are serial within a process.
 */
interface Pending<T, R> {
  items: T[];
  resolve: (r: R[]) => void;
  reject: (e: unknown) => void;
}

interface Lane<T, R> {
  queue: Pending<T, R>[];
  queued: number;
  running: boolean;
}

export class GroupCommit<T, R> {
  private readonly lanes: Lane<T, R>[];

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    laneCount = 4,
    private readonly maxItems = 5000,
  ) {
    this.lanes = Array.from({ length: laneCount }, () => ({ queue: [], queued: 0, running: false }));
  }

  submit(key: string, items: T[]): Promise<R[]> {
    const lane = this.lanes[laneOf(key, this.lanes.length)];
    return new Promise<R[]>((resolve, reject) => {
      lane.queue.push({ items, resolve, reject });
      lane.queued += items.length;
      if (!lane.running) void this.drain(lane);
    });
  }

  /** Submissions waiting or in flight (for shutdown and tests). */
  get idle(): boolean {
    return this.lanes.every((l) => !l.running && l.queue.length === 0);
  }

  private async drain(lane: Lane<T, R>): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
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
        const all = group.flatMap((p) => p.items);
        try {
          const results = await this.flush(all);
          let at = 0;
          for (const p of group) {
            p.resolve(results.slice(at, at + p.items.length));
            at += p.items.length;
          }
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      lane.running = false;
    }
  }
}

export function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}
