import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { errorMessage } from '../api/client';
import {
  SYSTEM_EVENT_TYPES,
  webhooksApi,
  type EndpointInput,
  type InboundHook,
  type MessageStatus,
  type SystemEventType,
  type WebhookEndpoint,
  type WebhookMessage,
} from '../api/webhooks';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { Section } from '../components/Section';
import { Menu } from '../components/Menu';
import { Modal } from '../components/Modal';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { localInputToIso } from '../runs/run-timeline';
import { toast } from '../state/toast-store';
import {
  attemptOutcome,
  endpointHealth,
  endpointUrlProblem,
  formatHeaderLines,
  parseHeaderLines,
  responseExcerpt,
  sortEndpoints,
  type Tone,
} from '../webhooks/webhook-view';
import { TabBar } from '../components/TabBar';

const TABS = [
  { id: 'endpoints', label: 'Endpoints' },
  { id: 'log', label: 'Delivery log' },
  { id: 'inbound', label: 'Inbound hooks' },
] as const;
type TabId = (typeof TABS)[number]['id'];

const TONE_BADGE: Record<Tone, string> = {
  ok: 'badge badge--live',
  warning: 'badge badge--paused',
  error: 'badge badge--error',
  muted: 'badge badge--archived',
};

const time = (iso: string) => new Date(iso).toLocaleString();

/**
 * Outbound webhook endpoints (subscriptions, secrets, enable/disable), their delivery log with resend
 * and recover, and inbound hooks. Disabled endpoints are listed first with the reason in a banner.
 */
export function WebhooksPage() {
  const { siteId, site, canEdit } = useCurrentSite();
  const [params, setParams] = useSearchParams();
  const tab: TabId = TABS.some((t) => t.id === params.get('tab'))
    ? (params.get('tab') as TabId)
    : 'endpoints';
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints', siteId],
    queryFn: () => webhooksApi.list(siteId),
    enabled: !!siteId,
  });
  if (!site) return null;
  const showLog = (endpointId?: string, status?: MessageStatus) => {
    const next = new URLSearchParams({ tab: 'log' });
    if (endpointId) next.set('endpoint', endpointId);
    if (status) next.set('status', status);
    setParams(next, { replace: true });
  };
  return (
    <div className="page">
      <div className="page__header">
        <h1>Webhooks</h1>
        <span className="muted">{site.name}</span>
      </div>
      <TabBar
        label="Webhook sections"
        tabs={TABS}
        current={tab}
        onSelect={(id) => setParams({ tab: id }, { replace: true })}
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {endpoints.isLoading && tab !== 'inbound' && <Loading label="Loading endpoints…" />}
        {endpoints.error && tab !== 'inbound' && (
          <ErrorBanner error={endpoints.error} onRetry={() => void endpoints.refetch()} />
        )}
        {endpoints.data && tab === 'endpoints' && (
          <EndpointsTab siteId={siteId} endpoints={endpoints.data} canEdit={canEdit} onShowLog={showLog} />
        )}
        {endpoints.data && tab === 'log' && (
          <DeliveryLog
            siteId={siteId}
            endpoints={endpoints.data}
            canEdit={canEdit}
            endpointId={params.get('endpoint') ?? ''}
            status={(params.get('status') as MessageStatus | null) ?? ''}
            onFilter={(endpointId, status) => showLog(endpointId || undefined, status || undefined)}
          />
        )}
        {tab === 'inbound' && <InboundHooksTab siteId={siteId} canEdit={canEdit} />}
      </div>
    </div>
  );
}

