import {
  FLOW_SCHEMA_VERSION,
  FLOW_TEMPLATES,
  FlowDocument,
  FlowGraph,
  FlowNode,
  FlowTemplate,
  remapRefs,
} from '@nudgeflow/flow-schema';
import type { z } from 'zod';
import type { CtaConfigSchema } from '../onsite/cta.schemas';
import type { createFunnelSchema } from '../analytics/funnel.schemas';
import { DEMO_SHOP_PATH } from './demo-shop-pages';

/**
 * What `npm run demo` puts on the demo site, beside the user, site and key of `npm run seed`: every
 * flow template published with the CTAs and webhook endpoint it needs, and two funnels. All of it is
 * created through the public marketer API (demo-seed-cli.ts), so the demo exercises the product itself.
 */

export interface DemoCta {
  /** Stable ids: the templates' placeholder CTA ids, so the flows need no remapping for CTAs. */
  id: string;
  name: string;
  config: z.input<typeof CtaConfigSchema>;
}

const STYLE = { background: '#ffffff', color: '#1c1917', accent: '#ea580c' };

export const DEMO_CTAS: readonly DemoCta[] = [
  {
    id: 'cart-reminder',
    name: 'Cart reminder (slide-in)',
    config: {
      kind: 'slide_in',
      mode: 'flow',
      priority: 80,
      display: { trigger: 'load' },
      variants: [
        {
          id: 'a',
          name: 'Reminder',
          content: {
            headline: 'Still thinking it over?',
            body: '<p>Your cart is saved. Free returns for 60 days.</p>',
            buttons: [
              { label: 'Back to my cart', action: 'url', url: `${DEMO_SHOP_PATH}/cart` },
              { label: 'Not now', action: 'close' },
            ],
          },
          style: { ...STYLE, position: 'bottom_right' },
        },
      ],
      caps: { hideAfterCloseDays: 1, stopAfterConversion: true },
    },
  },
  {
    id: 'exit-intent-popup',
    name: 'Exit-intent offer (popup, A/B)',
    config: {
      kind: 'modal',
      mode: 'flow',
      priority: 90,
      display: { trigger: 'load' },
      variants: [
        {
          id: 'a',
          name: '10% off',
          weight: 1,
          content: {
            headline: 'Before you go: 10% off',
            body: '<p>Join the list and the code is yours.</p>',
            buttons: [{ label: 'No thanks', action: 'close' }],
            form: {
              fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
              submitLabel: 'Send my code',
            },
          },
          style: { ...STYLE, position: 'center' },
        },
        {
          id: 'b',
          name: 'Free shipping',
          weight: 1,
          content: {
            headline: 'Free shipping on your first order',
            body: '<p>Leave your email and we will hold it for 48 hours.</p>',
            buttons: [{ label: 'Maybe later', action: 'close' }],
            form: {
              fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
              submitLabel: 'Hold my free shipping',
            },
          },
          style: { ...STYLE, accent: '#0f766e', position: 'center' },
        },
      ],
      caps: { hideAfterCloseDays: 3, stopAfterConversion: true },
    },
  },
  {
    id: 'returning-discount',
    name: 'Welcome back: 10% off (bar)',
    config: {
      kind: 'bar',
      mode: 'flow',
      priority: 60,
      display: { trigger: 'load' },
      variants: [
        {
          id: 'a',
          name: 'Discount',
          content: {
            headline: 'Welcome back! Use code BACK10 for 10% off today.',
            body: '',
            buttons: [{ label: 'Shop now', action: 'url', url: `${DEMO_SHOP_PATH}/` }],
          },
          style: { background: '#1c1917', color: '#fafaf9', accent: '#f97316', position: 'top' },
        },
      ],
    },
  },
  {
    id: 'returning-guide',
    name: 'Buying guide (slide-in)',
    config: {
      kind: 'slide_in',
      mode: 'flow',
      priority: 60,
      display: { trigger: 'delay', seconds: 3 },
      variants: [
        {
          id: 'a',
          name: 'Guide',
          content: {
            headline: 'Not sure which shoe fits your trails?',
            body: '<p>Our two-minute guide picks one with you.</p>',
            buttons: [{ label: 'Read the guide', action: 'url', url: `${DEMO_SHOP_PATH}/` }],
          },
          style: { ...STYLE, position: 'bottom_left' },
        },
      ],
    },
  },
  {
    id: 'free-shipping-bar',
    name: 'Free shipping bar (A/B)',
    config: {
      kind: 'bar',
      mode: 'always',
      priority: 20,
      display: { trigger: 'load' },
      variants: [
        {
          id: 'a',
          name: 'Threshold',
          content: {
            headline: 'Free shipping on orders over $50',
            body: '',
            buttons: [{ label: 'Dismiss', action: 'close' }],
          },
          style: { background: '#ea580c', color: '#ffffff', accent: '#1c1917', position: 'top' },
        },
        {
          id: 'b',
          name: 'Urgency',
          content: {
            headline: 'Order by 3 pm, it ships today',
            body: '',
            buttons: [{ label: 'Dismiss', action: 'close' }],
          },
          style: { background: '#0f766e', color: '#ffffff', accent: '#1c1917', position: 'top' },
        },
      ],
      targeting: {
        urlRules: [{ target: 'path', operator: 'wildcard', value: `${DEMO_SHOP_PATH}/products/*` }],
      },
      caps: { hideAfterCloseDays: 1, stopAfterConversion: true },
    },
  },
];

