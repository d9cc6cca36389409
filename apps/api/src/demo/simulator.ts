import { randomUUID } from 'node:crypto';
import { DEMO_PRODUCTS, DEMO_SHOP_PATH } from './demo-shop-pages';

/**
 * The demo's traffic simulator: visitors browse the demo shop, add to cart, abandon or buy, meet CTAs
 * (view, close, click, convert) and sign up, through the public `/v1` API exactly as the embed script
 * would (`/v1/batch` and `/v1/decide`, `text/plain` bodies, browser user agents). Bounded by a duration
 * and by its pool of visitors; deterministic for a given seed (which visitor does what, in which order).
 */
export interface SimulatorOptions {
  /** The API (ingestion and decide), e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  writeKey: string;
  /** Origin of the simulated pages (`page.url`); the API's own when the demo shop serves them. */
  pageOrigin?: string;
  /** Distinct visitors; visits beyond the pool come back as returning visitors. */
  visitors: number;
  /** New visits per minute. */
  ratePerMinute: number;
  /** Stop starting visits after this long; 0 = until stop() is called. */
  durationSeconds: number;
  /** Pause between a visitor's steps, in ms (scaled by a random 0.5–1.5). */
  stepMs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface SimulatorStats {
  visits: number;
  events: number;
  decides: number;
  ctasSeen: number;
  errors: number;
  lastError?: string;
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
];
const FIRST_NAMES = [
  'ada',
  'grace',
  'alan',
  'katherine',
  'linus',
  'margaret',
  'tim',
  'barbara',
  'dennis',
  'frances',
];
const UTM = [
  undefined,
  undefined,
  { source: 'newsletter', medium: 'email', name: 'spring' },
  { source: 'google', medium: 'cpc', name: 'trail-shoes' },
];

/**
 * What one visit does. Visits cycle through these in order (with random details), so every demo flow
 * sees entries within the first minute however the dice fall.
 */
export const PERSONAS = ['abandoner', 'buyer', 'exit_leaver', 'subscriber', 'browser', 'abandoner'] as const;
export type Persona = (typeof PERSONAS)[number];

/** mulberry32: a small seeded PRNG, so a run is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Visitor {
  anonymousId: string;
  userAgent: string;
  firstName: string;
  userId?: string;
  visits: number;
  /** A cart left behind: the return visit comes back to it (and meets the reminder). */
  abandonedCart?: string;
  /** The page the visitor is on (the context of its track events). */
  page?: PageContext;
}

interface PageContext {
  path: string;
  url: string;
  title: string;
  search: string;
}

interface WireCta {
  id: string;
  variantId: string;
  content?: { form?: unknown; buttons?: { action: string; label: string }[] };
}