function EndpointsTab({
  siteId,
  endpoints,
  canEdit,
  onShowLog,
}: {
  siteId: string;
  endpoints: WebhookEndpoint[];
  canEdit: boolean;
  onShowLog: (endpointId?: string, status?: MessageStatus) => void;
}) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<WebhookEndpoint | 'new' | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string; rotated: boolean } | null>(null);
  const [recovering, setRecovering] = useState<WebhookEndpoint | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['webhook-endpoints', siteId] }),
      queryClient.invalidateQueries({ queryKey: ['webhook-notices', siteId] }),
    ]);
  const action = (fn: () => Promise<unknown>, done: string) => async () => {
    try {
      await fn();
      toast(done);
      await refresh();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };
  const now = Date.now();
  const sorted = sortEndpoints(endpoints, now);
  const disabled = sorted.filter((e) => !e.enabled && e.disabledReason !== 'manual');

  return (
    <div className="sections">
      {disabled.map((e) => (
        <div
          key={e.id}
          className="banner banner--error"
          role="alert"
          aria-label={`Disabled endpoint ${e.url}`}
        >
          <span style={{ minWidth: 0, flex: 1 }}>
            <strong className="mono" style={{ overflowWrap: 'anywhere' }}>
              {e.url}
            </strong>{' '}
            was disabled. {endpointHealth(e, now).detail}
          </span>
          {canEdit && (
            <>
              <button
                type="button"
                className="btn btn--small"
                onClick={() =>
                  void action(() => webhooksApi.update(siteId, e.id, { enabled: true }), 'Endpoint enabled')()
                }
              >
                Enable
              </button>
              <button type="button" className="btn btn--small" onClick={() => setRecovering(e)}>
                Recover failed…
              </button>
            </>
          )}
          <button type="button" className="btn btn--small" onClick={() => onShowLog(e.id, 'failed')}>
            Failed messages
          </button>
        </div>
      ))}
      <Section
        title="Endpoints"
        description="Endpoints receive signed messages (Standard Webhooks) from “Send webhook” steps and the system events they subscribe to."
        actions={
          canEdit && (
            <button type="button" className="btn btn--primary" onClick={() => setEditing('new')}>
              New endpoint
            </button>
          )
        }
      >
        {endpoints.length === 0 ? (
          <EmptyState title="No webhook endpoints yet">
            Add an endpoint to send flow data and system events to your CRM, ESP or any HTTPS receiver.
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Webhook endpoints">
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>Status</th>
                  <th>System events</th>
                  <th>
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((e) => {
                  const health = endpointHealth(e, now);
                  return (
                    <tr key={e.id} aria-label={e.url}>
                      <td style={{ maxWidth: 380 }}>
                        <div className="mono" style={{ overflowWrap: 'anywhere' }}>
                          {e.url}
                        </div>
                        {e.description && <div className="muted small">{e.description}</div>}
                        {e.secretRotatedUntil && (
                          <div className="muted small">
                            Previous secret still signs until {time(e.secretRotatedUntil)}
                          </div>
                        )}
                      </td>
                      <td>
                        <span className={TONE_BADGE[health.tone]} title={health.detail}>
                          {health.label}
                        </span>
                        {health.tone === 'warning' && <div className="small muted">{health.detail}</div>}
                      </td>
                      <td className="small">{e.eventTypes.length ? e.eventTypes.join(', ') : '—'}</td>
                      <td className="actions">
                        <div className="row row--end">
                          <button type="button" className="btn btn--small" onClick={() => onShowLog(e.id)}>
                            Log
                          </button>
                          {canEdit && (
                            <>
                              <button
                                type="button"
                                className="btn btn--small"
                                aria-label={`Edit ${e.url}`}
                                onClick={() => setEditing(e)}
                              >
                                Edit
                              </button>
                              <button
                                type="button"
                                className="btn btn--small"
                                onClick={() =>
                                  void action(
                                    () => webhooksApi.update(siteId, e.id, { enabled: !e.enabled }),
                                    e.enabled ? 'Endpoint disabled' : 'Endpoint enabled',
                                  )()
                                }
                              >
                                {e.enabled ? 'Disable' : 'Enable'}
                              </button>
                              <Menu label={`More actions for ${e.url}`}>
                                {(close) => (
                                  <>
                                    <button
                                      type="button"
                                      role="menuitem"
                                      disabled={!e.enabled}
                                      title={e.enabled ? undefined : 'Enable the endpoint first'}
                                      onClick={() => {
                                        close();
                                        void action(
                                          () => webhooksApi.sendTest(siteId, e.id),
                                          'Test message queued',
                                        )();
                                      }}
                                    >
                                      Send test
                                    </button>
                                    <button
                                      type="button"
                                      role="menuitem"
                                      onClick={() => {
                                        close();
                                        if (
                                          !window.confirm(
                                            'Rotate the signing secret? The old one keeps signing for 24 hours so you can update the receiver.',
                                          )
                                        )
                                          return;
                                        webhooksApi.rotateSecret(siteId, e.id, 86_400).then(
                                          (result) => {
                                            setSecret({ url: e.url, secret: result.secret, rotated: true });
                                            void refresh();
                                          },
                                          (error: unknown) => toast(errorMessage(error), 'error'),
                                        );
                                      }}
                                    >
                                      Rotate secret
                                    </button>
                                    <button
                                      type="button"
                                      role="menuitem"
                                      disabled={!e.enabled}
                                      title={e.enabled ? undefined : 'Enable the endpoint first'}
                                      onClick={() => {
                                        close();
                                        setRecovering(e);
                                      }}
                                    >
                                      Recover…
                                    </button>
                                    <button
                                      type="button"
                                      role="menuitem"
                                      aria-label={`Delete ${e.url}`}
                                      onClick={() => {
                                        close();
                                        if (
                                          window.confirm(
                                            `Delete the endpoint ${e.url}? Its delivery log goes too.`,
                                          )
                                        )
                                          void action(
                                            () => webhooksApi.remove(siteId, e.id),
                                            'Endpoint deleted',
                                          )();
                                      }}
                                    >
                                      Delete
                                    </button>
                                  </>
                                )}
                              </Menu>
                            </>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <NoticesList siteId={siteId} />
      <Modal
        open={editing !== null}
        title={editing === 'new' ? 'New webhook endpoint' : 'Edit webhook endpoint'}
        onClose={() => setEditing(null)}
        wide
      >
        {editing !== null && (
          <EndpointForm
            siteId={siteId}
            endpoint={editing === 'new' ? null : editing}
            onDone={(created) => {
              setEditing(null);
              void refresh();
              if (created) setSecret({ url: created.url, secret: created.secret, rotated: false });
            }}
          />
        )}
      </Modal>
      <Modal open={secret !== null} title="Signing secret" onClose={() => setSecret(null)}>
        {secret && (
          <div className="stack">
            <p style={{ margin: 0 }}>
              {secret.rotated ? 'The new signing secret' : 'The signing secret'} of{' '}
              <span className="mono">{secret.url}</span>. Copy it into your receiver now: it is shown only
              once.
            </p>
            <label className="field">
              <span className="field__label">Secret</span>
              <input
                className="input mono"
                readOnly
                value={secret.secret}
                onFocus={(e) => e.target.select()}
              />
            </label>
            <div className="modal__actions">
              <button
                type="button"
                className="btn"
                onClick={() =>
                  void navigator.clipboard.writeText(secret.secret).then(
                    () => toast('Copied'),
                    () => toast('Copy failed; select the text and copy it', 'error'),
                  )
                }
              >
                Copy
              </button>
              <button type="button" className="btn btn--primary" onClick={() => setSecret(null)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Modal>
      <Modal open={recovering !== null} title="Recover failed messages" onClose={() => setRecovering(null)}>
        {recovering && (
          <RecoverForm
            siteId={siteId}
            endpoint={recovering}
            onDone={() => {
              setRecovering(null);
              void refresh();
              void queryClient.invalidateQueries({ queryKey: ['webhook-messages', siteId] });
            }}
          />
        )}
      </Modal>
    </div>
  );
}

/** What happened to endpoints without anyone's hand (disabled for 410 or failing), newest first. */
function NoticesList({ siteId }: { siteId: string }) {
  const notices = useQuery({
    queryKey: ['webhook-notices', siteId],
    queryFn: () => webhooksApi.notices(siteId),
  });
  if (!notices.data?.length) return null;
  return (
    <details className="card">
      <summary>Endpoint notices ({notices.data.length})</summary>
      <ul aria-label="Endpoint notices" className="small" style={{ margin: '8px 0 0', paddingLeft: 18 }}>
        {notices.data.map((notice) => (
          <li key={notice.id}>
            <span className="muted">{time(notice.createdAt)}</span> · {notice.message}
          </li>
        ))}
      </ul>
    </details>
  );
}

function EndpointForm({
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

function RecoverForm({
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

const STATUS_BADGE: Record<MessageStatus, string> = {
  pending: 'badge badge--paused',
  succeeded: 'badge badge--live',
  failed: 'badge badge--error',
};
const MESSAGE_STATUS_LABEL: Record<MessageStatus, string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

function DeliveryLog({
  siteId,
  endpoints,
  canEdit,
  endpointId,
  status,
  onFilter,
}: {
  siteId: string;
  endpoints: WebhookEndpoint[];
  canEdit: boolean;
  endpointId: string;
  status: MessageStatus | '';
  onFilter: (endpointId: string, status: MessageStatus | '') => void;
}) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const messages = useInfiniteQuery({
    queryKey: ['webhook-messages', siteId, endpointId, status],
    queryFn: ({ pageParam, signal }) =>
      webhooksApi.messages(
        siteId,
        { endpointId: endpointId || undefined, status: status || undefined, before: pageParam, limit: 50 },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextBefore ?? undefined,
    // Deliveries move on their own (retries, the worker): refresh while the log is open.
    refetchInterval: 5000,
  });
  const resend = useMutation({
    mutationFn: (message: WebhookMessage) => webhooksApi.resend(siteId, message.id),
    onSuccess: () => {
      toast('Message queued again');
      void queryClient.invalidateQueries({ queryKey: ['webhook-messages', siteId] });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const urlOf = new Map(endpoints.map((e) => [e.id, e.url]));
  const rows = messages.data?.pages.flatMap((page) => page.data) ?? [];

  return (
    <Section
      title="Delivery log"
      description="Every message sent to an endpoint, its attempts and the receiver’s answers; it refreshes while open."
    >
      <div className="filters" role="group" aria-label="Filter messages">
        <label className="field field--wide">
          <span className="field__label">Endpoint</span>
          <select className="input" value={endpointId} onChange={(e) => onFilter(e.target.value, status)}>
            <option value="">All endpoints</option>
            {endpoints.map((e) => (
              <option key={e.id} value={e.id}>
                {e.url}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Status</span>
          <select
            className="input"
            value={status}
            onChange={(e) => onFilter(endpointId, e.target.value as MessageStatus | '')}
          >
            <option value="">Any status</option>
            <option value="pending">Pending</option>
            <option value="succeeded">Succeeded</option>
            <option value="failed">Failed</option>
          </select>
        </label>
      </div>
      {messages.isLoading && <Loading label="Loading messages…" />}
      {messages.error && <ErrorBanner error={messages.error} onRetry={() => void messages.refetch()} />}
      {messages.data && rows.length === 0 && (
        <EmptyState title="No messages">
          {endpointId || status
            ? 'Nothing matches these filters.'
            : 'Messages appear here when a flow or a system event sends to an endpoint.'}
        </EmptyState>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Delivery log">
            <thead>
              <tr>
                <th>Created</th>
                <th>Event</th>
                <th>Endpoint</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <Fragment key={m.id}>
                  <tr data-testid={`message-${m.id}`}>
                    <td className="small">{time(m.createdAt)}</td>
                    <td className="mono small">{m.eventType}</td>
                    <td className="mono small" style={{ maxWidth: 260, overflowWrap: 'anywhere' }}>
                      {urlOf.get(m.endpointId) ?? m.endpointId}
                    </td>
                    <td>
                      <span className={STATUS_BADGE[m.status]}>{MESSAGE_STATUS_LABEL[m.status]}</span>
                      {m.status === 'pending' && m.nextAttemptAt && (
                        <div className="small muted">next try {time(m.nextAttemptAt)}</div>
                      )}
                    </td>
                    <td className="small">
                      {m.attemptCount}
                      {m.lastStatus !== null
                        ? ` · last HTTP ${m.lastStatus}`
                        : m.lastError
                          ? ` · ${m.lastError}`
                          : ''}
                    </td>
                    <td className="actions">
                      <div className="row row--end">
                        <button
                          type="button"
                          className="btn btn--small"
                          aria-expanded={open === m.id}
                          aria-controls={`attempts-${m.id}`}
                          onClick={() => setOpen(open === m.id ? null : m.id)}
                        >
                          {open === m.id ? 'Hide' : 'Details'}
                        </button>
                        {canEdit && m.status !== 'pending' && (
                          <button
                            type="button"
                            className="btn btn--small"
                            disabled={resend.isPending}
                            onClick={() => resend.mutate(m)}
                          >
                            Resend
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                  {open === m.id && (
                    <tr id={`attempts-${m.id}`}>
                      <td colSpan={6} style={{ background: 'var(--surface-2)' }}>
                        <MessageDetail message={m} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {messages.hasNextPage && (
        <button
          type="button"
          className="btn"
          disabled={messages.isFetchingNextPage}
          onClick={() => void messages.fetchNextPage()}
        >
          Load older messages
        </button>
      )}
    </Section>
  );
}

function MessageDetail({ message }: { message: WebhookMessage }) {
  return (
    <div className="stack">
      <div className="small">
        webhook-id <span className="mono">{message.webhookId}</span>
      </div>
      {message.attempts.length === 0 ? (
        <p className="muted small" style={{ margin: 0 }}>
          No attempt yet.
        </p>
      ) : (
        <table className="table" aria-label={`Attempts of message ${message.id}`}>
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Result</th>
              <th>Latency</th>
              <th>Response</th>
            </tr>
          </thead>
          <tbody>
            {message.attempts.map((a) => {
              const outcome = attemptOutcome(a);
              return (
                <tr key={`${a.attempt}-${a.at}`}>
                  <td title={a.tries > 1 ? 'sent again with the same webhook-id (a re-send)' : undefined}>
                    {a.attempt}
                    {a.tries > 1 ? ` (${a.tries} tries)` : ''}
                  </td>
                  <td className="small">{time(a.at)}</td>
                  <td>
                    <span className={outcome.ok ? 'badge badge--live' : 'badge badge--error'}>
                      {outcome.text}
                    </span>
                  </td>
                  <td className="small">{a.latencyMs !== null ? `${a.latencyMs} ms` : '—'}</td>
                  <td className="mono small" title={a.response ?? undefined}>
                    {responseExcerpt(a.response) || '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <details>
        <summary className="small">Payload</summary>
        <pre className="mono small" style={{ whiteSpace: 'pre-wrap', maxHeight: 240, overflow: 'auto' }}>
          {JSON.stringify(message.payload, null, 2)}
        </pre>
      </details>
    </div>
  );
}

function InboundHooksTab({ siteId, canEdit }: { siteId: string; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const hooks = useQuery({
    queryKey: ['inbound-hooks', siteId],
    queryFn: () => webhooksApi.inboundHooks(siteId),
  });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; url: string; secret?: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['inbound-hooks', siteId] });
  const remove = async (hook: InboundHook) => {
    if (!window.confirm(`Delete the inbound hook “${hook.name}”? Integrations posting to it get 404.`))
      return;
    try {
      await webhooksApi.removeInboundHook(siteId, hook.id);
      toast('Inbound hook deleted');
      await refresh();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };
  return (
    <Section
      title="Inbound hooks"
      description="An inbound hook turns an integration’s JSON into a tracked event of a visitor, which can start flows (“Inbound webhook” trigger)."
      actions={
        canEdit && (
          <button type="button" className="btn btn--primary" onClick={() => setCreating(true)}>
            New inbound hook
          </button>
        )
      }
    >
      {hooks.isLoading && <Loading label="Loading inbound hooks…" />}
      {hooks.error && <ErrorBanner error={hooks.error} onRetry={() => void hooks.refetch()} />}
      {hooks.data && hooks.data.length === 0 && (
        <EmptyState title="No inbound hooks yet">
          Create one to give an integration (a payment provider, a CRM, a form tool) its own URL to post
          events to.
        </EmptyState>
      )}
      {hooks.data && hooks.data.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Inbound hooks">
            <thead>
              <tr>
                <th>Name</th>
                <th>Event from</th>
                <th>Visitor from</th>
                <th>Signed</th>
                <th>Token</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hooks.data.map((hook) => (
                <tr key={hook.id}>
                  <td>{hook.name}</td>
                  <td className="mono small">
                    {hook.eventPath}
                    {hook.defaultEvent && <span className="muted"> (else {hook.defaultEvent})</span>}
                  </td>
                  <td className="mono small">{hook.visitorPath}</td>
                  <td>{hook.verified ? 'Yes' : 'No'}</td>
                  <td className="mono small">{hook.token}</td>
                  <td className="actions">
                    {canEdit && (
                      <button
                        type="button"
                        className="btn btn--small btn--danger"
                        aria-label={`Delete ${hook.name}`}
                        onClick={() => void remove(hook)}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Modal open={creating} title="New inbound hook" onClose={() => setCreating(false)}>
        {creating && (
          <InboundHookForm
            siteId={siteId}
            onDone={(result) => {
              setCreating(false);
              setCreated(result);
              void refresh();
            }}
          />
        )}
      </Modal>
      <Modal open={created !== null} title="Inbound hook URL" onClose={() => setCreated(null)}>
        {created && (
          <div className="stack">
            <p style={{ margin: 0 }}>
              Point the integration at this URL. It contains the hook’s token and is shown only once.
            </p>
            <label className="field">
              <span className="field__label">URL</span>
              <input className="input mono" readOnly value={created.url} onFocus={(e) => e.target.select()} />
            </label>
            {created.secret && (
              <label className="field">
                <span className="field__label">Signing secret</span>
                <input
                  className="input mono"
                  readOnly
                  value={created.secret}
                  onFocus={(e) => e.target.select()}
                />
              </label>
            )}
            <div className="modal__actions">
              <button type="button" className="btn btn--primary" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Modal>
    </Section>
  );
}

function InboundHookForm({
  siteId,
  onDone,
}: {
  siteId: string;
  onDone: (created: { name: string; url: string; secret?: string }) => void;
}) {
  const [name, setName] = useState('');
  const [eventPath, setEventPath] = useState('type');
  const [visitorPath, setVisitorPath] = useState('data.customer.id');
  const [defaultEvent, setDefaultEvent] = useState('');
  const [signed, setSigned] = useState(true);
  const create = useMutation({
    mutationFn: () =>
      webhooksApi.createInboundHook(siteId, {
        name: name.trim(),
        eventPath: eventPath.trim(),
        visitorPath: visitorPath.trim(),
        defaultEvent: defaultEvent.trim() || undefined,
        secret: signed ? true : undefined,
      }),
    onSuccess: (hook) =>
      onDone({ name: hook.name, url: `${window.location.origin}${hook.path}`, secret: hook.secret }),
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <label className="field">
        <span className="field__label">Name</span>
        <input
          className="input"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
        />
      </label>
      <label className="field">
        <span className="field__label">Event name path</span>
        <input
          className="input mono"
          value={eventPath}
          onChange={(e) => setEventPath(e.target.value)}
          required
        />
        <span className="field__help">Where the event name is in the JSON, e.g. type or data.event.</span>
      </label>
      <label className="field">
        <span className="field__label">Visitor id path</span>
        <input
          className="input mono"
          value={visitorPath}
          onChange={(e) => setVisitorPath(e.target.value)}
          required
        />
        <span className="field__help">Where your user id is, e.g. data.customer.id.</span>
      </label>
      <label className="field">
        <span className="field__label">Default event (optional)</span>
        <input className="input" value={defaultEvent} onChange={(e) => setDefaultEvent(e.target.value)} />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={signed} onChange={(e) => setSigned(e.target.checked)} />
        Require a Standard Webhooks signature (a secret is generated)
      </label>
      <div className="modal__actions">
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          Create inbound hook
        </button>
      </div>
    </form>
  );
}
