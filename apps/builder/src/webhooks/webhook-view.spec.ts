import type { WebhookEndpoint } from '../api/webhooks';
import { messagesQuery } from '../api/webhooks';
import {
  attemptOutcome,
  endpointHealth,
  endpointUrlProblem,
  formatHeaderLines,
  parseHeaderLines,
  responseExcerpt,
  sortEndpoints,
} from './webhook-view';

const NOW = Date.parse('2026-11-28T10:00:00.000Z');

function endpoint(partial: Partial<WebhookEndpoint>): WebhookEndpoint {
  return {
    id: 'e',
    url: 'https://hooks.example.com/a',
    description: '',
    enabled: true,
    disabledReason: null,
    eventTypes: [],
    headers: {},
    secretHeaderNames: [],
    failingSince: null,
    secretRotatedUntil: null,
    createdAt: new Date(NOW).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    ...partial,
  };
}

describe('endpoint health', () => {
  it('explains why an endpoint is disabled: 410 Gone, failing for days, or by hand', () => {
    const gone = endpointHealth(endpoint({ enabled: false, disabledReason: 'gone' }), NOW);
    expect(gone).toMatchObject({ tone: 'error', label: 'Disabled: 410 Gone' });
    const failing = endpointHealth(
      endpoint({
        enabled: false,
        disabledReason: 'failing',
        failingSince: new Date(NOW - 5 * 86_400_000).toISOString(),
      }),
      NOW,
    );
    expect(failing.tone).toBe('error');
    expect(failing.detail).toMatch(/^Every delivery failed for 5 d/);
    expect(endpointHealth(endpoint({ enabled: false, disabledReason: 'manual' }), NOW)).toMatchObject({
      tone: 'muted',
      label: 'Disabled',
    });
  });

  it('warns about an enabled endpoint that is failing, and is quiet when healthy', () => {
    const failing = endpointHealth(
      endpoint({ failingSince: new Date(NOW - 3 * 3_600_000).toISOString() }),
      NOW,
    );
    expect(failing).toMatchObject({ tone: 'warning', label: 'Failing' });
    expect(failing.detail).toMatch(/3\.0 h/);
    expect(endpointHealth(endpoint({}), NOW)).toEqual({ tone: 'ok', label: 'Enabled' });
  });

  it('sorts the endpoints that need attention first', () => {
    const list = [
      endpoint({ id: 'ok', url: 'https://a' }),
      endpoint({ id: 'manual', enabled: false, disabledReason: 'manual' }),
      endpoint({ id: 'gone', enabled: false, disabledReason: 'gone' }),
      endpoint({ id: 'warn', failingSince: new Date(NOW - 1000).toISOString() }),
    ];
    expect(sortEndpoints(list, NOW).map((e) => e.id)).toEqual(['gone', 'warn', 'manual', 'ok']);
  });
});

describe('delivery log helpers', () => {
  it('builds the messages query from the filters, leaving empty ones out', () => {
    expect(messagesQuery({})).toBe('');
    expect(messagesQuery({ endpointId: 'e1', status: 'failed', limit: 50 })).toBe(
      '?endpointId=e1&status=failed&limit=50',
    );
    expect(messagesQuery({ before: '2026-11-28T10:00:00.000Z' })).toBe(
      '?before=2026-11-28T10%3A00%3A00.000Z',
    );
  });

  it('excerpts responses on one line and names attempt outcomes', () => {
    expect(responseExcerpt(null)).toBe('');
    expect(responseExcerpt('  {"ok":\n true}  ')).toBe('{"ok": true}');
    expect(responseExcerpt('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
    const base = { attempt: 1, webhookId: 'msg_1', at: '', latencyMs: 12, response: null, tries: 1 };
    expect(attemptOutcome({ ...base, status: 204, error: null })).toEqual({ text: 'HTTP 204', ok: true });
    expect(attemptOutcome({ ...base, status: 503, error: null })).toEqual({ text: 'HTTP 503', ok: false });
    expect(attemptOutcome({ ...base, status: null, error: 'ECONNREFUSED' })).toEqual({
      text: 'ECONNREFUSED',
      ok: false,
    });
  });
});

describe('endpoint form helpers', () => {
  it('parses header lines and names each bad line', () => {
    expect(parseHeaderLines('X-Team: growth\n\nX-Env:  prod ')).toEqual({
      headers: { 'X-Team': 'growth', 'X-Env': 'prod' },
      errors: [],
    });
    expect(parseHeaderLines('no colon here\nx-a: 1\nX-A: 2').errors).toEqual([
      'line 1: expected “Header-Name: value”',
      'line 3: X-A is given twice',
    ]);
    const headers = { 'X-A': '1', 'X-B': 'two words' };
    expect(parseHeaderLines(formatHeaderLines(headers)).headers).toEqual(headers);
  });

  it('checks the URL before sending it', () => {
    expect(endpointUrlProblem('')).toBe('URL is required');
    expect(endpointUrlProblem('ftp://x')).toBe('URL must start with http:// or https://');
    expect(endpointUrlProblem('http://')).toBe('URL is not valid');
    expect(endpointUrlProblem('https://hooks.example.com/x')).toBeUndefined();
  });
});
