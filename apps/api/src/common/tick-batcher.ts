interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

interface KeyState<T, R> {
  /** Batches waiting to flush, oldest first; the last one still takes items while it has room. */
  queue: Pending<T, R>[][];
  scheduled: boolean;
  inFlight: number;
}

/**
 * Coalesces calls that arrive in the same turn of the event loop: items added under one key before the
 * next `setImmediate` go to ONE `flush(key, items)`, which answers one result per item, in order (a
 * rejection rejects them all). At most `maxItems` per flush; more start another batch. Under load one
 * round trip serves many requests, and a lone call waits for nothing but the current turn.
 *
 * With `maxInFlight`, at most that many flushes of one key run at once (group commit): items that
 * arrive meanwhile gather into the next batch, which flushes as soon as a running one ends — so the
 * busier the key, the larger its batches, and a quiet key still flushes on the next turn.
 */
export class TickBatcher<T, R> {
  private readonly keys = new Map<string, KeyState<T, R>>();

  constructor(
    private readonly flush: (key: string, items: T[]) => Promise<R[]>,
    private readonly maxItems = Number.POSITIVE_INFINITY,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
  ) {}

  add(key: string, item: T): Promise<R> {
    let state = this.keys.get(key);
    if (!state) {
      state = { queue: [], scheduled: false, inFlight: 0 };
      this.keys.set(key, state);
    }
    let batch = state.queue.at(-1);
    if (!batch || batch.length >= this.maxItems) {
      batch = [];
      state.queue.push(batch);
    }
    if (!state.scheduled) {
      state.scheduled = true;
      const s = state;
      setImmediate(() => {
        s.scheduled = false;
        this.drain(key, s);
      });
    }
    const pending = batch;
    return new Promise<R>((resolve, reject) => pending.push({ item, resolve, reject }));
  }

  private drain(key: string, state: KeyState<T, R>): void {
    while (state.inFlight < this.maxInFlight && state.queue.length) {
      const batch = state.queue.shift() as Pending<T, R>[];
      state.inFlight++;
      void this.run(key, batch).finally(() => {
        state.inFlight--;
        this.drain(key, state);
      });
    }
    if (!state.inFlight && !state.queue.length && !state.scheduled && this.keys.get(key) === state)
      this.keys.delete(key);
  }

  private async run(key: string, batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(
        key,
        batch.map((p) => p.item),
      );
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
