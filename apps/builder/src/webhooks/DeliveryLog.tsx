import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { webhooksApi, type MessageStatus, type WebhookEndpoint, type WebhookMessage } from '../api/webhooks';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { DataTable } from '../components/DataTable';
import { Section } from '../components/Section';
import { SelectField } from '../components/SelectField';
import { toast } from '../state/toast-store';
import { attemptOutcome, responseExcerpt } from './webhook-view';
import { time } from './webhook-ui';

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
const MESSAGE_STATUSES = Object.keys(MESSAGE_STATUS_LABEL) as MessageStatus[];

export function DeliveryLog({
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
        <SelectField
          label="Endpoint"
          wide
          value={endpointId}
          any="All endpoints"
          options={endpoints.map((e) => ({ value: e.id, label: e.url }))}
          onChange={(value) => onFilter(value, status)}
        />
        <SelectField
          label="Status"
          value={status}
          any="Any status"
          options={MESSAGE_STATUSES.map((value) => ({ value, label: MESSAGE_STATUS_LABEL[value] }))}
          onChange={(value) => onFilter(endpointId, value)}
        />
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
        <DataTable
          label="Delivery log"
          columns={['Created', 'Event', 'Endpoint', 'Status', 'Attempts']}
          actions
        >
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
        </DataTable>
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
