import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export const SECRET_RE = /^whsec_[A-Za-z0-9+/]{22,}={0,2}$/;

/** A Standard Webhooks message id; stable for a message across every attempt (the receiver's key). */
export const webhookIdFor = (messageId: string): string => `msg_${messageId.replace(/-/g, '')}`;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs the exact bytes sent. During a rotation's overlap window both secrets sign, space-separated,
 * so receivers holding either secret verify.
 */
export function signedHeaders(
  secrets: readonly string[],
  webhookId: string,
  at: Date,
  body: string | Buffer,
): SignedHeaders {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  const signatures = secrets.map((s) => new Webhook(s).sign(webhookId, at, body));
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

/** Verifies an inbound request with the package's own check (timestamp tolerance, constant-time compare). */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  headers: Record<string, string>,
): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}
