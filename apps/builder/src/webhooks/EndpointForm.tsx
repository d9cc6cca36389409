import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import {
  SYSTEM_EVENT_TYPES,
  webhooksApi,
  type EndpointInput,
  type SystemEventType,
  type WebhookEndpoint,
} from '../api/webhooks';
import { localInputToIso } from '../runs/run-timeline';
import { toast } from '../state/toast-store';
import { endpointUrlProblem, formatHeaderLines, parseHeaderLines } from './webhook-view';

export function EndpointForm({
  siteId,
  endpoint,
  onDone,
}: {
  siteId: string;
  endpoint: WebhookEndpoint | null;
  onDone: (created?: { url: string; secret: string }) => void;
}) {
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true);
  const [eventTypes, setEventTypes] = useState<SystemEventType[]>(endpoint?.eventTypes ?? []);
  const [headersText, setHeadersText] = useState(formatHeaderLines(endpoint?.headers ?? {}));
  const [secretHeadersText, setSecretHeadersText] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const headers = parseHeaderLines(headersText);
    const secretHeaders = parseHeaderLines(secretHeadersText);
    const next: Record<string, string> = {};
    const urlProblem = endpointUrlProblem(url);
    if (urlProblem) next.url = urlProblem;
    if (headers.errors.length) next.headers = headers.errors.join('; ');
    if (secretHeaders.errors.length) next.secretHeaders = secretHeaders.errors.join('; ');
    setProblems(next);
    if (Object.keys(next).length) return;
    const input: EndpointInput = {
      url: url.trim(),
      description: description.trim(),
      enabled,
      eventTypes,
      headers: headers.headers,
      ...(secretHeadersText.trim() ? { secretHeaders: secretHeaders.headers } : {}),
    };
    setBusy(true);
    try {
      if (endpoint) {
        await webhooksApi.update(siteId, endpoint.id, input);
        toast('Endpoint saved');
        onDone();
      } else {
        const created = await webhooksApi.create(siteId, input);
        toast('Endpoint created');
        onDone({ url: created.url, secret: created.secret });
      }
    } catch (error) {
      const message = errorMessage(error);
      if (/^url:/.test(message)) setProblems({ url: message.replace(/^url:\s*/, 'URL ') });
      else toast(message, 'error');
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (key: string) =>
    problems[key] && (
      <span className="field__error" role="alert" id={`wh-${key}-error`}>
        {problems[key]}
      </span>
    );
  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Webhook endpoint">
      <label className="field">
        <span className="field__label">Endpoint URL</span>
        <input
          className="input mono"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://hooks.example.com/nudgeflow"
          aria-invalid={Boolean(problems.url)}
          aria-describedby={problems.url ? 'wh-url-error' : undefined}
          autoFocus
        />
        {fieldError('url')}
      </label>
      <label className="field">
        <span className="field__label">Description (optional)</span>
        <input className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
        <legend className="field__label">System events to receive</legend>
        <div className="row">
          {SYSTEM_EVENT_TYPES.map((type) => (
            <label key={type} className="checkbox">
              <input
                type="checkbox"
                checked={eventTypes.includes(type)}
                onChange={(e) =>
                  setEventTypes((prev) =>
                    e.target.checked ? [...prev, type] : prev.filter((candidate) => candidate !== type),
                  )
                }
              />
              <span className="mono small">{type}</span>
            </label>
          ))}
        </div>
        <span className="field__help">
          Flows send to this endpoint through their “Send webhook” steps whatever is chosen here.
        </span>
      </fieldset>
      <label className="field">
        <span className="field__label">Extra headers (optional)</span>
        <textarea
          className="input mono"
          rows={2}
          value={headersText}
          onChange={(e) => setHeadersText(e.target.value)}
          placeholder="X-Team: growth"
          aria-invalid={Boolean(problems.headers)}
        />
        <span className="field__help">One “Name: value” a line.</span>
        {fieldError('headers')}
      </label>
      <label className="field">
        <span className="field__label">Secret headers (optional, write-only)</span>
        <textarea
          className="input mono"
          rows={2}
          value={secretHeadersText}
          onChange={(e) => setSecretHeadersText(e.target.value)}
          placeholder="Authorization: Bearer …"
          aria-invalid={Boolean(problems.secretHeaders)}
        />
        <span className="field__help">
          Stored encrypted and never shown again.
          {endpoint?.secretHeaderNames.length
            ? ` Set now: ${endpoint.secretHeaderNames.join(', ')}. Leave empty to keep them.`
            : ''}
        </span>
        {fieldError('secretHeaders')}
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled
      </label>
      <div className="modal__actions">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {endpoint ? 'Save endpoint' : 'Create endpoint'}
        </button>
      </div>
    </form>
  );
}

export function RecoverForm({
  siteId,
  endpoint,
  onDone,
}: {
  siteId: string;
  endpoint: WebhookEndpoint;
  onDone: () => void;
}) {
  const defaultSince = endpoint.failingSince ?? new Date(Date.now() - 86_400_000).toISOString();
  // datetime-local wants local time without a zone.
  const local = new Date(Date.parse(defaultSince) - new Date().getTimezoneOffset() * 60_000)
    .toISOString()
    .slice(0, 16);
  const [since, setSince] = useState(local);
  const recover = useMutation({
    mutationFn: async () => {
      if (!endpoint.enabled) await webhooksApi.update(siteId, endpoint.id, { enabled: true });
      const iso = localInputToIso(since);
      if (!iso) throw new Error('Failed since: choose a date and time');
      return webhooksApi.recover(siteId, endpoint.id, iso);
    },
    onSuccess: (result) => {
      toast(`${result.requeued} failed message${result.requeued === 1 ? '' : 's'} queued again`);
      onDone();
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        recover.mutate();
      }}
    >
      <p style={{ margin: 0 }}>
        Every failed message to <span className="mono">{endpoint.url}</span> created since this time is sent
        again, with its original webhook-id so receivers can drop duplicates.
        {!endpoint.enabled && ' The endpoint is enabled first.'}
      </p>
      <label className="field">
        <span className="field__label">Failed since</span>
        <input
          className="input"
          type="datetime-local"
          value={since}
          onChange={(e) => setSince(e.target.value)}
          required
        />
      </label>
      <div className="modal__actions">
        <button type="submit" className="btn btn--primary" disabled={recover.isPending}>
          Recover failed messages
        </button>
      </div>
    </form>
  );
}
