import { collectRefs, FLOW_TEMPLATES, validateFlow } from '@nudgeflow/flow-schema';
import { CtaConfigInputSchema } from '../onsite/cta.schemas';
import { createFunnelSchema } from '../analytics/funnel.schemas';
import { DEMO_CTAS, DEMO_FUNNELS, demoFlowDocuments, DEMO_CART_WAIT_SECONDS } from './demo-content';
import { DEMO_PRODUCTS, demoShopPage, renderDemoShopPage } from './demo-shop-pages';

const ENDPOINT = '0b5e3c1e-8a7c-4a39-9d1b-2f4c6f0e1a11';

describe('demo content', () => {
  const docs = demoFlowDocuments(ENDPOINT);

  it('publishes every flow template, each valid against the demo CTAs and endpoint', () => {
    expect(docs.map((d) => d.name)).toEqual(FLOW_TEMPLATES.map((t) => t.name));
    for (const doc of docs) {
      const errors = validateFlow(doc.graph, doc.settings, {
        ctaIds: DEMO_CTAS.map((c) => c.id),
        webhookEndpointIds: [ENDPOINT],
        notifyEndpointIds: [ENDPOINT],
        emailSenderIds: ['default-sender'],
        inboundHookIds: [],
      });
      expect([doc.name, errors]).toEqual([doc.name, []]);
    }
  });

  it('has every CTA a template shows, and each CTA config is accepted by the API schema', () => {
    const shown = new Set(
      docs.flatMap((d) =>
        collectRefs(d.graph)
          .filter((r) => r.kind === 'cta')
          .map((r) => r.id),
      ),
    );
    expect([...shown].filter((id) => !DEMO_CTAS.some((c) => c.id === id))).toEqual([]);
    for (const cta of DEMO_CTAS) expect(CtaConfigInputSchema.safeParse(cta.config).error).toBeUndefined();
    for (const funnel of DEMO_FUNNELS) expect(createFunnelSchema.safeParse(funnel).error).toBeUndefined();
  });

  it('runs the abandoned cart at demo pace and sends carts and leads to the demo CRM', () => {
    const cart = docs.find((d) => d.name === 'Abandoned cart')!;
    const wait = cart.graph.nodes.find((n) => n.type === 'wait_for_event');
    expect(wait?.type === 'wait_for_event' && wait.config.timeout).toEqual({
      amount: DEMO_CART_WAIT_SECONDS,
      unit: 'seconds',
    });
    const webhooks = docs.flatMap((d) => collectRefs(d.graph).filter((r) => r.kind === 'webhook_endpoint'));
    expect(webhooks.map((r) => r.nodeId).sort()).toEqual(['cart_to_crm', 'lead_to_crm']);
    expect(webhooks.every((r) => r.id === ENDPOINT)).toBe(true);
  });
});

describe('demo shop pages', () => {
  it('routes the shop, its products, cart, checkout and thanks, and nothing else', () => {
    expect(demoShopPage('/demo-shop/')).toEqual({ kind: 'home' });
    expect(demoShopPage('/demo-shop/cart?x=1')).toEqual({ kind: 'cart' });
    expect(demoShopPage(`/demo-shop/products/${DEMO_PRODUCTS[1].slug}`)).toEqual({
      kind: 'product',
      product: DEMO_PRODUCTS[1],
    });
    expect(demoShopPage('/demo-shop/products/nope')).toBeUndefined();
    expect(demoShopPage('/demo-shop/../api')).toBeUndefined();
  });

  it('carries the real embed snippet with the write key', () => {
    const html = renderDemoShopPage({ kind: 'home' }, 'http://127.0.0.1:3000', 'nf_wk_abc');
    expect(html).toContain(
      '<script async src="http://127.0.0.1:3000/embed.js" data-write-key="nf_wk_abc"></script>',
    );
  });
});
