import { Webhook } from 'standardwebhooks';
import {
  generateSigningSecret,
  SECRET_RE,
  signedHeaders,
  verifySignature,
  webhookIdFor,
} from './webhook-signature';
import { SecretBox } from './secret-box';

describe('webhook signatures (standardwebhooks)', () => {
  const body = '{"type":"run.completed","data":{"x":"ü"}}';

  it('generates whsec_ secrets of 24 random bytes', () => {
    const s = generateSigningSecret();
    expect(s).toMatch(SECRET_RE);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(s);
  });

  it('produces headers the reference library verifies, over the exact bytes', () => {
    const secret = generateSigningSecret();
    const h = signedHeaders([secret], webhookIdFor('0b9e1d8e-5d8a-4a3c-9f1e-2b7c9d6e4f10'), new Date(), body);
    expect(h['webhook-id']).toBe('msg_0b9e1d8e5d8a4a3c9f1e2b7c9d6e4f10');
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...h })).toEqual(JSON.parse(body));
    expect(verifySignature(secret, body.replace('ü', 'u'), { ...h })).toBe(false);
    expect(verifySignature(generateSigningSecret(), body, { ...h })).toBe(false);
  });

  it('signs byte for byte as the package does (ASCII, non-ASCII, Buffer bodies)', () => {
    const secret = generateSigningSecret();
    const at = new Date('2026-11-28T14:00:00.123Z');
    for (const b of [body, '{}', `{"t":"${'x'.repeat(5000)}","e":"😀 ü"}`, Buffer.from(body)]) {
      const h = signedHeaders([secret], 'msg_2b7c9d6e4f10', at, b);
      expect(h['webhook-signature']).toBe(new Webhook(secret).sign('msg_2b7c9d6e4f10', at, b));
      expect(h['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    }
  });

  it('sends both signatures, space-separated, during a rotation overlap', () => {
    const [old, fresh] = [generateSigningSecret(), generateSigningSecret()];
    const h = signedHeaders([fresh, old], 'msg_1', new Date(), body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifySignature(old, body, { ...h })).toBe(true);
    expect(verifySignature(fresh, body, { ...h })).toBe(true);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signedHeaders([], 'msg_1', new Date(), body)).toThrow();
  });
});

describe('SecretBox (AES-256-GCM at rest)', () => {
  it('round-trips, never stores the plaintext, and detects tampering or the wrong key', () => {
    const box = new SecretBox('a passphrase that is long enough');
    const sealed = box.seal('Bearer top-secret');
    expect(sealed).not.toContain('top-secret');
    expect(box.seal('Bearer top-secret')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('Bearer top-secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('Bearer top-secreT').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox('another passphrase, long enough').open(sealed)).toThrow();
  });

  it('accepts a 32-byte key as hex or base64', () => {
    const hex = 'ab'.repeat(32);
    expect(new SecretBox(hex).open(new SecretBox(hex).seal('x'))).toBe('x');
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(new SecretBox(b64).open(new SecretBox(b64).seal('y'))).toBe('y');
  });
});
