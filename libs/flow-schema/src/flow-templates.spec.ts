import { collectRefs, remapRefs } from './flow-refs';
import { FlowGraphSchema, FlowSettingsSchema } from './flow-graph.schema';
import { FLOW_TEMPLATES, findFlowTemplate } from './flow-templates';
import { validateFlow } from './graph-validation';

describe('FLOW_TEMPLATES', () => {
  it('includes the four starter flows with unique ids', () => {
    const ids = FLOW_TEMPLATES.map((template) => template.id);
    expect(ids).toEqual([
      'abandoned-cart',
      'exit-intent-popup',
      'welcome-series',
      're-engage-returning-visitors',
    ]);
    expect(findFlowTemplate('welcome-series')?.name).toBe('Welcome series for new leads');
  });

  it.each(FLOW_TEMPLATES.map((template) => [template.id, template] as const))(
    '%s validates with zero errors, with and without its placeholder refs',
    (_id, template) => {
      expect(FlowGraphSchema.parse(template.graph)).toEqual(template.graph);
      expect(FlowSettingsSchema.parse(template.settings)).toEqual(template.settings);
      expect(validateFlow(template.graph, template.settings)).toEqual([]);
      expect(validateFlow(template.graph, template.settings, template.placeholderRefs)).toEqual([]);
      for (const node of template.graph.nodes) expect(node.position).toBeDefined();
    },
  );

  it('lists exactly the refs its graph uses as placeholders', () => {
    for (const template of FLOW_TEMPLATES) {
      const used = collectRefs(template.graph);
      const listed = [
        ...template.placeholderRefs.ctaIds,
        ...template.placeholderRefs.webhookEndpointIds,
        ...template.placeholderRefs.emailSenderIds,
        ...template.placeholderRefs.notifyEndpointIds,
        ...template.placeholderRefs.inboundHookIds,
      ].sort();
      expect([...new Set(used.map((ref) => ref.id))].sort()).toEqual(listed);
    }
  });

  it('reports placeholder refs once the site refs are given, and remaps them', () => {
    const cart = findFlowTemplate('abandoned-cart')!;
    const siteRefs = { ctaIds: ['cta_42'], emailSenderIds: ['sender_7'] };
    expect(validateFlow(cart.graph, cart.settings, siteRefs).map((e) => e.code)).toEqual([
      'UNKNOWN_CTA',
      'UNKNOWN_EMAIL_SENDER',
    ]);
    const remapped = remapRefs(cart.graph, {
      cta: { 'cart-reminder': 'cta_42' },
      email_sender: { 'default-sender': 'sender_7' },
    });
    expect(validateFlow(remapped, cart.settings, siteRefs)).toEqual([]);
  });
});
