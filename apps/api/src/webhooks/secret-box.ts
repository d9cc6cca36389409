import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Used only outside production (the app refuses to start in production without SECRETS_KEY). */
export const DEV_SECRETS_KEY = 'nudgeflow-development-secrets-key-change-me';

/**
 * Encryption at rest for secrets the API must use but never show (signing secrets, custom header
 * values, inbound verification secrets): AES-256-GCM, `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: string) {
    // Accept 32 raw bytes as base64/hex, or any passphrase (hashed to 32 bytes).
    const b64 = Buffer.from(key, 'base64');
    const hex = /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : undefined;
    this.key = hex ?? (b64.length === 32 ? b64 : createHash('sha256').update(key).digest());
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unknown sealed secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
