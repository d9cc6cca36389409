import fc from 'fast-check';
import { findFlowTemplate, type FlowGraph } from '@nudgeflow/flow-schema';
import { describeEffect, recordedReplay, simulate, suggestTimeline } from './simulation';

const cart = findFlowTemplate('abandoned-cart')!;
const visitor = { id: 'v1', traits: { email: 'ada@example.com', first_name: 'Ada' }, visitCount: 2 };

describe('simulator', () => {
  it('suggests a first event from the trigger', () => {
    expect(suggestTimeline(cart.graph)).toEqual([
      { atMinutes: 0, name: 'add_to_cart', properties: { cart_id: 'cart-1' } },
    ]);
  });

  it('takes the timeout branch of the abandoned cart and shows its effects', () => {
    const result = simulate(cart.graph, cart.settings, visitor, suggestTimeline(cart.graph));
    const path = result.steps.map((step) => step.nodeId);
    expect(path[0]).toBe('added_to_cart');
    expect(path).toContain('show_reminder');
    const effects = result.steps.flatMap((step) => step.effects.map((effect) => effect.kind));
    expect(effects).toContain('show_cta');
    expect(result.status).not.toBe('waiting');
    expect(result.steps[0]?.edgeId).toBeDefined();
  });

  it('takes the matched branch when the visitor checks out in time', () => {
    const result = simulate(cart.graph, cart.settings, visitor, [
      { atMinutes: 0, name: 'add_to_cart', properties: { cart_id: 'c9' } },
      { atMinutes: 20, name: 'checkout_completed', properties: { cart_id: 'c9' } },
    ]);
    const path = result.steps.map((step) => step.nodeId);
    expect(path).not.toContain('show_reminder');
    expect(result.steps.flatMap((step) => step.effects)).toEqual([]);
  });

  it('reports events that match no trigger', () => {
    const result = simulate(cart.graph, cart.settings, visitor, [
      { atMinutes: 0, name: 'nothing', properties: {} },
    ]);
    expect(result.status).toBe('not_started');
    expect(result.log[0]?.text).toMatch(/no trigger matches/);
  });
});

describe('simulating a Send SMS step', () => {
  const graph: FlowGraph = {
    nodes: [
      { id: 'signup', type: 'trigger_event', config: { event: 'signup', filters: [] } },
      {
        id: 'text',
        type: 'send_sms',
        config: { phoneTrait: 'phone', body: 'Hi {{visitor.traits.first_name}}' },
      },
    ],
    edges: [{ id: 'e1', source: 'signup', sourceHandle: 'next', target: 'text' }],
  };
  const settings = { reEntry: { mode: 'once' as const }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] };
  const start = [{ atMinutes: 0, name: 'signup', properties: {} }];
  const texted = { id: 'v1', traits: { first_name: 'Ada', phone: '+49 151 1234-5678' } };

  it('renders the message to the number from the trait and describes it', () => {
    const result = simulate(graph, settings, texted, start);
    const effects = result.steps.flatMap((s) => s.effects);
    expect(effects).toMatchObject([{ kind: 'send_sms', to: '+4915112345678', body: 'Hi Ada' }]);
    expect(describeEffect(effects[0]!)).toBe('Text “Hi Ada” to +4915112345678');
    expect(result.status).toBe('completed');
  });

  it('sends nothing to an opted-out visitor or one without a number', () => {
    for (const traits of [{ ...texted.traits, sms_opt_out: true }, { first_name: 'Ada' }]) {
      const result = simulate(graph, settings, { id: 'v2', traits }, start);
      expect(result.steps.map((s) => s.nodeId)).toEqual(['signup', 'text']);
      expect(result.steps.flatMap((s) => s.effects)).toEqual([]);
    }
  });

  it('holds the text back during quiet hours and sends it when they end', () => {
    const quiet = { ...settings, quietHours: { from: '08:00', to: '10:00' } };
    const result = simulate(graph, quiet, texted, start, { start: new Date('2025-01-06T09:00:00Z') });
    const sent = result.steps.find((s) => s.effects.length > 0);
    expect(sent?.at).toBe('2025-01-06T10:00:00.000Z');
    expect(result.log[0]?.text).toMatch(/waiting at text until 2025-01-06T10:00:00.000Z/);
  });
});

