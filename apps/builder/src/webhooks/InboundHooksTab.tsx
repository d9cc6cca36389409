import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { webhooksApi, type InboundHook } from '../api/webhooks';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { DataTable } from '../components/DataTable';
import { InputField } from '../components/InputField';
import { Section } from '../components/Section';
import { SecretField } from '../components/SecretField';
import { Modal } from '../components/Modal';
import { toast } from '../state/toast-store';

export function InboundHooksTab({ siteId, canEdit }: { siteId: string; canEdit: boolean }) {
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
        <DataTable
          label="Inbound hooks"
          columns={['Name', 'Event from', 'Visitor from', 'Signed', 'Token']}
          actions
        >
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
        </DataTable>
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
            <SecretField label="URL" value={created.url} />
            {created.secret && <SecretField label="Signing secret" value={created.secret} />}
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
      <InputField
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={100}
      />
      <InputField
        label="Event name path"
        className="mono"
        value={eventPath}
        onChange={(e) => setEventPath(e.target.value)}
        required
        help="Where the event name is in the JSON, e.g. type or data.event."
      />
      <InputField
        label="Visitor id path"
        className="mono"
        value={visitorPath}
        onChange={(e) => setVisitorPath(e.target.value)}
        required
        help="Where your user id is, e.g. data.customer.id."
      />
      <InputField
        label="Default event (optional)"
        value={defaultEvent}
        onChange={(e) => setDefaultEvent(e.target.value)}
      />
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
