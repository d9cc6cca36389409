/**
 * The traffic simulator against a recording server on loopback: what it sends is what the embed script
 * sends (`/v1/batch` and `/v1/decide`, `text/plain` JSON with the write key, browser user agents), it
 * meets the CTAs decide answers, and it stops within its duration. No API needed: the server plays one.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { PERSONAS, seededRandom, TrafficSimulator } from '../../apps/api/src/demo/simulator';

interface Recorded {
  path: string;
  contentType: string;
  userAgent: string;
  body: {
    writeKey?: string;
    batch?: {
      type: string;
      event?: string;
      anonymousId: string;
      messageId: string;
      properties?: Record<string, unknown>;
    }[];
  };
}

const WRITE_KEY = `nf_wk_${'0'.repeat(32)}${'a'.repeat(32)}`;
let server: Server;
let url = '';
const recorded: Recorded[] = [];

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((raw) => {
      recorded.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        userAgent: req.headers['user-agent'] ?? '',
        body: JSON.parse(raw) as Recorded['body'],
      });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/decide') {
        res.end(
          JSON.stringify({ ctas: [{ id: 'offer', variantId: 'b', content: { form: {}, buttons: [] } }] }),
        );
      } else {
        res.statusCode = 202;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('TrafficSimulator', () => {
  it('sends what the embed sends, through /v1 with browser user agents, and stops in time', async () => {
    const sim = new TrafficSimulator({
      apiUrl: url,
      writeKey: WRITE_KEY,
      visitors: 10,
      ratePerMinute: 600,
      durationSeconds: 1,
      stepMs: 5,
    });
    const started = Date.now();
    const stats = await sim.run();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stats.errors).toBe(0);
    expect(stats.visits).toBeGreaterThanOrEqual(PERSONAS.length);

    expect(new Set(recorded.map((r) => r.path))).toEqual(new Set(['/v1/batch', '/v1/decide']));
    for (const r of recorded) {
      expect(r.contentType).toBe('text/plain');
      expect(r.userAgent).toMatch(/^Mozilla\/5\.0 /);
      expect(r.body.writeKey).toBe(WRITE_KEY);
    }
    const events = recorded.flatMap((r) => r.body.batch ?? []);
    const names = new Set(events.map((e) => (e.type === 'track' ? e.event : e.type)));
    for (const name of [
      'page',
      'identify',
      'add_to_cart',
      'checkout_completed',
      'purchase',
      'exit_intent',
      'cta_viewed',
    ]) {
      expect([name, names.has(name)]).toEqual([name, true]);
    }
    // Every CTA decide answered was seen with its variant; message ids are unique.
    expect(events.find((e) => e.event === 'cta_viewed')?.properties).toEqual({
      cta_id: 'offer',
      variant_id: 'b',
    });
    expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
    // Carts are abandoned or bought, and each checkout names the cart it completes.
    const carts = new Set(events.filter((e) => e.event === 'add_to_cart').map((e) => e.properties?.cart_id));
    for (const done of events.filter((e) => e.event === 'checkout_completed')) {
      expect(carts.has(done.properties?.cart_id)).toBe(true);
    }
    expect(stats.visits).toBeLessThanOrEqual(11);
  });

  it('draws the same numbers for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
