import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { errorMessage } from '../api/client';
import { smsProviderApi, type SmsProvider } from '../api/sms-provider';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { Section } from '../components/Section';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';

interface FormValues {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  fromNumber: string;
}

const blank = (provider: SmsProvider | null): FormValues => ({
  baseUrl: provider?.baseUrl ?? 'https://api.twilio.com',
  accountSid: provider?.accountSid ?? '',
  authToken: '',
  fromNumber: provider?.fromNumber ?? '',
});

/** The site's SMS provider (Twilio-compatible): where "Send SMS" steps send through. */
export function SmsProviderSettings() {
  const { siteId, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const queryKey = ['sms-provider', siteId];
  const provider = useQuery({ queryKey, queryFn: () => smsProviderApi.get(siteId) });
  const { register, handleSubmit, reset } = useForm<FormValues>({ defaultValues: blank(null) });
  useEffect(() => {
    if (provider.data !== undefined) reset(blank(provider.data));
  }, [provider.data, reset]);
  const save = useMutation({
    mutationFn: (values: FormValues) =>
      smsProviderApi.put(siteId, {
        baseUrl: values.baseUrl.trim(),
        accountSid: values.accountSid.trim(),
        fromNumber: values.fromNumber.trim(),
        // Empty keeps the stored token.
        ...(values.authToken ? { authToken: values.authToken } : {}),
      }),
    onSuccess: async () => {
      toast('SMS provider saved');
      await queryClient.invalidateQueries({ queryKey });
    },
  });
  const remove = useMutation({
    mutationFn: () => smsProviderApi.remove(siteId),
    onSuccess: async () => {
      toast('SMS provider removed');
      await queryClient.invalidateQueries({ queryKey });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });

  if (provider.isPending) return <Loading label="Loading the SMS provider…" />;
  if (provider.isError) return <ErrorBanner error={provider.error} onRetry={() => void provider.refetch()} />;
  const current = provider.data;

  return (
    <Section
      title="SMS provider"
      description="“Send SMS” steps text visitors through this Twilio-compatible account. The number comes from a visitor trait (phone by default); visitors whose trait sms_opt_out is true get nothing."
    >
      <p className="muted small" role="status">
        {current
          ? `Sending from ${current.fromNumber} through ${current.baseUrl} (account ${current.accountSid}).`
          : 'No SMS provider yet: “Send SMS” steps fail until one is saved.'}
      </p>
      {canEdit && (
        <form className="stack" onSubmit={handleSubmit((values) => save.mutate(values))} noValidate>
          {save.isError && <ErrorBanner error={save.error} />}
          <div className="form-grid">
            <label className="field">
              <span>API base URL</span>
              <input className="input" {...register('baseUrl', { required: true })} />
            </label>
            <label className="field">
              <span>Account SID</span>
              <input className="input" {...register('accountSid', { required: true })} />
            </label>
            <label className="field">
              <span>{current ? 'Auth token (leave empty to keep the saved one)' : 'Auth token'}</span>
              <input className="input" type="password" autoComplete="off" {...register('authToken')} />
            </label>
            <label className="field">
              <span>From number</span>
              <input
                className="input"
                placeholder="+15005550006"
                {...register('fromNumber', { required: true })}
              />
            </label>
          </div>
          <div className="row">
            <button type="submit" className="btn btn--primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save provider'}
            </button>
            {current && (
              <button
                type="button"
                className="btn btn--danger"
                disabled={remove.isPending}
                onClick={() => {
                  if (window.confirm('Remove the SMS provider? “Send SMS” steps will fail.')) remove.mutate();
                }}
              >
                Remove
              </button>
            )}
          </div>
        </form>
      )}
    </Section>
  );
}
