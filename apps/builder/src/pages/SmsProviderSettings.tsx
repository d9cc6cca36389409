import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { errorMessage } from '../api/client';
import { smsProviderApi, type SmsProvider } from '../api/sms-provider';
import { ErrorBanner, QueryFallback } from '../components/EmptyState';
import { InputField } from '../components/InputField';
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

  if (!provider.isSuccess) return <QueryFallback query={provider} loading="Loading the SMS provider…" />;
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
            <InputField label="API base URL" {...register('baseUrl', { required: true })} />
            <InputField label="Account SID" {...register('accountSid', { required: true })} />
            <InputField
              label={current ? 'Auth token (leave empty to keep the saved one)' : 'Auth token'}
              type="password"
              autoComplete="off"
              {...register('authToken')}
            />
            <InputField
              label="From number"
              placeholder="+15005550006"
              {...register('fromNumber', { required: true })}
            />
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
