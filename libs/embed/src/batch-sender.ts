import type { EventContext } from './context';
import { store } from './util';

export interface NfEvent {
  type: 'track' | 'page' | 'identify';
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  userId?: string;
  userHash?: string;
  anonymousId: string;
  messageId: string;
  timestamp: string;
  context: EventContext;
}

/** A queued event with its delivery bookkeeping; persisted so a reload retries. */
interface Item {
  e: NfEvent;
  /** failed attempts so far */
  a: number;
  /** not before (epoch ms) */
  t: number;
}

const BATCH_SIZE = 20;
const FLUSH_MS = 1000;
const MAX_ATTEMPTS = 5;
const MAX_EVENT_CHARS = 32000;
const MAX_QUEUE = 500;
/** sendBeacon and keepalive fetch share a 64 KiB budget per page. */
const BEACON_CHARS = 60000;

/**
 * Batches events to `POST /v1/batch` as text/plain JSON (a CORS "simple request", so no preflight).
 * Delivery is at-least-once: an event leaves the queue only after a 2xx (or a queued beacon), and
 * the API dedupes on messageId, so a retry after a lost response is harmless.
 */
export class BatchSender {
  private items: Item[];
  private readonly key: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** the batch of the one request in flight */
  private inFlight = new Set<Item>();

  constructor(
    private readonly url: string,
    private readonly writeKey: string,
  ) {
    this.key = 'nf_q:' + writeKey;
    let saved: Item[] = [];
    try {
      saved = JSON.parse(store.get(this.key) || '[]');
    } catch {
      // corrupt queue: start empty
    }
    this.items = Array.isArray(saved) ? saved.filter((i) => i && i.e && i.e.messageId) : [];
    if (this.items.length) this.schedule(0);
  }

  enqueue(e: NfEvent): void {
    if (JSON.stringify(e).length > MAX_EVENT_CHARS) {
      console.warn('nudgeflow: event too large, dropped', e.type, e.event || '');
      return;
    }
    this.items.push({ e, a: 0, t: 0 });
    if (this.items.length > MAX_QUEUE) this.items.splice(0, this.items.length - MAX_QUEUE);
    this.save();
    this.schedule(this.items.length >= BATCH_SIZE ? 0 : FLUSH_MS);
  }

  /** Sends the next due batch now (one request in flight at a time). */
  flush(): void {
    this.clear();
    if (this.inFlight.size) return;
    const now = Date.now();
    const due = this.items.filter((i) => i.t <= now).slice(0, BATCH_SIZE);
    if (!due.length) return this.scheduleNext();
    this.inFlight = new Set(due);
    fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: this.body(due),
      credentials: 'omit',
      keepalive: true,
    }).then(
      (res) =>
        this.settle(due, res.ok ? 'ok' : res.status >= 500 || res.status === 429 || res.status === 408),
      () => this.settle(due, true),
    );
  }

  /** The page is being hidden or unloaded: hand fresh events to sendBeacon. */
  beacon(): void {
    this.clear();
    if (!navigator.sendBeacon) return this.flush();
    const sent = new Set<Item>();
    let chunk: Item[] = [];
    const send = (): void => {
      if (chunk.length && navigator.sendBeacon(this.url, this.body(chunk))) chunk.forEach((i) => sent.add(i));
      chunk = [];
    };
    for (const item of this.items) {
      // Events in backoff (the API was failing) wait for the next page load's fetch, whose
      // response is seen; a beacon's never is.
      if (this.inFlight.has(item) || item.a) continue;
      chunk.push(item);
      if (chunk.length > 1 && this.body(chunk).length > BEACON_CHARS) {
        chunk.pop();
        send();
        chunk.push(item);
      }
      if (chunk.length >= BATCH_SIZE) send();
    }
    send();
    // Neither a beacon's response nor (after unload) a keepalive fetch's is ever seen. Fresh events
    // handed to either count as delivered, so the next page load does not send them again.
    this.items = this.items.filter((i) => !sent.has(i));
    this.save([...this.inFlight].filter((i) => !i.a));
  }

  private body(batch: Item[]): string {
    return JSON.stringify({
      writeKey: this.writeKey,
      batch: batch.map((i) => i.e),
      sentAt: new Date().toISOString(),
    });
  }

  /** `retry` false means the API rejected the batch for good (4xx): drop it. */
  private settle(batch: Item[], result: 'ok' | boolean): void {
    this.inFlight.clear();
    const done = new Set<Item>();
    for (const item of batch) {
      if (result === true && ++item.a < MAX_ATTEMPTS) {
        // exponential backoff with full jitter on the upper half: 1-2 s, 2-4 s, 4-8 s, 8-16 s
        const base = 1000 * 2 ** (item.a - 1);
        item.t = Date.now() + base + Math.random() * base;
      } else done.add(item);
    }
    if (result === false) console.warn('nudgeflow: batch rejected by the API');
    this.items = this.items.filter((i) => !done.has(i));
    this.save();
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (!this.items.length) return;
    const now = Date.now();
    const due = this.items.filter((i) => i.t <= now).length;
    const next = Math.min(...this.items.map((i) => i.t));
    this.schedule(due >= BATCH_SIZE ? 0 : Math.max(next - now, due ? FLUSH_MS : 0));
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined && ms > 0) return;
    this.clear();
    this.timer = setTimeout(() => this.flush(), ms);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private save(skip: Item[] = []): void {
    const items = this.items.filter((i) => skip.indexOf(i) < 0);
    store.set(this.key, items.length ? JSON.stringify(items) : null);
  }
}