/** The endpoint the demo's flows send to: the demo's own receiver, so deliveries succeed. */
export const DEMO_ENDPOINT = {
  description: 'Demo CRM: the receiver served by `npm run demo` at /demo-shop/webhook',
  path: `${DEMO_SHOP_PATH}/webhook`,
};

export const DEMO_FUNNELS: readonly z.input<typeof createFunnelSchema>[] = [
  {
    name: 'Shop: product to purchase',
    windowSeconds: 86_400,
    steps: [
      {
        event: '$page',
        label: 'Viewed a product',
        filters: [{ property: 'path', op: 'starts_with', value: `${DEMO_SHOP_PATH}/products/` }],
      },
      { event: 'add_to_cart', label: 'Added to cart' },
      {
        event: '$page',
        label: 'Reached checkout',
        filters: [{ property: 'path', op: 'equals', value: `${DEMO_SHOP_PATH}/checkout` }],
      },
      { event: 'purchase', label: 'Purchased' },
    ],
  },
  {
    name: 'Exit offer: seen to signed up',
    windowSeconds: 86_400,
    steps: [
      { event: 'exit_intent', label: 'About to leave' },
      {
        event: 'cta_viewed',
        label: 'Saw the offer',
        filters: [{ property: 'cta_id', op: 'equals', value: 'exit-intent-popup' }],
      },
      { event: '$identify', label: 'Left an email' },
    ],
  },
];

/** How long the demo's abandoned-cart flow waits for a checkout: seconds, so the demo moves. */
export const DEMO_CART_WAIT_SECONDS = 20;

/**
 * A template as the demo publishes it. Three changes, named in the node labels so the canvas says them:
 * the abandoned-cart wait is seconds instead of an hour, and two "send to CRM" webhook steps go to the
 * demo's receiver (an abandoned cart, after its reminder; a new lead, after tagging), so the webhook
 * delivery log fills within a minute at any hour (the welcome series keeps its quiet hours). Notify
 * steps go to the same endpoint.
 */
export function demoFlowDocument(template: FlowTemplate, endpointId: string): FlowDocument {
  let graph: FlowGraph = remapRefs(structuredClone(template.graph), {
    notify_endpoint: Object.fromEntries(
      template.placeholderRefs.notifyEndpointIds.map((id) => [id, endpointId]),
    ),
    webhook_endpoint: Object.fromEntries(
      template.placeholderRefs.webhookEndpointIds.map((id) => [id, endpointId]),
    ),
  });
  if (template.id === 'abandoned-cart') {
    graph = {
      ...graph,
      nodes: graph.nodes.map((node): FlowNode =>
        node.type === 'wait_for_event'
          ? {
              ...node,
              label: `Checked out within ${DEMO_CART_WAIT_SECONDS}s? (demo pace)`,
              config: { ...node.config, timeout: { amount: DEMO_CART_WAIT_SECONDS, unit: 'seconds' } },
            }
          : node,
      ),
    };
    graph = withCrmStep(
      graph,
      'show_cta',
      'cart_to_crm',
      'Tell the CRM: cart abandoned',
      'cart.abandoned',
      endpointId,
    );
  }
  if (template.id === 'welcome-series') {
    graph = withCrmStep(
      graph,
      'update_visitor',
      'lead_to_crm',
      'Send lead to CRM',
      'lead.created',
      endpointId,
    );
  }
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    name: template.name,
    description: template.description,
    settings: structuredClone(template.settings),
    graph,
  };
}

/** Inserts a webhook step to the demo CRM right after the first node of `afterType`. */
function withCrmStep(
  graph: FlowGraph,
  afterType: FlowNode['type'],
  id: string,
  label: string,
  eventType: string,
  endpointId: string,
): FlowGraph {
  const after = graph.nodes.find((n) => n.type === afterType);
  const out = after && graph.edges.find((e) => e.source === after.id);
  if (!after || !out) return graph;
  const step: FlowNode = {
    id,
    type: 'send_webhook',
    label,
    position: { x: (after.position?.x ?? 0) + 260, y: (after.position?.y ?? 0) + 75 },
    config: {
      endpointId,
      bodyTemplate: `{\n  "type": "${eventType}",\n  "visitor": "{{visitor.id}}",\n  "email": "{{visitor.traits.email}}"\n}`,
    },
  };
  return {
    nodes: [...graph.nodes, step],
    edges: [
      ...graph.edges.filter((e) => e.id !== out.id),
      { id: `e_${after.id}_${id}`, source: after.id, sourceHandle: out.sourceHandle, target: id },
      { id: `e_${id}_${out.target}`, source: id, sourceHandle: 'next', target: out.target },
    ],
  };
}

export const demoFlowDocuments = (endpointId: string): FlowDocument[] =>
  FLOW_TEMPLATES.map((template) => demoFlowDocument(template, endpointId));
