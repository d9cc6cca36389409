import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { errorMessage } from '../api/client';
import { emailSendersApi, type EmailSenderInput } from '../api/email-senders';
import { EmptyState, ErrorBanner, QueryFallback } from '../components/EmptyState';
import { InputField } from '../components/InputField';
import { DataTable } from '../components/DataTable';
import { Section } from '../components/Section';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';

/** The site's email senders: the From and Reply-To a "Send email" step picks. */
export function EmailSendersSettings() {
  const { siteId, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const queryKey = ['email-senders', siteId];
  const senders = useQuery({ queryKey, queryFn: () => emailSendersApi.list(siteId) });
  const { register, handleSubmit, reset } = useForm<EmailSenderInput>();
  const create = useMutation({
    mutationFn: (values: EmailSenderInput) =>
      emailSendersApi.create(siteId, {
        name: values.name.trim(),
        fromName: values.fromName.trim(),
        fromAddress: values.fromAddress.trim(),
        ...(values.replyTo?.trim() ? { replyTo: values.replyTo.trim() } : {}),
      }),
    onSuccess: async () => {
      reset();
      toast('Email sender added');
      await queryClient.invalidateQueries({ queryKey });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => emailSendersApi.remove(siteId, id),
    onSuccess: async () => {
      toast('Email sender removed');
      await queryClient.invalidateQueries({ queryKey });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });

  if (!senders.isSuccess) return <QueryFallback query={senders} loading="Loading the email senders…" />;

  return (
    <>
      <Section
        title="Email senders"
        description="A “Send email” step sends from one of these. Publishing refuses a step whose sender is missing."
      >
        {senders.data.length === 0 ? (
          <EmptyState title="No senders yet">Add one below, then pick it in a “Send email” step.</EmptyState>
        ) : (
          <DataTable label="Email senders" columns={['Name', 'From', 'Reply-To']} actions>
            {senders.data.map((s) => (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td>
                  {s.fromName} &lt;{s.fromAddress}&gt;
                </td>
                <td>{s.replyTo ?? '—'}</td>
                <td>
                  {canEdit && (
                    <button
                      type="button"
                      className="btn btn--small btn--danger"
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(`Remove the sender "${s.name}"? Steps using it will fail.`))
                          remove.mutate(s.id);
                      }}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      {canEdit && (
        <Section title="Add a sender">
          <form className="stack" onSubmit={handleSubmit((values) => create.mutate(values))} noValidate>
            {create.isError && <ErrorBanner error={create.error} />}
            <div className="form-grid">
              <InputField label="Name (shown in the builder)" {...register('name', { required: true })} />
              <InputField label="From name" {...register('fromName', { required: true })} />
              <InputField
                label="From address"
                type="email"
                {...register('fromAddress', { required: true })}
              />
              <InputField label="Reply-To (optional)" type="email" {...register('replyTo')} />
            </div>
            <div className="row">
              <button type="submit" className="btn btn--primary" disabled={create.isPending}>
                {create.isPending ? 'Adding…' : 'Add sender'}
              </button>
            </div>
          </form>
        </Section>
      )}
    </>
  );
}
