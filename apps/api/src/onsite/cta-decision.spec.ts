import { CtaConfigSchema } from './cta.schemas';
import { CtaEvent, decide, DecideRequest, PublishedCta, summarise, withinCaps } from './cta-decision';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

function cta(id: string, config: Record<string, unknown> = {}): PublishedCta {
  return {
    id,
    version: 1,
    config: CtaConfigSchema.parse({
      kind: 'bar',
      variants: [{ id: 'a', content: { headline: id } }],
      ...config,
    }),
  };
}
const req = (over: Partial<DecideRequest> = {}): DecideRequest => ({
  anonymousId: 'anon-1',
  url: 'https://shop.example.com/',
  referrer: '',
  device: 'desktop',
  ...over,
});
const ids = (ctas: PublishedCta[], over: Partial<Parameters<typeof decide>[0]> = {}) =>
  decide({
    ctas: new Map(ctas.map((c) => [c.id, c])),
    request: req(),
    visitor: null,
    events: [],
    messages: [],
    now: NOW,
    ...over,
  }).map((d) => d.cta.id);
const ev = (name: string, ctaId: string, agoMs: number, variantId = 'a'): CtaEvent => ({
  name,
  ctaId,
  variantId,
  ts: NOW - agoMs,
});

describe('summarise and caps', () => {
  it('counts views today and in the current session (30-minute gaps end a session)', () => {
    const s = summarise(
      [ev('cta_viewed', 'x', 5 * MIN), ev('cta_viewed', 'x', 20 * MIN), ev('cta_viewed', 'x', 80 * MIN)],
      NOW,
    ).get('x')!;
    expect(s.viewsSession).toBe(2);
    expect(s.viewsToday).toBe(3);
    expect(s.lastVariant).toBe('a');
  });

  it('hides after a close for N days, stops after conversion, caps per day', () => {
    const caps = CtaConfigSchema.parse({ kind: 'bar', variants: [{ id: 'a', content: {} }] }).caps;
    const closed = summarise([ev('cta_closed', 'x', 2 * DAY)], NOW).get('x');
    expect(withinCaps(caps, closed, NOW)).toBe(false);
    expect(withinCaps({ ...caps, hideAfterCloseDays: 1 }, closed, NOW)).toBe(true);
    const converted = summarise([ev('form_submitted', 'x', 40 * DAY)], NOW).get('x');
    expect(withinCaps(caps, converted, NOW)).toBe(false);
    expect(withinCaps({ ...caps, stopAfterConversion: false }, converted, NOW)).toBe(true);
    const viewed = summarise([ev('cta_viewed', 'x', MIN), ev('cta_viewed', 'x', 2 * MIN)], NOW).get('x');
    expect(withinCaps({ ...caps, maxPerDay: 2 }, viewed, NOW)).toBe(false);
    expect(withinCaps({ ...caps, maxPerDay: 3 }, viewed, NOW)).toBe(true);
  });
});

describe('decide', () => {
  it('matches URL rules, devices, visitor type, traits, tags and conversions', () => {
    const c = [
      cta('pricing', { targeting: { urlRules: [{ operator: 'starts_with', value: '/pricing' }] } }),
      cta('tablet', { targeting: { devices: ['tablet'] } }),
      cta('new', { targeting: { visitorType: 'new' } }),
      cta('vip', { targeting: { traits: [{ key: 'ltv', operator: 'gt', value: 100 }], tagsAll: ['vip'] } }),
      cta('after-x', { targeting: { conversions: [{ ctaId: 'x', converted: true }] } }),
    ];
    expect(ids(c, { request: req({ url: 'https://s.example.com/pricing?a=1' }) }).sort()).toEqual([
      'new',
      'pricing',
    ]);
    expect(ids(c, { request: req({ device: 'tablet' }) }).sort()).toEqual(['new', 'tablet']);
    const visitor = { id: 'v', traits: { ltv: 250 }, tags: ['vip'], sessionCount: 3, visitCount: 9 };
    expect(ids(c, { visitor })).toEqual(['vip']);
    expect(ids(c, { visitor, events: [ev('cta_converted', 'x', DAY)] }).sort()).toEqual(['after-x', 'vip']);
  });

  it('puts pending messages first at equal priority, drops delivered ones, keeps one modal', () => {
    const c = [
      cta('m1', { kind: 'modal', mode: 'flow' }),
      cta('m2', { kind: 'modal', priority: 80 }),
      cta('bar', { priority: 50 }),
    ];
    const messages = [{ id: '1', ctaId: 'm1', priority: 90, createdAt: NOW - MIN }];
    expect(ids(c, { messages })).toEqual(['m1', 'bar']);
    expect(ids(c, { messages, events: [ev('cta_viewed', 'm1', 0)] })).toEqual(['m2', 'bar']);
    expect(ids(c)).toEqual(['m2', 'bar']);
  });

  it('splits variants by weight and sticks to the one a visitor saw', () => {
    const ab = cta('ab', {
      variants: [
        { id: 'a', weight: 3, content: {} },
        { id: 'b', weight: 1, content: {} },
      ],
    });
    const pick = (anonymousId: string, events: CtaEvent[] = []) =>
      decide({
        ctas: new Map([['ab', ab]]),
        request: req({ anonymousId }),
        visitor: null,
        events,
        messages: [],
        now: NOW,
      })[0].variant.id;
    let a = 0;
    for (let i = 0; i < 4000; i++) if (pick(`visitor-${i}`) === 'a') a++;
    expect(a / 4000).toBeGreaterThan(0.72);
    expect(a / 4000).toBeLessThan(0.78);
    expect(pick('visitor-7')).toBe(pick('visitor-7'));
    expect(pick('visitor-7', [ev('cta_viewed', 'ab', MIN, 'b')])).toBe('b');
  });
});
