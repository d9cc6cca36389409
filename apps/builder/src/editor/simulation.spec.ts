import { findFlowTemplate } from '@nudgeflow/flow-schema';
import { simulate, suggestTimeline } from './simulation';

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
