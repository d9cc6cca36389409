import fc from 'fast-check';
import {
  retryDelayMs,
  runJobId,
  toEngineEvent,
  toVisitorSnapshot,
  StoredEvent,
  visitorRounds,
} from './engine-event';

const row = (over: Partial<StoredEvent>): StoredEvent => ({
  id: '1',
  visitor_id: 'v',
  message_id: 'm-1',
  type: 'track',
  name: 'signup',
  ts: new Date('2026-01-02T03:04:05.000Z'),
  properties: {},
  context: {},
  is_bot: false,
  ...over,
});

describe('toEngineEvent', () => {
  it('maps the embed CTA tracks to $cta_* with ctaId and variantId', () => {
    expect(
      toEngineEvent(row({ name: 'cta_clicked', properties: { cta_id: 'c1', variant_id: 'b' } })),
    ).toEqual({
      id: 'm-1',
      name: '$cta_clicked',
      properties: { cta_id: 'c1', variant_id: 'b', ctaId: 'c1', variantId: 'b' },
      timestamp: '2026-01-02T03:04:05.000Z',
    });
  });

  it('gives page views a url from the page context when the properties lack one', () => {
    const e = toEngineEvent(
      row({ type: 'page', name: '$page', context: { page: { url: 'https://x.test/a?b=1' } } }),
    );
    expect(e.name).toBe('$page');
    expect(e.properties).toEqual({ url: 'https://x.test/a?b=1' });
  });

  it('keeps track names and system names as they are', () => {
    expect(toEngineEvent(row({ name: 'order_completed' })).name).toBe('order_completed');
    expect(toEngineEvent(row({ name: '$trait_changed', properties: { key: 'plan' } })).properties).toEqual({
      key: 'plan',
    });
    expect(toEngineEvent(row({ type: 'identify', name: '$identify' })).name).toBe('$identify');
  });
});

describe('toVisitorSnapshot', () => {
  it('reads device type, utm and the last page', () => {
    expect(
      toVisitorSnapshot(
        {
          id: 'v',
          traits: { a: 1 },
          tags: ['x'],
          visit_count: 3,
          first_seen_at: new Date('2026-01-01T00:00:00.000Z'),
          device: { type: 'mobile' },
          utm: { source: 'ads' },
          last_page_url: 'https://x.test/',
        },
        'v',
      ),
    ).toEqual({
      id: 'v',
      traits: { a: 1 },
      tags: ['x'],
      visitCount: 3,
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      device: 'mobile',
      utm: { source: 'ads' },
      pageUrl: 'https://x.test/',
    });
  });

  it('gives an empty visitor when the row is missing', () => {
    expect(toVisitorSnapshot(undefined, 'v')).toEqual({ id: 'v', traits: {}, tags: [] });
  });
});

describe('retryDelayMs', () => {
  it('doubles per attempt with jitter in the upper half, capped', () => {
    expect(retryDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelayMs(4, 100, 10_000, () => 1)).toBe(800);
    expect(retryDelayMs(20, 100, 10_000, () => 1)).toBe(10_000);
  });
});

describe('runJobId', () => {
  it('is deterministic per run transition, event and rescue bucket', () => {
    expect(runJobId.due('r', 3)).toBe('run_r_3');
    expect(runJobId.event('r', '42')).toBe('run_r_e42');
    expect(runJobId.rescue('r', 3, 7)).toBe('run_r_3_r7');
    expect(runJobId.deferred('run_r_3', 9)).toBe('run_r_3_b9');
    expect(runJobId.handoff('s', '5', 0)).toBe('handoff_s_5');
    expect(runJobId.handoff('s', '5', 'b1')).toBe('handoff_s_5_rb1');
    for (const id of [runJobId.due('r', 1), runJobId.rescue('r', 1, 1), runJobId.handoff('s', '1', 2)])
      expect(id).not.toContain(':');
  });
});

describe('visitorRounds', () => {
  it('keeps every item once, a visitor at most once per round, and each visitor in order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 }), (visitors) => {
        const items = visitors.map((visitorId, i) => ({ visitorId, i }));
        const rounds = visitorRounds(items);
        expect(
          rounds
            .flat()
            .map((x) => x.i)
            .sort((x, y) => x - y),
        ).toEqual(items.map((x) => x.i));
        for (const round of rounds) expect(new Set(round.map((x) => x.visitorId)).size).toBe(round.length);
        for (const v of new Set(visitors)) {
          const order = rounds.flatMap((r) => r.filter((x) => x.visitorId === v).map((x) => x.i));
          expect(order).toEqual(items.filter((x) => x.visitorId === v).map((x) => x.i));
        }
        expect(rounds.length).toBe(
          Math.max(0, ...[...new Set(visitors)].map((v) => visitors.filter((x) => x === v).length)),
        );
      }),
    );
  });
});
