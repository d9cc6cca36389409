import { validateFlow } from './graph-validation';
import { parseTemplate } from './template-syntax';
import { isKnownTemplateVariable, TEMPLATE_VARIABLES, unknownTemplateVariables } from './template-variables';

const unknownIn = (template: string) => {
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw new Error(parsed.message);
  return unknownTemplateVariables(parsed.nodes);
};

describe('template variable catalogue', () => {
  it.each([
    'visitor.id',
    'visitor.anonymousId',
    'visitor.userId',
    'visitor.traits.first_name',
    'visitor.traits.address.city',
    'visitor.utm.campaign',
    'event.properties.total',
    'trigger.properties.plan',
    'trigger.name',
    'run.id',
    'site.timezone',
    'now',
  ])('knows %s', (name) => expect(isKnownTemplateVariable(name)).toBe(true));

  it.each([
    'visitor.anonymousID',
    'visitor.anonymous_id',
    'visitor.email',
    'visitor.name',
    'event.props.total',
    'trigger.event',
    'run.status',
    'site.name',
    'first_name',
    'user.id',
    'nowish',
  ])('refuses %s', (name) => expect(isKnownTemplateVariable(name)).toBe(false));

  it('checks names inside sections when they start at a root, and lets relative names through', () => {
    expect(unknownIn('{{#visitor.tags}}{{.}} {{/visitor.tags}}')).toEqual([]);
    expect(unknownIn('{{#visitor.traits.address}}{{city}}{{/visitor.traits.address}}')).toEqual([]);
    expect(unknownIn('{{#visitor.traits.vip}}{{visitor.nmae}}{{/visitor.traits.vip}}')).toEqual([
      'visitor.nmae',
    ]);
    expect(unknownIn('{{^visitor.bogus}}x{{/visitor.bogus}}')).toEqual(['visitor.bogus']);
    expect(unknownIn('Hi {{visitor.traits.first_name}} {{visitor.anonymousID}} {{x}} {{x}}')).toEqual([
      'visitor.anonymousID',
      'x',
    ]);
  });

  it('every catalogue entry is itself known', () => {
    for (const v of TEMPLATE_VARIABLES)
      expect(isKnownTemplateVariable(v.path.replace(/\.\*$/, '.x'))).toBe(true);
  });
});

describe('validateFlow: an unknown template variable is an error on its node', () => {
  const graph = (config: Record<string, unknown>, type = 'notify') => ({
    nodes: [
      { id: 't', type: 'trigger_event', position: { x: 0, y: 0 }, config: { event: 'signup', filters: [] } },
      { id: 'act', type, position: { x: 0, y: 100 }, config },
    ],
    edges: [{ id: 'e1', source: 't', sourceHandle: 'next', target: 'act' }],
  });

  it.each([
    ['notify', { endpointId: 'ep', text: 'Lead {{visitor.anonymousID}}' }, ['text']],
    ['send_email', { senderId: 's', to: '{{visitor.email}}', subject: 'Hi', text: 'x' }, ['to']],
    ['send_webhook', { endpointId: 'ep', bodyTemplate: '{"id": "{{run.status}}"}' }, ['bodyTemplate']],
    [
      'update_visitor',
      {
        setTraits: [
          { key: 'a', value: 'ok' },
          { key: 'b', value: '{{event.props.x}}' },
        ],
      },
      ['setTraits', 1, 'value'],
    ],
  ])('%s', (type, config, field) => {
    const errors = validateFlow(graph(config, type)).filter((e) => e.code === 'UNKNOWN_TEMPLATE_VARIABLE');
    expect(errors).toEqual([
      expect.objectContaining({ nodeId: 'act', path: ['nodes', 1, 'config', ...field] }),
    ]);
  });

  it('known variables validate', () => {
    const errors = validateFlow(
      graph({
        endpointId: 'ep',
        text: '{{visitor.anonymousId}} {{visitor.userId}} {{trigger.properties.x}}',
      }),
    );
    expect(errors.filter((e) => e.code === 'UNKNOWN_TEMPLATE_VARIABLE')).toEqual([]);
  });
});
