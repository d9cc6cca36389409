import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router-dom';
import { roleAtLeast } from '../api/auth';
import { errorMessage } from '../api/client';
import { sitesApi, type Site } from '../api/sites';
import { InstallGuide } from '../components/InstallGuide';
import { browserTimeZone, TimezoneSelect } from '../components/TimezoneSelect';
import { ME_KEY, useMe } from '../hooks/useMe';

interface FormValues {
  name: string;
  domain: string;
  timezone: string;
  accountId: string;
}

export function NewSitePage() {
  const me = useMe().data;
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<(Site & { writeKey: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const accounts = (me?.accounts ?? []).filter((account) => roleAtLeast(account.role, 'editor'));
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<FormValues>({
    defaultValues: { name: '', domain: '', timezone: browserTimeZone(), accountId: accounts[0]?.id ?? '' },
  });

  const onSubmit = handleSubmit(async (values) => {
    setError(null);
    try {
      const domain = values.domain
        .trim()
        .replace(/^https?:\/\//i, '')
        .replace(/\/.*$/, '');
      const site = await sitesApi.create({
        name: values.name.trim(),
        domain,
        timezone: values.timezone,
        accountId: values.accountId || undefined,
      });
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      setCreated(site);
    } catch (caught) {
      setError(errorMessage(caught));
    }
  });

  if (created) {
    return (
      <div className="page" style={{ maxWidth: 820 }}>
        <div className="card stack">
          <h1>{created.name} is ready</h1>
          <InstallGuide site={created} />
          <div className="row">
            <Link className="btn" to={`/sites/${created.id}/settings`}>
              Site settings
            </Link>
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="page" style={{ maxWidth: 760 }}>
      <div className="page__header">
        <h1>Add a site</h1>
      </div>
      {accounts.length === 0 && me ? (
        <div className="banner banner--warning" role="alert">
          You are a viewer in every account you belong to. Ask an owner to make you an editor to add sites.
        </div>
      ) : (
        <form className="card stack" onSubmit={onSubmit} noValidate>
          <p className="muted">
            A site is one website you want to run flows on. Each site has its own flows, CTAs, keys and
            reports.
          </p>
          {error && (
            <div className="banner banner--error" role="alert">
              {error}
            </div>
          )}
          <div className="form-grid">
            <label className="field">
              <span>Site name</span>
              <input
                className="input"
                placeholder="My shop"
                aria-invalid={Boolean(errors.name)}
                {...register('name', { required: 'Give the site a name' })}
              />
              {errors.name && <span className="field__error">{errors.name.message}</span>}
            </label>
            <label className="field">
              <span>Domain</span>
              <input
                className="input"
                placeholder="shop.example.com"
                aria-invalid={Boolean(errors.domain)}
                {...register('domain', { required: 'Enter the domain, e.g. shop.example.com' })}
              />
              {errors.domain && <span className="field__error">{errors.domain.message}</span>}
            </label>
            <label className="field">
              <span>Time zone</span>
              <TimezoneSelect {...register('timezone')} />
              <span className="field__help">Waits and reports use this zone.</span>
            </label>
            {accounts.length > 1 && (
              <label className="field">
                <span>Account</span>
                <select className="input" {...register('accountId')}>
                  {accounts.map((account) => (
                    <option key={account.id} value={account.id}>
                      {account.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          <div className="row">
            <button type="submit" className="btn btn--primary" disabled={isSubmitting}>
              {isSubmitting ? 'Creating…' : 'Create site'}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
