import { JSON_PATH_RE, readPath, readString } from './json-path';

describe('json path', () => {
  const doc = { type: 'order.paid', data: { customer: { id: 42, email: 'a@b.c' }, items: [{ sku: 'X1' }] } };

  it('reads properties and indexes, with or without $.', () => {
    expect(readPath(doc, 'type')).toBe('order.paid');
    expect(readPath(doc, '$.data.customer.email')).toBe('a@b.c');
    expect(readPath(doc, 'data.items[0].sku')).toBe('X1');
    expect(readPath(doc, 'data.items[3].sku')).toBeUndefined();
    expect(readPath(doc, 'data.nope.deeper')).toBeUndefined();
  });

  it('never walks the prototype', () => {
    expect(readPath(doc, 'constructor')).toBeUndefined();
    expect(readPath(doc, 'data.__proto__')).toBeUndefined();
  });

  it('gives scalars as strings only', () => {
    expect(readString(doc, 'data.customer.id')).toBe('42');
    expect(readString(doc, 'data.customer')).toBeUndefined();
    expect(readString({ a: '  ' }, 'a')).toBeUndefined();
  });

  it('accepts only plain paths', () => {
    for (const ok of ['type', '$.a.b', 'a[0].b', 'data.customer_id'])
      expect(JSON_PATH_RE.test(ok)).toBe(true);
    for (const bad of ['', 'a..b', 'a[*]', 'a[?(@.x)]', '$..a', 'a b'])
      expect(JSON_PATH_RE.test(bad)).toBe(false);
  });
});
