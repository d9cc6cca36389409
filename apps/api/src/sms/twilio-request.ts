/**
 * The Twilio-compatible "create message" call, as pure functions: what to POST, and what the answer
 * means. Any provider speaking this API works (Twilio, or a compatible gateway at another base URL).
 */
export interface SmsProviderCredentials {
  /** e.g. `https://api.twilio.com`; the path below is appended. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** The sender: an E.164 number or an alphanumeric sender id. */
  fromNumber: string;
}

export interface SmsRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** `POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, basic auth. */
export function messageRequest(
  provider: SmsProviderCredentials,
  message: { to: string; body: string },
  idempotencyKey: string,
): SmsRequest {
  const base = provider.baseUrl.replace(/\/+$/, '');
  const auth = Buffer.from(`${provider.accountSid}:${provider.authToken}`, 'utf8').toString('base64');
  return {
    url: `${base}/2010-04-01/Accounts/${encodeURIComponent(provider.accountSid)}/Messages.json`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${auth}`,
      'user-agent': 'Nudgeflow-SMS/1',
      // Not part of Twilio's API (it ignores it); a gateway that dedupes can use it.
      'idempotency-key': idempotencyKey,
    },
    body: new URLSearchParams({ To: message.to, From: provider.fromNumber, Body: message.body }).toString(),
  };
}

/**
 * What an answer means: `sent` (2xx), `retry` (no answer, timeout, 408, 429, 5xx) or `rejected`
 * (any other 4xx: bad number, bad credentials, an opted-out recipient; retrying changes nothing).
 */
export function classifyAnswer(statusCode: number | null): 'sent' | 'retry' | 'rejected' {
  if (statusCode === null) return 'retry';
  if (statusCode >= 200 && statusCode < 300) return 'sent';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'retry';
  return 'rejected';
}

/** The message's `sid` and `status` from the (possibly cut off) JSON answer, when present. */
export function messageReceipt(responseBody: string | null): { sid: string | null; status: string | null } {
  const field = (name: string) =>
    new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]{1,64})"`).exec(responseBody ?? '')?.[1] ?? null;
  return { sid: field('sid'), status: field('status') };
}

/** A provider error body (`{"code": 21211, "message": "..."}`) in one short line for the run log. */
export function providerError(statusCode: number | null, responseBody: string | null, error: string | null) {
  if (statusCode === null) return error ?? 'no answer';
  const text = (responseBody ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  return `HTTP ${statusCode}${text ? `: ${text}` : ''}`;
}
