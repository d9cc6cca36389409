import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { webhooksApi, type MessageStatus, type WebhookEndpoint } from '../api/webhooks';
import { EmptyState } from '../components/EmptyState';
import { DataTable } from '../components/DataTable';
import { Section } from '../components/Section';
import { SecretField } from '../components/SecretField';
import { Menu } from '../components/Menu';
import { Modal } from '../components/Modal';
import { toast } from '../state/toast-store';
import { endpointHealth, sortEndpoints } from './webhook-view';
import { EndpointForm, RecoverForm } from './EndpointForm';
import { TONE_BADGE, time } from './webhook-ui';

export function EndpointsTab({
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
          <DataTable label="Webhook endpoints" columns={['Endpoint', 'Status', 'System events']} actions>
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
          </DataTable>
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
            <SecretField label="Secret" value={secret.secret} />
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
