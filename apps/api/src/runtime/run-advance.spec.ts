import { findFlowTemplate } from '@nudgeflow/flow-schema';
import { advanceRun, compileFlow, type RunState } from '@nudgeflow/engine';
import fc from 'fast-check';
import { toVisitorSnapshot } from './engine-event';
import { feedEngine, waitingInputs } from './run-advance';
import type { RunRow } from './runtime.types';

/** The abandoned-cart template: add_to_cart → wait for checkout_completed (same cart), timeout 1 h. */
const cart = findFlowTemplate('abandoned-cart')!;
const flow = compileFlow({ graph: cart.graph, settings: cart.settings });
const T0 = Date.parse('2025-01-15T10:00:00.000Z');
const TIMEOUT_AT = T0 + 3_600_000;
const ctx = { now: new Date(T0).toISOString(), siteTimezone: 'UTC', siteId: 's1', runId: 'r1' };
const waiting = advanceRun(
  flow,
  null,
  { kind: 'start', event: { name: 'add_to_cart', properties: { cart_id: 'c1' } } },
  { ...ctx, visitor: toVisitorSnapshot(undefined, 'v1') },
).state as RunState;

const checkout = (at: number, id = 'e1') => ({
  event_id: id,
  event: { name: 'checkout_completed', properties: { cart_id: 'c1' }, timestamp: new Date(at).toISOString() },
});

function finish(inbox: ReturnType<typeof checkout>[], now: number) {
  const run = { id: 'r1', site_id: 's1', state: waiting, held_out: false } as RunRow;
  const inputs = waitingInputs(waiting, inbox, now);
  const out = feedEngine({
    run,
    flow,
    inputs,
    tz: 'UTC',
    now,
    maxOrd: 0,
    visitor: toVisitorSnapshot(undefined, 'v1'),
  });
  return { kinds: inputs.map((i) => i.input.kind), handle: out.steps[0]?.handle, status: out.state?.status };
}

describe('waitingInputs', () => {
  it('is waiting on the timeout', () => {
    expect(waiting.status === 'waiting' && waiting.waiting).toMatchObject({
      kind: 'event',
      timeoutAt: new Date(TIMEOUT_AT).toISOString(),
    });
  });

  it('feeds the timeout before an event stamped after it, when the wake-up runs late', () => {
    // The wake-up job ran 30 s late and found the event (stamped 10 s after the timeout) beside it.
    expect(finish([checkout(TIMEOUT_AT + 10_000)], TIMEOUT_AT + 30_000)).toEqual({
      kinds: ['timeout', 'event'],
      handle: 'timeout',
      status: 'completed',
    });
  });

  it('feeds an event stamped before the timeout first: it matched in time', () => {
    expect(finish([checkout(TIMEOUT_AT - 10_000)], TIMEOUT_AT + 30_000)).toEqual({
      kinds: ['event', 'timeout'],
      handle: 'matched',
      status: 'exited',
    });
  });

  it('leaves the timeout out until it is due', () => {
    expect(finish([checkout(T0 + 60_000)], T0 + 120_000)).toMatchObject({
      kinds: ['event'],
      handle: 'matched',
    });
  });

  it('keeps arrival order and puts the due input before the first event stamped after it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5_000, max: 5_000 }), { maxLength: 8 }), (offsets) => {
        const inbox = offsets.map((o, i) => checkout(TIMEOUT_AT + o, `e${i}`));
        const inputs = waitingInputs(waiting, inbox, TIMEOUT_AT + 10_000);
        const at = inputs.findIndex((i) => i.input.kind === 'timeout');
        const events = inputs.filter((i) => i.input.kind === 'event').map((i) => i.meta);
        expect(events).toEqual(
          inbox.map((i) => ({ kind: 'event', eventId: i.event_id, event: i.event.name })),
        );
        const firstAfter = offsets.findIndex((o) => o > 0);
        expect(at).toBe(firstAfter === -1 ? offsets.length : firstAfter);
      }),
    );
  });
});
