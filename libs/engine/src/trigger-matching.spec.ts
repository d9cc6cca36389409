import { FlowNode, SYSTEM_EVENTS } from '@nudgeflow/flow-schema';
import { compareValue, parseUrl } from './rule-evaluation';
import { matchesTrigger, matchingTriggers, triggerEventName } from './trigger-matching';
import { inboundWebhookView } from './recorded-event';

const pageVisit = (config: Extract<FlowNode, { type: 'trigger_page_visit' }>['config']): FlowNode => ({
  id: 'p',
  type: 'trigger_page_visit',
  config,
});
const page = (url: string) => ({ name: SYSTEM_EVENTS.pageView, properties: { url } });

describe('matchesTrigger', () => {
  it('matches tracked events with property filters', () => {
    const node: FlowNode = {
      id: 't',
      type: 'trigger_event',
      config: { event: 'add_to_cart', filters: [{ property: 'item.price', operator: 'gte', value: 20 }] },
    };
    expect(matchesTrigger(node, { name: 'add_to_cart', properties: { item: { price: '25' } } })).toBe(true);
    expect(matchesTrigger(node, { name: 'add_to_cart', properties: { item: { price: 5 } } })).toBe(false);
    expect(matchesTrigger(node, { name: 'purchase', properties: { item: { price: 25 } } })).toBe(false);
  });

  it('matches page visits by URL rules (any) and query filters (all)', () => {
    const node = pageVisit({
      urlRules: [
        { target: 'path', operator: 'equals', value: '/pricing/' },
        { target: 'url', operator: 'wildcard', value: 'https://*.shop.test/blog/*' },
      ],
      queryFilters: [{ property: 'utm_source', operator: 'eq', value: 'newsletter' }],
    });
    expect(matchesTrigger(node, page('https://shop.test/Pricing?utm_source=Newsletter#top'))).toBe(true);
    expect(matchesTrigger(node, page('https://en.shop.test/blog/post-1?utm_source=newsletter'))).toBe(true);
    expect(matchesTrigger(node, page('https://shop.test/pricing?utm_source=ads'))).toBe(false);
    expect(matchesTrigger(node, page('https://shop.test/pricing/extra?utm_source=newsletter'))).toBe(false);
    const contains = pageVisit({
      urlRules: [{ target: 'path', operator: 'contains', value: 'sale' }],
      queryFilters: [],
    });
    expect(matchesTrigger(contains, page('/summer-sale?x=1'))).toBe(true);
    expect(matchesTrigger(contains, { name: SYSTEM_EVENTS.pageView })).toBe(false);
    const any = pageVisit({ urlRules: [], queryFilters: [{ property: 'utm_campaign', operator: 'exists' }] });
    expect(matchesTrigger(any, page('https://shop.test/?utm_campaign=spring%20sale'))).toBe(true);
    expect(matchesTrigger(any, page('https://shop.test/'))).toBe(false);
  });

  it('matches system events for CTA interactions, identify, trait changes and inbound webhooks', () => {
    const cta: FlowNode = {
      id: 'c',
      type: 'trigger_cta_interaction',
      config: { interaction: 'converted', ctaId: 'cta1' },
    };
    expect(triggerEventName(cta as Extract<FlowNode, { type: 'trigger_cta_interaction' }>)).toBe(
      '$cta_converted',
    );
    expect(matchesTrigger(cta, { name: '$cta_converted', properties: { ctaId: 'cta1' } })).toBe(true);
    expect(matchesTrigger(cta, { name: '$cta_clicked', properties: { ctaId: 'cta1' } })).toBe(false);
    const trait: FlowNode = { id: 'r', type: 'trigger_trait_changed', config: { traitKey: 'plan' } };
    expect(matchesTrigger(trait, { name: '$trait_changed', properties: { key: 'plan', value: 'pro' } })).toBe(
      true,
    );
    const hook: FlowNode = { id: 'h', type: 'trigger_inbound_webhook', config: { hookId: 'crm' } };
    expect(matchesTrigger(hook, { name: '$webhook', properties: { hookId: 'crm' } })).toBe(true);
    const identified: FlowNode = { id: 'i', type: 'trigger_visitor_identified', config: {} };
    expect(
      matchingTriggers({ nodes: [cta, trait, hook, identified], edges: [] }, { name: '$identify' }),
    ).toEqual([identified]);
    expect(matchesTrigger({ id: 'x', type: 'exit', config: {} }, { name: '$identify' })).toBe(false);
  });
});

describe('compareValue', () => {
  it('compares case-insensitively, coerces numeric strings, and handles lists and missing values', () => {
    expect(compareValue('Pro', 'eq', 'pro')).toBe(true);
    expect(compareValue('10', 'gt', 9)).toBe(true);
    expect(compareValue(10, 'eq', '10')).toBe(true);
    expect(compareValue(undefined, 'neq', 'x')).toBe(true);
    expect(compareValue(undefined, 'contains', 'x')).toBe(false);
    expect(compareValue(undefined, 'not_contains', 'x')).toBe(true);
    expect(compareValue(['VIP', 'lead'], 'contains', 'vip')).toBe(true);
    expect(compareValue(['vip'], 'not_contains', 'lead')).toBe(true);
    expect(compareValue([], 'exists')).toBe(false);
    expect(compareValue('', 'not_exists')).toBe(true);
    expect(compareValue('b', 'in', ['a', 'B'])).toBe(true);
    expect(compareValue({ a: 1 }, 'contains', 'a')).toBe(false);
    expect(compareValue('checkout/step-2', 'matches', 'checkout/*')).toBe(true);
    expect(compareValue(true, 'eq', true)).toBe(true);
  });

  it('parses URLs without URL globals and ignores prototype-looking query keys', () => {
    expect(parseUrl('HTTPS://Shop.test?__proto__=x&a=1&a=2')).toEqual({
      origin: 'https://shop.test',
      path: '/',
      query: JSON.parse('{"__proto__":"x","a":"1"}'),
    });
  });
});

describe('inbound webhook events', () => {
  const hookTrigger = {
    id: 'h',
    type: 'trigger_inbound_webhook',
    config: { hookId: 'hook-1' },
  } as FlowNode;
  const stored = (context: Record<string, unknown> | null) => ({
    type: 'track',
    name: 'order.paid',
    messageId: 'm-1',
    timestamp: '2026-01-01T00:00:00Z',
    properties: { hookId: 'from-the-body', total: 42 },
    context,
  });

  it("are seen as $webhook with the hook's own id (not the body's) and their name", () => {
    const view = inboundWebhookView(stored({ source: 'inbound_hook', hookId: 'hook-1' }));
    expect(view).toMatchObject({
      name: SYSTEM_EVENTS.inboundWebhook,
      properties: { hookId: 'hook-1', event: 'order.paid', total: 42 },
    });
    expect(matchesTrigger(hookTrigger, view!)).toBe(true);
  });

  it('only when the hook marker is there', () => {
    expect(inboundWebhookView(stored(null))).toBeUndefined();
    expect(inboundWebhookView(stored({ hookId: 'hook-1' }))).toBeUndefined();
    expect(
      inboundWebhookView({ ...stored({ source: 'inbound_hook', hookId: 'hook-1' }), type: 'page' }),
    ).toBeUndefined();
  });
});
