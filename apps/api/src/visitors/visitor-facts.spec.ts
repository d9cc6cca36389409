import { isbot } from 'isbot';
import type { ProfileEvent } from './profile-event';
import { browserUserAgent, eventFacts } from './visitor-facts';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const SERVER_LIBRARIES = [
  'analytics-node-next/latest',
  'curl/8.5.0',
  'python-requests/2.32',
  'Go-http-client/1.1',
];

const track = (context: Record<string, unknown> = {}): ProfileEvent => ({
  type: 'track',
  name: 'Purchased',
  messageId: 'm1',
  anonymousId: 'a1',
  userId: null,
  previousId: null,
  properties: {},
  traits: {},
  context,
  ts: new Date('2026-06-01T00:00:00Z'),
});

describe('browserUserAgent: the request header counts only when a browser sent the request', () => {
  it('is null for server libraries, whose own User-Agent isbot would flag', () => {
    for (const ua of SERVER_LIBRARIES) {
      expect(isbot(ua)).toBe(true);
      expect(browserUserAgent({ 'user-agent': ua, 'content-type': 'application/json' })).toBeNull();
    }
    // Node's fetch (undici) adds Sec-Fetch-Mode to every request: not a browser's mark.
    expect(browserUserAgent({ 'user-agent': 'node', 'sec-fetch-mode': 'cors' })).toBeNull();
    // A backend forwarding its visitor's browser string without the browser's own headers: still a server.
    expect(browserUserAgent({ 'user-agent': CHROME })).toBeNull();
  });

  it("is the header when the browser's own headers are there (fetch, sendBeacon)", () => {
    expect(browserUserAgent({ 'user-agent': CHROME, origin: 'https://shop.test' })).toBe(CHROME);
    expect(browserUserAgent({ 'user-agent': HEADLESS, 'sec-fetch-dest': 'empty' })).toBe(HEADLESS);
    expect(browserUserAgent({ 'user-agent': CHROME, 'sec-fetch-site': 'cross-site' })).toBe(CHROME);
    expect(browserUserAgent({ origin: 'https://shop.test' })).toBeNull();
  });
});

describe('eventFacts bot verdict', () => {
  it("a server-side event is no bot and has no device; the browser's context.userAgent decides", () => {
    expect(eventFacts(track(), { userAgent: null, country: null })).toMatchObject({
      isBot: false,
      device: null,
    });
    expect(eventFacts(track({ userAgent: GOOGLEBOT }), { userAgent: null, country: null }).isBot).toBe(true);
    expect(eventFacts(track({ userAgent: CHROME }), { userAgent: HEADLESS, country: null }).isBot).toBe(
      false,
    );
  });

  it('a browser request whose User-Agent isbot flags is still a bot', () => {
    const meta = {
      userAgent: browserUserAgent({ 'user-agent': HEADLESS, origin: 'https://x.test' }),
      country: null,
    };
    expect(eventFacts(track(), meta).isBot).toBe(true);
  });
});