export class TrafficSimulator {
  readonly stats: SimulatorStats = { visits: 0, events: 0, decides: 0, ctasSeen: 0, errors: 0 };
  private readonly random: () => number;
  private readonly pool: Visitor[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly origin: string;
  private readonly stepMs: number;

  constructor(private readonly opts: SimulatorOptions) {
    this.random = seededRandom(opts.seed ?? 22);
    this.origin = (opts.pageOrigin ?? opts.apiUrl).replace(/\/$/, '');
    this.stepMs = opts.stepMs ?? 1500;
  }

  /** Runs until the duration is over (or stop()), then lets the visits in flight finish. */
  async run(): Promise<SimulatorStats> {
    const started = Date.now();
    const gapMs = 60_000 / Math.max(0.1, this.opts.ratePerMinute);
    const end = this.opts.durationSeconds > 0 ? started + this.opts.durationSeconds * 1000 : Infinity;
    let n = 0;
    let next = 0;
    while (!this.stopped && Date.now() < end) {
      const visitor = this.pickVisitor(n);
      // A visitor back for a cart makes a return visit: it does not use up the next persona, so every
      // persona comes round in order whatever the timing of the visits before it.
      const persona = PERSONAS[next % PERSONAS.length];
      if (!visitor.abandonedCart) next++;
      const visit = this.visit(visitor, persona).finally(() => this.inFlight.delete(visit));
      this.inFlight.add(visit);
      n++;
      await this.sleep(Math.min(gapMs, Math.max(0, end - Date.now())), true);
    }
    this.stopped = true;
    await Promise.race([Promise.all(this.inFlight), new Promise((r) => setTimeout(r, 15_000).unref())]);
    return this.stats;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private pickVisitor(n: number): Visitor {
    // A visitor with a cart left behind comes back first; otherwise a new one while the pool has room.
    const returning = this.pool.find((v) => v.abandonedCart && v.visits === 1);
    if (returning && this.random() < 0.7) return returning;
    if (this.pool.length < this.opts.visitors) {
      const visitor: Visitor = {
        anonymousId: randomUUID(),
        userAgent: USER_AGENTS[n % USER_AGENTS.length],
        firstName: FIRST_NAMES[n % FIRST_NAMES.length],
        visits: 0,
      };
      this.pool.push(visitor);
      return visitor;
    }
    return this.pool[Math.floor(this.random() * this.pool.length)];
  }

  private async visit(v: Visitor, persona: Persona): Promise<void> {
    v.visits++;
    this.stats.visits++;
    const utm = v.visits === 1 ? UTM[Math.floor(this.random() * UTM.length)] : undefined;
    try {
      if (v.abandonedCart) {
        // Back for the cart: the flow's reminder is waiting for this visitor's next page view.
        const cart = v.abandonedCart;
        v.abandonedCart = undefined;
        await this.page(v, `${DEMO_SHOP_PATH}/`, 'Shop');
        await this.page(v, `${DEMO_SHOP_PATH}/cart`, 'Cart');
        if (this.random() < 0.5) await this.checkout(v, cart);
        return;
      }
      await this.page(v, `${DEMO_SHOP_PATH}/`, 'Shop', utm);
      const products = 1 + Math.floor(this.random() * 3);
      let product = DEMO_PRODUCTS[0];
      for (let i = 0; i < products && !this.stopped; i++) {
        product = DEMO_PRODUCTS[Math.floor(this.random() * DEMO_PRODUCTS.length)];
        await this.page(v, `${DEMO_SHOP_PATH}/products/${product.slug}`, product.name);
      }
      switch (persona) {
        case 'abandoner':
        case 'buyer': {
          const cart = `cart_${randomUUID().slice(0, 8)}`;
          await this.track(v, 'add_to_cart', { cart_id: cart, product: product.slug, price: product.price });
          await this.page(v, `${DEMO_SHOP_PATH}/cart`, 'Cart');
          if (persona === 'buyer') await this.checkout(v, cart);
          else v.abandonedCart = cart;
          break;
        }
        case 'exit_leaver':
          await this.track(v, 'exit_intent', { path: `${DEMO_SHOP_PATH}/products/${product.slug}` });
          // The exit-intent flow shows its popup through decide on the visitor's next look.
          await this.sleep(this.stepMs * 2);
          await this.decideAndReact(v, `${DEMO_SHOP_PATH}/products/${product.slug}`, 0.35);
          break;
        case 'subscriber':
          await this.identify(v);
          break;
        case 'browser':
          break;
        default: {
          const _never: never = persona;
          return _never;
        }
      }
    } catch (error) {
      this.stats.errors++;
      this.stats.lastError = (error as Error).message;
    }
  }

  private async checkout(v: Visitor, cart: string): Promise<void> {
    await this.page(v, `${DEMO_SHOP_PATH}/checkout`, 'Checkout');
    const revenue = 30 + Math.round(this.random() * 150);
    if (!v.userId) await this.identify(v);
    // The purchase first: the abandoned-cart flow counts it as its goal while it still waits for the checkout.
    await this.track(v, 'purchase', { cart_id: cart, revenue, currency: 'USD' });
    await this.track(v, 'checkout_completed', { cart_id: cart, revenue });
    await this.page(v, `${DEMO_SHOP_PATH}/thanks`, 'Thank you');
  }

  private async identify(v: Visitor): Promise<void> {
    v.userId ??= `${v.firstName}.${v.anonymousId.slice(0, 6)}@example.com`;
    await this.send(v, [
      { type: 'identify', userId: v.userId, traits: { email: v.userId, first_name: cap(v.firstName) } },
    ]);
  }

  private async page(v: Visitor, path: string, title: string, utm?: (typeof UTM)[number]): Promise<void> {
    await this.sleep(this.stepMs * (0.5 + this.random()));
    const search = utm ? `?utm_source=${utm.source}&utm_medium=${utm.medium}&utm_campaign=${utm.name}` : '';
    const url = `${this.origin}${path}${search}`;
    v.page = { path, url, title, search };
    await this.send(
      v,
      [{ type: 'page', name: title, properties: { url, path, title, search, referrer: '' } }],
      utm,
    );
    await this.decideAndReact(v, path, 0.15);
  }

  private async track(v: Visitor, event: string, properties: Record<string, unknown>): Promise<void> {
    await this.sleep(this.stepMs * (0.3 + this.random() * 0.5));
    await this.send(v, [{ type: 'track', event, properties }]);
  }

  /** Asks decide what this page shows, and meets each CTA: always seen, then closed, clicked or converted. */
  private async decideAndReact(v: Visitor, path: string, convertChance: number): Promise<void> {
    const url = `${this.origin}${path}`;
    const res = await this.post('/v1/decide', v, {
      writeKey: this.opts.writeKey,
      anonymousId: v.anonymousId,
      ...(v.userId ? { userId: v.userId } : {}),
      url,
      referrer: '',
      context: this.context(v, { path, url, title: '', search: '' }),
    });
    this.stats.decides++;
    const { ctas = [] } = (await res.json()) as { ctas?: WireCta[] };
    for (const cta of ctas) {
      this.stats.ctasSeen++;
      const ids = { cta_id: cta.id, variant_id: cta.variantId };
      await this.track(v, 'cta_viewed', ids);
      const roll = this.random();
      if (cta.content?.form && roll < convertChance) {
        await this.track(v, 'form_submitted', { ...ids, fields: ['email'] });
        await this.identify(v);
        await this.track(v, 'cta_converted', ids);
      } else if (roll < convertChance + 0.2 && cta.content?.buttons?.some((b) => b.action === 'url')) {
        await this.track(v, 'cta_clicked', { ...ids, action: 'url' });
      } else if (roll < 0.8) {
        await this.track(v, 'cta_closed', ids);
      }
    }
  }

  private context(v: Visitor, page: PageContext, utm?: (typeof UTM)[number]) {
    const mobile = /iPhone|Android/.test(v.userAgent);
    return {
      page: { ...page, referrer: '' },
      userAgent: v.userAgent,
      locale: 'en-US',
      screen: mobile ? { width: 390, height: 844 } : { width: 1440, height: 900 },
      library: { name: 'nudgeflow-simulator', version: '1' },
      ...(utm ? { campaign: utm } : {}),
    };
  }

  private async send(
    v: Visitor,
    events: Record<string, unknown>[],
    utm?: (typeof UTM)[number],
  ): Promise<void> {
    const page = v.page ?? {
      path: `${DEMO_SHOP_PATH}/`,
      url: `${this.origin}${DEMO_SHOP_PATH}/`,
      title: '',
      search: '',
    };
    const now = new Date().toISOString();
    await this.post('/v1/batch', v, {
      writeKey: this.opts.writeKey,
      sentAt: now,
      batch: events.map((e) => ({
        ...e,
        anonymousId: v.anonymousId,
        ...(v.userId ? { userId: v.userId } : {}),
        messageId: randomUUID(),
        timestamp: now,
        context: this.context(v, page, utm),
      })),
    });
    this.stats.events += events.length;
  }

  private async post(path: string, v: Visitor, body: unknown): Promise<Response> {
    const res = await fetch(`${this.opts.apiUrl.replace(/\/$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': v.userAgent, origin: this.origin },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res;
  }

  /** Sleeps; a wakeable sleep (the arrival gap) ends early on stop(). */
  private sleep(ms: number, wakeable = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (wakeable) {
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }
    });
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
