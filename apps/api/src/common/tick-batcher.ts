interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces calls that arrive in the same turn of the event loop: items added under one key before the
 * next `setImmediate` go to ONE `flush(key, items)`, which answers one result per item, in order (a
 * rejection rejects them all). At most `maxItems` per flush; more start another batch. Under load one
 * round trip serves many requests, and a lone call waits for nothing but the current turn.
 */
export class TickBatcher<T, R> {
  private readonly batches = new Map<string, Pending<T, R>[]>();

  constructor(
    private readonly flush: (key: string, items: T[]) => Promise<R[]>,
    private readonly maxItems = Number.POSITIVE_INFINITY,
  ) {}

  add(key: string, item: T): Promise<R> {
    let batch = this.batches.get(key);
    if (!batch || batch.length >= this.maxItems) {
      const created: Pending<T, R>[] = [];
      this.batches.set(key, created);
      setImmediate(() => void this.run(key, created));
      batch = created;
    }
    const pending = batch;
    return new Promise<R>((resolve, reject) => pending.push({ item, resolve, reject }));
  }

  private async run(key: string, batch: Pending<T, R>[]): Promise<void> {
    if (this.batches.get(key) === batch) this.batches.delete(key);
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
