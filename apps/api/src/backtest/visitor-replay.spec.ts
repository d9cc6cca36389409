import { compileFlow, isHeldOut } from '@nudgeflow/engine';
import { FlowGraph, FlowSettings, FlowSettingsSchema } from '@nudgeflow/flow-schema';
import { BacktestTally } from './backtest-tally';
import { ReplayCaps, ReplayEvent, ReplayFlow, VisitorReplay } from './visitor-replay';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const HOUR = 3_600_000;

function flowOf(
  nodes: FlowGraph['nodes'],
  edges: [string, string, string][],
  settings: Partial<FlowSettings> = {},
  caps: Record<string, ReplayCaps> = {},
): ReplayFlow {
  const graph = {
    nodes,
    edges: edges.map(([source, sourceHandle, target], i) => ({ id: `e${i}`, source, sourceHandle, target })),
  } as FlowGraph;
  return {
    flowId: 'flow-1',
    compiled: compileFlow({ graph, settings: FlowSettingsSchema.parse(settings) }),
    timezone: 'UTC',
    caps: new Map(Object.entries(caps)),
  };
}

const ev = (id: number, name: string, ts: number, properties: Record<string, unknown> = {}): ReplayEvent => ({
  id: String(id),
  ts,
  event: { id: `m${id}`, name, properties, timestamp: new Date(ts).toISOString() },
  isBot: false,
});

function replay(flow: ReplayFlow, events: ReplayEvent[], end: number, visitorId = 'v1') {
  const tally = new BacktestTally();
  const r = new VisitorReplay(flow, visitorId, { id: visitorId, traits: {}, tags: [] }, tally);
  for (const e of events) r.feed(e);
  r.finish(end);
  return tally.result;
}

const cart = flowOf(
  [
    { id: 't', type: 'trigger_event', config: { event: 'cart', filters: [] } },
    { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } } },
    { id: 'cta', type: 'show_cta', config: { ctaId: 'promo' } },
    { id: 'g', type: 'goal', config: { event: 'buy', filters: [] } },
  ],
  [
    ['t', 'next', 'w'],
    ['w', 'next', 'cta'],
  ],
  { reEntry: { mode: 'every_time' } },
  { promo: { hideAfterCloseDays: 0, stopAfterConversion: false, maxPerDay: 1 } },
);

describe('VisitorReplay', () => {
  it('advances virtual time through waits: a timer due before the next event fires first', () => {
    const r = replay(cart, [ev(1, 'cart', T0), ev(2, 'noise', T0 + 2 * HOUR)], T0 + 3 * HOUR);
    expect(r.nodes).toEqual({
      t: { entered: 1, waiting: 0, exited: { next: 1 } },
      w: { entered: 1, waiting: 0, exited: { next: 1 } },
      cta: { entered: 1, waiting: 0, exited: { next: 1 } },
    });
    expect(r.effects.show_cta).toEqual({ count: 1, visitors: 1, capped: 0, heldOut: 0 });
    expect(r.runs).toMatchObject({ enrolled: 1, completed: 1 });
  });

  it('counts a run still waiting at the window end as entered and waiting', () => {
    const r = replay(cart, [ev(1, 'cart', T0)], T0 + 30 * 60_000);
    expect(r.nodes.w).toEqual({ entered: 1, waiting: 1, exited: {} });
    expect(r.effects.show_cta).toBeUndefined();
  });

  it('converts on the goal before the timer, and applies the CTA caps per day', () => {
    const r = replay(
      cart,
      [
        ev(1, 'cart', T0),
        ev(2, 'buy', T0 + 10 * 60_000),
        ev(3, 'cart', T0 + HOUR),
        ev(4, 'cart', T0 + 2 * HOUR),
      ],
      T0 + 10 * HOUR,
    );
    expect(r.runs).toMatchObject({ enrolled: 3, converted: 1, completed: 2 });
    expect(r.nodes.g).toEqual({ entered: 1, waiting: 0, exited: {} });
    // Two shows on the same day, the cap allows one.
    expect(r.effects.show_cta).toEqual({ count: 1, visitors: 1, capped: 1, heldOut: 0 });
    expect(r.ctas.promo).toEqual({ shown: 1, capped: 1 });
    expect(r.convertedVisitors).toBe(1);
  });

  it('enforces re-entry "once" and the per-visitor cap like the run_entries guard', () => {
    const once = flowOf(cart.compiled.graph.nodes, [
      ['t', 'next', 'w'],
      ['w', 'next', 'cta'],
    ]);
    expect(replay(once, [ev(1, 'cart', T0), ev(2, 'cart', T0 + 5 * HOUR)], T0 + 9 * HOUR).runs.enrolled).toBe(
      1,
    );
    const capped = flowOf(
      cart.compiled.graph.nodes,
      [
        ['t', 'next', 'w'],
        ['w', 'next', 'cta'],
      ],
      { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 1 },
    );
    // The second cart comes while the first run waits: refused; the third after it ended: admitted.
    const r = replay(
      capped,
      [ev(1, 'cart', T0), ev(2, 'cart', T0 + 1), ev(3, 'cart', T0 + 2 * HOUR)],
      T0 + 2 * HOUR + 1,
    );
    expect(r.runs.enrolled).toBe(2);
  });

  it('skips bot events', () => {
    const bot = { ...ev(1, 'cart', T0), isBot: true };
    expect(replay(cart, [bot], T0 + 3 * HOUR).runs.enrolled).toBe(0);
  });

  it('holds out a stable share of visitors: enrolled and counted, no effect', () => {
    const held = { ...cart, holdoutPercent: 50 };
    const visitors = Array.from({ length: 400 }, (_, i) => `visitor-${i}`);
    const out = visitors.filter((v) => isHeldOut(v, held.flowId, 50));
    expect(out.length).toBeGreaterThan(150);
    expect(out.length).toBeLessThan(250);
    const v = out[0];
    const r = replay(held, [ev(1, 'cart', T0), ev(2, 'cart', T0 + 5 * HOUR)], T0 + 9 * HOUR, v);
    expect(r.runs).toMatchObject({ enrolled: 2, enrolledHeldOut: 2 });
    expect(r.effects.show_cta).toEqual({ count: 0, visitors: 0, capped: 0, heldOut: 2 });
    expect(isHeldOut(v, held.flowId, 0)).toBe(false);
  });
});
