import type { WebhookAttempt, WebhookEndpoint } from '../api/webhooks';
import { formatDuration } from '../runs/run-timeline';

export type Tone = 'ok' | 'warning' | 'error' | 'muted';

export interface EndpointHealth {
  tone: Tone;
  /** Short words for a badge. */
  label: string;
  /** Why, in a sentence (shown prominently for disabled endpoints). */
  detail?: string;
}

/**
 * How an endpoint is doing: enabled and healthy, enabled but failing (it will be disabled if it keeps
 * failing), or disabled — by a person, because the receiver answered 410 Gone, or after failing too long.
 */
export function endpointHealth(endpoint: WebhookEndpoint, now = Date.now()): EndpointHealth {
  const failingFor = endpoint.failingSince ? now - Date.parse(endpoint.failingSince) : null;
  if (!endpoint.enabled) {
    switch (endpoint.disabledReason) {
      case 'gone':
        return {
          tone: 'error',
          label: 'Disabled: 410 Gone',
          detail:
            'The receiver answered 410 Gone, which means “stop sending”. Fix the receiver, then enable the endpoint and recover the failed messages.',
        };
      case 'failing':
        return {
          tone: 'error',
          label: 'Disabled: kept failing',
          detail: `Every delivery failed${failingFor !== null ? ` for ${formatDuration(failingFor)}` : ''}${
            endpoint.failingSince ? ` (since ${new Date(endpoint.failingSince).toLocaleString()})` : ''
          }, so it was disabled. Fix the receiver, then enable it and recover the failed messages.`,
        };
      case 'manual':
      case null:
        return { tone: 'muted', label: 'Disabled', detail: 'Disabled by a team member. Nothing is sent.' };
      default:
        return { tone: 'error', label: 'Disabled', detail: `Disabled: ${endpoint.disabledReason}.` };
    }
  }
  if (failingFor !== null)
    return {
      tone: 'warning',
      label: 'Failing',
      detail: `Deliveries have failed for ${formatDuration(failingFor)}; it is disabled automatically if they keep failing.`,
    };
  return { tone: 'ok', label: 'Enabled' };
}

/** Disabled endpoints first (they need attention), then failing, then the rest by URL. */
export function sortEndpoints(endpoints: WebhookEndpoint[], now = Date.now()): WebhookEndpoint[] {
  const rank: Record<Tone, number> = { error: 0, warning: 1, muted: 2, ok: 3 };
  return [...endpoints].sort(
    (a, b) =>
      rank[endpointHealth(a, now).tone] - rank[endpointHealth(b, now).tone] || a.url.localeCompare(b.url),
  );
}

/** The first `max` characters of a receiver's response, on one line. */
export function responseExcerpt(response: string | null, max = 120): string {
  if (!response) return '';
  const flat = response.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** An attempt's outcome in words: the HTTP status, or the network error. */
export function attemptOutcome(attempt: WebhookAttempt): { text: string; ok: boolean } {
  if (attempt.status !== null)
    return { text: `HTTP ${attempt.status}`, ok: attempt.status >= 200 && attempt.status < 300 };
  return { text: attempt.error ?? 'no response', ok: false };
}

/** `Name: value` lines, one header a line, as the API's header map; each bad line is named. */
export function parseHeaderLines(text: string): { headers: Record<string, string>; errors: string[] } {
  const headers: Record<string, string> = {};
  const errors: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name)) {
      errors.push(`line ${index + 1}: expected “Header-Name: value”`);
      return;
    }
    if (Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
      errors.push(`line ${index + 1}: ${name} is given twice`);
      return;
    }
    headers[name] = line.slice(colon + 1).trim();
  });
  return { headers, errors };
}

export function formatHeaderLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** Client-side checks mirroring the API's, so the form names the field before a round trip. */
export function endpointUrlProblem(url: string): string | undefined {
  const value = url.trim();
  if (!value) return 'URL is required';
  if (!/^https?:\/\//i.test(value)) return 'URL must start with http:// or https://';
  try {
    new URL(value);
  } catch {
    return 'URL is not valid';
  }
  if (value.length > 2048) return 'URL is longer than 2048 characters';
  return undefined;
}
