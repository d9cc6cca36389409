import fc from 'fast-check';
import { maskedKey, newKeyToken, parseKeyToken } from './key-token';

describe('site key tokens', () => {
  it('round-trips the kind and site id of any key', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.constantFrom('write' as const, 'secret' as const), (siteId, kind) => {
        const key = newKeyToken(kind, siteId);
        expect(parseKeyToken(key.token)).toEqual({ kind, siteId: siteId.toLowerCase() });
        expect(key.publicToken).toBe(kind === 'write' ? key.token : null);
        expect(key.tokenHash).toHaveLength(32);
      }),
    );
  });

  it('rejects anything that is not a key', () => {
    fc.assert(fc.property(fc.string(), (s) => expect(parseKeyToken(`x${s}`)).toBeUndefined()));
    expect(parseKeyToken('nf_sk_123')).toBeUndefined();
  });

  it('masks secret keys down to their last four characters', () => {
    expect(maskedKey('secret', 'abcd')).toBe('nf_sk_…abcd');
  });
});
