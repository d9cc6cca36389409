import { NODE_REGISTRY, type NodeType } from '@nudgeflow/flow-schema';
import { pickerOptions, refFieldsOf } from './ref-fields';

describe('reference fields of nodes', () => {
  it('finds the reference field of each kind that has one, from the shared registry', () => {
    const found = Object.fromEntries(
      (Object.keys(NODE_REGISTRY) as NodeType[]).map((type) => [
        type,
        refFieldsOf({ id: 'n', type, config: NODE_REGISTRY[type].defaults() } as never),
      ]),
    );
    expect(found.show_cta).toEqual([{ field: 'ctaId', kind: 'cta' }]);
    expect(found.trigger_cta_interaction).toEqual([{ field: 'ctaId', kind: 'cta' }]);
    expect(found.send_webhook).toEqual([{ field: 'endpointId', kind: 'webhook_endpoint' }]);
    expect(found.trigger_inbound_webhook).toEqual([{ field: 'hookId', kind: 'inbound_hook' }]);
    expect(found.condition).toEqual([]);
    expect(found.wait).toEqual([]);
  });

  it('works on a draft config that does not parse yet', () => {
    expect(refFieldsOf({ id: 'n', type: 'send_webhook', config: {} } as never)).toEqual([
      { field: 'endpointId', kind: 'webhook_endpoint' },
    ]);
  });

  it('keeps a value that names no known resource visible, marked as not found', () => {
    const options = [{ value: 'a', label: 'A' }];
    expect(pickerOptions(options, 'a')).toBe(options);
    expect(pickerOptions(options, '')).toBe(options);
    expect(pickerOptions(options, 'gone')).toEqual([
      { value: 'a', label: 'A' },
      { value: 'gone', label: 'gone (not found in this site)', disabled: true },
    ]);
  });
});