describe('replaying a real visitor', () => {
  const stored = {
    id: 'vis-1',
    traits: { email: 'ada@example.com' },
    tags: ['vip'],
    visitCount: 4,
    firstSeenAt: '2026-01-01T10:00:00.000Z',
    device: { type: 'mobile' },
    utm: { source: 'newsletter' },
    lastPageUrl: 'https://shop.example.com/cart',
  };
  const recorded = (type: string, name: string, timestamp: string, extra: object = {}) => ({
    type,
    name,
    messageId: `${name}-${timestamp}`,
    timestamp,
    properties: {},
    ...extra,
  });

  it('orders the events oldest first, in minutes after the first, named as the runtime names them', () => {
    // The timeline API answers newest first.
    const replay = recordedReplay(stored, [
      recorded('track', 'checkout_completed', '2026-01-02T09:20:30.000Z', { properties: { cart_id: 'c9' } }),
      recorded('track', 'cta_clicked', '2026-01-02T09:05:00.000Z', { properties: { cta_id: 'cta-1' } }),
      recorded('track', 'bot_noise', '2026-01-02T09:02:00.000Z', { isBot: true }),
      recorded('page', 'Cart', '2026-01-02T09:00:00.000Z', {
        context: { page: { url: 'https://shop/cart' } },
      }),
    ]);
    expect(replay.start?.toISOString()).toBe('2026-01-02T09:00:00.000Z');
    expect(replay.events).toEqual([
      { atMinutes: 0, name: '$page', properties: { url: 'https://shop/cart' } },
      { atMinutes: 5, name: '$cta_clicked', properties: { cta_id: 'cta-1', ctaId: 'cta-1' } },
      { atMinutes: 20.5, name: 'checkout_completed', properties: { cart_id: 'c9' } },
    ]);
    expect(replay.visitor).toEqual({
      id: 'vis-1',
      traits: { email: 'ada@example.com' },
      tags: ['vip'],
      visitCount: 4,
      firstSeenAt: '2026-01-01T10:00:00.000Z',
      device: 'mobile',
      utm: { source: 'newsletter' },
      pageUrl: 'https://shop.example.com/cart',
    });
  });

  it('replays a recorded cart abandonment through the flow like the runtime would', () => {
    const replay = recordedReplay(stored, [
      recorded('track', 'add_to_cart', '2026-01-02T09:00:00.000Z', { properties: { cart_id: 'c1' } }),
    ]);
    const result = simulate(cart.graph, cart.settings, replay.visitor, replay.events, {
      start: replay.start ?? undefined,
    });
    expect(result.steps[0]?.nodeId).toBe('added_to_cart');
    expect(result.steps.map((step) => step.nodeId)).toContain('show_reminder');
  });

  it('keeps every non-bot event once, in time order, with non-negative minutes (any input order)', () => {
    const event = fc.record({
      minute: fc.integer({ min: 0, max: 100_000 }),
      name: fc.constantFrom('add_to_cart', 'checkout_completed', 'signup'),
      isBot: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const base = Date.parse('2026-03-01T00:00:00.000Z');
        const input = events.map((e, i) =>
          recorded('track', e.name, new Date(base + e.minute * 60_000).toISOString(), {
            isBot: e.isBot,
            messageId: `m${i}`,
          }),
        );
        const replay = recordedReplay(stored, input);
        const kept = events.filter((e) => !e.isBot);
        expect(replay.events).toHaveLength(kept.length);
        const minutes = replay.events.map((e) => e.atMinutes);
        expect(minutes.every((m, i) => m >= 0 && (i === 0 || m >= minutes[i - 1]!))).toBe(true);
        if (kept.length) {
          const first = Math.min(...kept.map((e) => e.minute));
          expect(replay.start?.getTime()).toBe(base + first * 60_000);
          expect([...minutes].sort((a, b) => a - b)).toEqual(
            kept.map((e) => e.minute - first).sort((a, b) => a - b),
          );
        } else {
          expect(replay.start).toBeNull();
        }
      }),
    );
  });
});
