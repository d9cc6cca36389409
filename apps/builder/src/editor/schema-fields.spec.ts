import { NODE_REGISTRY, NODE_TYPES } from '@nudgeflow/flow-schema';
import {
  cleanValue,
  defaultValueFor,
  describe as describeField,
  humanize,
  parseScalar,
  type ZodLike,
} from './schema-fields';

const schemaOf = (type: keyof typeof NODE_REGISTRY) => NODE_REGISTRY[type].configSchema as unknown as ZodLike;

describe('form fields from the node schemas', () => {
  it('every node kind has an object config the form can render', () => {
    for (const type of NODE_TYPES) {
      const spec = describeField(schemaOf(type));
      expect(['object', 'variant']).toContain(spec.kind);
    }
  });

  it('reads strings, enums, numbers and optional fields', () => {
    const spec = describeField(schemaOf('wait_for_event'));
    if (spec.kind !== 'object') throw new Error('expected object');
    const kinds = Object.fromEntries(spec.fields.map((field) => [field.key, describeField(field.schema)]));
    expect(kinds.event).toMatchObject({ kind: 'string', optional: false, multiline: false });
    expect(kinds.correlationProperty).toMatchObject({ kind: 'string', optional: true });
    expect(kinds.filters).toMatchObject({ kind: 'array', optional: true });
    expect(kinds.timeout).toMatchObject({ kind: 'object' });
  });

  it('sees the wait modes as variants and rule values as scalars', () => {
    expect(describeField(schemaOf('wait'))).toMatchObject({ kind: 'variant', discriminator: 'mode' });
    const condition = describeField(schemaOf('condition'));
    if (condition.kind !== 'object') throw new Error('expected object');
    const group = describeField(condition.fields[0]!.schema);
    if (group.kind !== 'object') throw new Error('expected group object');
    const rules = describeField(group.fields.find((field) => field.key === 'rules')!.schema);
    if (rules.kind !== 'array') throw new Error('expected array');
    const item = describeField(rules.element);
    expect(item).toMatchObject({ kind: 'variant', discriminator: 'kind' });
  });

  it('makes defaults that the schema accepts for simple kinds', () => {
    const duration = defaultValueFor(schemaOf('wait'));
    expect(duration).toMatchObject({ mode: 'duration' });
    expect(defaultValueFor(schemaOf('exit'))).toEqual({});
  });

  it('cleans form values into typed config', () => {
    const cleaned = cleanValue(schemaOf('wait_for_event'), {
      event: 'checkout',
      correlationProperty: '',
      filters: [{ property: 'total', operator: 'gt', value: '100' }],
      timeout: { amount: 2, unit: 'hours' },
    });
    expect(cleaned).toEqual({
      event: 'checkout',
      filters: [{ property: 'total', operator: 'gt', value: 100 }],
      timeout: { amount: 2, unit: 'hours' },
    });
    const result = NODE_REGISTRY.wait_for_event.configSchema.safeParse(cleaned);
    expect(result.success).toBe(true);
  });

  it('parses rule values typed as text', () => {
    expect(parseScalar('42')).toBe(42);
    expect(parseScalar('true')).toBe(true);
    expect(parseScalar('a, b, 3')).toEqual(['a', 'b', 3]);
    expect(parseScalar('hello')).toBe('hello');
    expect(parseScalar('  ')).toBeUndefined();
  });

  it('humanizes keys', () => {
    expect(humanize('bodyTemplate')).toBe('Body template');
    expect(humanize('ctaId')).toBe('CTA ID');
    expect(humanize('utm')).toBe('UTM');
  });
});
