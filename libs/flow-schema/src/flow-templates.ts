import { FlowGraph, FlowSettings } from './flow-graph.schema';
import { FlowRefs } from './flow-refs';

export interface FlowTemplate {
  id: string;
  name: string;
  description: string;
  settings: FlowSettings;
  graph: FlowGraph;
  /**
   * Templates reference site resources (CTAs, senders, endpoints) by placeholder ids listed here.
   * `validateFlow` only reports unknown refs when given the site's refs, so a template validates
   * cleanly on its own; when instantiating, map these ids to real ones with `remapRefs`.
   */
  placeholderRefs: FlowRefs & {
    ctaIds: string[];
    webhookEndpointIds: string[];
    emailSenderIds: string[];
    notifyEndpointIds: string[];
    inboundHookIds: string[];
  };
}

const EMAIL_SENDER = 'default-sender';

const abandonedCart: FlowTemplate = {
  id: 'abandoned-cart',
  name: 'Abandoned cart',
  description:
    'When a visitor adds to cart but does not check out within an hour, show a reminder on site and send an email.',
  settings: {
    reEntry: { mode: 'once_per_days', days: 1 },
    maxConcurrentRunsPerVisitor: 1,
    exitConditions: [],
  },
  placeholderRefs: {
    ctaIds: ['cart-reminder'],
    webhookEndpointIds: [],
    emailSenderIds: [EMAIL_SENDER],
    notifyEndpointIds: [],
    inboundHookIds: [],
  },
  graph: {
    nodes: [
      {
        id: 'added_to_cart',
        type: 'trigger_event',
        label: 'Added to cart',
        position: { x: 0, y: 0 },
        config: { event: 'add_to_cart', filters: [] },
      },
      {
        id: 'wait_checkout',
        type: 'wait_for_event',
        label: 'Checked out within 1h?',
        position: { x: 0, y: 150 },
        config: {
          event: 'checkout_completed',
          correlationProperty: 'cart_id',
          filters: [],
          timeout: { amount: 1, unit: 'hours' },
        },
      },
      { id: 'checked_out', type: 'exit', label: 'Checked out', position: { x: 250, y: 300 }, config: {} },
      {
        id: 'show_reminder',
        type: 'show_cta',
        label: 'Cart reminder',
        position: { x: -250, y: 300 },
        config: { ctaId: 'cart-reminder', priority: 80 },
      },
      {
        id: 'email_reminder',
        type: 'send_email',
        label: 'Reminder email',
        position: { x: -250, y: 450 },
        config: {
          senderId: EMAIL_SENDER,
          to: '{{visitor.traits.email}}',
          subject: 'You left something in your cart',
          html: '<p>Hi {{visitor.traits.first_name}},</p><p>Your cart is waiting for you.</p>',
          text: 'Hi {{visitor.traits.first_name}}, your cart is waiting for you.',
        },
      },
      {
        id: 'purchased',
        type: 'goal',
        label: 'Purchase',
        position: { x: 300, y: 0 },
        config: { event: 'purchase', filters: [] },
      },
    ],
    edges: [
      { id: 'e_trigger_wait', source: 'added_to_cart', sourceHandle: 'next', target: 'wait_checkout' },
      { id: 'e_wait_matched', source: 'wait_checkout', sourceHandle: 'matched', target: 'checked_out' },
      { id: 'e_wait_timeout', source: 'wait_checkout', sourceHandle: 'timeout', target: 'show_reminder' },
      { id: 'e_show_email', source: 'show_reminder', sourceHandle: 'next', target: 'email_reminder' },
    ],
  },
};

