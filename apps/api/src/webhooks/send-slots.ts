/**
 * Bounds the webhook requests in flight in one process, first come first served. Delivery jobs send
 * batches, so the queue's job concurrency no longer bounds requests by itself; the slots keep the
 * bound it gave (one request per job slot) and serve jobs of different sites in arrival order.
 */
export class SendSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = Math.max(1, size);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