const exitIntentPopup: FlowTemplate = {
  id: 'exit-intent-popup',
  name: 'Exit-intent popup',
  description: 'Show a popup to visitors about to leave, unless they already subscribed or are checking out.',
  settings: {
    reEntry: { mode: 'once_per_days', days: 7 },
    maxConcurrentRunsPerVisitor: 1,
    exitConditions: [],
  },
  placeholderRefs: {
    ctaIds: ['exit-intent-popup'],
    webhookEndpointIds: [],
    emailSenderIds: [],
    notifyEndpointIds: [],
    inboundHookIds: [],
  },
  graph: {
    nodes: [
      {
        id: 'exit_intent',
        type: 'trigger_event',
        label: 'Exit intent',
        position: { x: 0, y: 0 },
        config: { event: 'exit_intent', filters: [] },
      },
      {
        id: 'eligible',
        type: 'condition',
        label: 'Not subscribed, not in checkout',
        position: { x: 0, y: 150 },
        config: {
          group: {
            kind: 'group',
            combinator: 'and',
            rules: [
              { kind: 'rule', source: 'tags', operator: 'not_contains', value: 'subscribed' },
              { kind: 'rule', source: 'page_url', operator: 'not_contains', value: '/checkout' },
            ],
          },
        },
      },
      {
        id: 'show_popup',
        type: 'show_cta',
        label: 'Exit popup',
        position: { x: -200, y: 300 },
        config: { ctaId: 'exit-intent-popup', priority: 90 },
      },
      { id: 'skip', type: 'exit', label: 'Skip', position: { x: 200, y: 300 }, config: {} },
      {
        id: 'subscribed',
        type: 'goal',
        label: 'Popup converted',
        position: { x: 300, y: 0 },
        config: {
          event: '$cta_converted',
          filters: [{ property: 'ctaId', operator: 'eq', value: 'exit-intent-popup' }],
        },
      },
    ],
    edges: [
      { id: 'e_trigger_condition', source: 'exit_intent', sourceHandle: 'next', target: 'eligible' },
      { id: 'e_condition_yes', source: 'eligible', sourceHandle: 'yes', target: 'show_popup' },
      { id: 'e_condition_no', source: 'eligible', sourceHandle: 'no', target: 'skip' },
    ],
  },
};

const welcomeSeries: FlowTemplate = {
  id: 'welcome-series',
  name: 'Welcome series for new leads',
  description:
    'Tag new leads, send a welcome email, follow up two days later during office hours, then alert sales.',
  settings: {
    reEntry: { mode: 'once' },
    maxConcurrentRunsPerVisitor: 1,
    goal: { event: 'purchase', filters: [] },
    exitConditions: [{ event: 'unsubscribed', filters: [] }],
    quietHours: { from: '21:00', to: '08:00' },
  },
  placeholderRefs: {
    ctaIds: [],
    webhookEndpointIds: [],
    emailSenderIds: [EMAIL_SENDER],
    notifyEndpointIds: ['sales-slack'],
    inboundHookIds: [],
  },
  graph: {
    nodes: [
      {
        id: 'identified',
        type: 'trigger_visitor_identified',
        label: 'New lead',
        position: { x: 0, y: 0 },
        config: {},
      },
      {
        id: 'has_email',
        type: 'condition',
        label: 'Has an email?',
        position: { x: 0, y: 150 },
        config: {
          group: {
            kind: 'group',
            combinator: 'and',
            rules: [{ kind: 'rule', source: 'trait', key: 'email', operator: 'exists' }],
          },
        },
      },
      { id: 'no_email', type: 'exit', label: 'No email', position: { x: 250, y: 300 }, config: {} },
      {
        id: 'tag_lead',
        type: 'update_visitor',
        label: 'Tag as lead',
        position: { x: 0, y: 300 },
        config: {
          setTraits: [{ key: 'lifecycle_stage', value: 'lead', valueType: 'string' }],
          unsetTraits: [],
          addTags: ['lead'],
          removeTags: [],
        },
      },
      {
        id: 'welcome_email',
        type: 'send_email',
        label: 'Welcome email',
        position: { x: 0, y: 450 },
        config: {
          senderId: EMAIL_SENDER,
          to: '{{visitor.traits.email}}',
          subject: 'Welcome, {{visitor.traits.first_name}}!',
          html: '<h1>Welcome{{#visitor.traits.first_name}}, {{visitor.traits.first_name}}{{/visitor.traits.first_name}}!</h1><p>Glad to have you.</p>',
          text: 'Welcome! Glad to have you.',
        },
      },
      {
        id: 'wait_two_days',
        type: 'wait',
        label: '2 days',
        position: { x: 0, y: 600 },
        config: { mode: 'duration', duration: { amount: 2, unit: 'days' } },
      },
      {
        id: 'office_hours',
        type: 'wait',
        label: 'Weekday office hours',
        position: { x: 0, y: 750 },
        config: {
          mode: 'time_window',
          window: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' },
        },
      },
      {
        id: 'tips_email',
        type: 'send_email',
        label: 'Getting started tips',
        position: { x: 0, y: 900 },
        config: {
          senderId: EMAIL_SENDER,
          to: '{{visitor.traits.email}}',
          subject: 'Three tips to get started',
          text: 'Hi {{visitor.traits.first_name}}, here are three tips to get the most out of your account.',
        },
      },
      {
        id: 'alert_sales',
        type: 'notify',
        label: 'Tell sales',
        position: { x: 0, y: 1050 },
        config: {
          endpointId: 'sales-slack',
          text: 'New lead finished the welcome series: {{visitor.traits.email}}',
        },
      },
    ],
    edges: [
      { id: 'e_trigger_condition', source: 'identified', sourceHandle: 'next', target: 'has_email' },
      { id: 'e_condition_no', source: 'has_email', sourceHandle: 'no', target: 'no_email' },
      { id: 'e_condition_yes', source: 'has_email', sourceHandle: 'yes', target: 'tag_lead' },
      { id: 'e_tag_welcome', source: 'tag_lead', sourceHandle: 'next', target: 'welcome_email' },
      { id: 'e_welcome_wait', source: 'welcome_email', sourceHandle: 'next', target: 'wait_two_days' },
      { id: 'e_wait_window', source: 'wait_two_days', sourceHandle: 'next', target: 'office_hours' },
      { id: 'e_window_tips', source: 'office_hours', sourceHandle: 'next', target: 'tips_email' },
      { id: 'e_tips_sales', source: 'tips_email', sourceHandle: 'next', target: 'alert_sales' },
    ],
  },
};

const reEngageReturning: FlowTemplate = {
  id: 're-engage-returning-visitors',
  name: 'Re-engage returning visitors',
  description:
    'Visitors back for a third visit after a week without buying see one of two offers (A/B test) to win them over.',
  settings: {
    reEntry: { mode: 'once_per_days', days: 30 },
    maxConcurrentRunsPerVisitor: 1,
    goal: { event: 'purchase', filters: [] },
    exitConditions: [],
  },
  placeholderRefs: {
    ctaIds: ['returning-discount', 'returning-guide'],
    webhookEndpointIds: [],
    emailSenderIds: [],
    notifyEndpointIds: [],
    inboundHookIds: [],
  },
  graph: {
    nodes: [
      {
        id: 'page_view',
        type: 'trigger_page_visit',
        label: 'Any page',
        position: { x: 0, y: 0 },
        config: { urlRules: [{ target: 'path', operator: 'wildcard', value: '/*' }], queryFilters: [] },
      },
      {
        id: 'returning',
        type: 'condition',
        label: 'Returning, not a customer',
        position: { x: 0, y: 150 },
        config: {
          group: {
            kind: 'group',
            combinator: 'and',
            rules: [
              { kind: 'rule', source: 'visit_count', operator: 'gte', value: 3 },
              { kind: 'rule', source: 'days_since_first_seen', operator: 'gte', value: 7 },
              { kind: 'rule', source: 'tags', operator: 'not_contains', value: 'customer' },
            ],
          },
        },
      },
      { id: 'not_returning', type: 'exit', label: 'Not yet', position: { x: 250, y: 300 }, config: {} },
      {
        id: 'offer_test',
        type: 'split',
        label: 'Offer A/B',
        position: { x: 0, y: 300 },
        config: {
          branches: [
            { id: 'discount', label: 'Discount', weight: 50 },
            { id: 'guide', label: 'Buying guide', weight: 50 },
          ],
        },
      },
      {
        id: 'show_discount',
        type: 'show_cta',
        label: '10% off',
        position: { x: -200, y: 450 },
        config: { ctaId: 'returning-discount' },
      },
      {
        id: 'show_guide',
        type: 'show_cta',
        label: 'Buying guide',
        position: { x: 200, y: 450 },
        config: { ctaId: 'returning-guide' },
      },
    ],
    edges: [
      { id: 'e_trigger_condition', source: 'page_view', sourceHandle: 'next', target: 'returning' },
      { id: 'e_condition_no', source: 'returning', sourceHandle: 'no', target: 'not_returning' },
      { id: 'e_condition_yes', source: 'returning', sourceHandle: 'yes', target: 'offer_test' },
      { id: 'e_split_discount', source: 'offer_test', sourceHandle: 'discount', target: 'show_discount' },
      { id: 'e_split_guide', source: 'offer_test', sourceHandle: 'guide', target: 'show_guide' },
    ],
  },
};

export const FLOW_TEMPLATES: readonly FlowTemplate[] = [
  abandonedCart,
  exitIntentPopup,
  welcomeSeries,
  reEngageReturning,
];

export function findFlowTemplate(id: string): FlowTemplate | undefined {
  return FLOW_TEMPLATES.find((template) => template.id === id);
}
