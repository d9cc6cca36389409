import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { membersApi, type Role } from '../api/auth';
import { errorMessage } from '../api/client';
import { sitesApi, type SiteKey } from '../api/sites';
import { EmbedSnippet } from '../components/EmbedSnippet';
import { IdentityVerification } from '../components/IdentityVerification';
import { EmptyState, ErrorBanner, QueryFallback } from '../components/EmptyState';
import { InputField } from '../components/InputField';
import { DataTable } from '../components/DataTable';
import { Section } from '../components/Section';
import { SelectField } from '../components/SelectField';
import { TabbedPage } from '../components/TabbedPage';
import { TimezoneSelect } from '../components/TimezoneSelect';
import { useCopy } from '../hooks/useCopy';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { ME_KEY, useMe } from '../hooks/useMe';
import { toast } from '../state/toast-store';
import { EmailSendersSettings } from './EmailSendersSettings';
import { SmsProviderSettings } from './SmsProviderSettings';

const TABS = [
  { id: 'general', label: 'General' },
  { id: 'install', label: 'Install & keys' },
  { id: 'members', label: 'Members' },
  { id: 'email', label: 'Email senders' },
  { id: 'sms', label: 'SMS provider' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export function SettingsPage() {
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find((candidate) => candidate.id === params.get('tab'))?.id ?? 'general') as TabId;
  const { site } = useCurrentSite();
  if (!site) return null;
  return (
    <TabbedPage
      title="Settings"
      siteName={site.name}
      label="Settings sections"
      tabs={TABS}
      current={tab}
      onSelect={(id) => setParams({ tab: id }, { replace: true })}
      panelClassName="sections"
    >
      {tab === 'general' && <GeneralSettings />}
      {tab === 'install' && <InstallAndKeys />}
      {tab === 'members' && <Members />}
      {tab === 'email' && <EmailSendersSettings />}
      {tab === 'sms' && <SmsProviderSettings />}
    </TabbedPage>
  );
}

interface SiteFormValues {
  name: string;
  domain: string;
  timezone: string;
  retentionDays: number;
}

function GeneralSettings() {
  const { siteId, canEdit, isOwner } = useCurrentSite();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const query = useQuery({ queryKey: ['site', siteId], queryFn: () => sitesApi.get(siteId) });
  const { register, handleSubmit, reset, formState } = useForm<SiteFormValues>();
  useEffect(() => {
    if (query.data) reset(query.data);
  }, [query.data, reset]);

  const save = useMutation({
    mutationFn: (values: SiteFormValues) =>
      sitesApi.update(siteId, {
        name: values.name.trim(),
        domain: values.domain.trim(),
        timezone: values.timezone,
        retentionDays: Number(values.retentionDays),
      }),
    onSuccess: async (site) => {
      queryClient.setQueryData(['site', siteId], site);
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      toast('Site settings saved');
    },
  });
  const remove = useMutation({
    mutationFn: () => sitesApi.remove(siteId),
    onSuccess: async () => {
      localStorage.removeItem('nf:lastSite');
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      toast('Site deleted');
      navigate('/', { replace: true });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });

  if (!query.isSuccess) return <QueryFallback query={query} loading="Loading the site…" />;

  return (
    <>
      <Section
        title="Site"
        description={
          canEdit
            ? 'Its name and domain, the time zone of waits and reports, and how long raw events are kept.'
            : 'You have read-only access to this site.'
        }
      >
        <form className="stack" onSubmit={handleSubmit((values) => save.mutate(values))} noValidate>
          {save.isError && <ErrorBanner error={save.error} />}
          <fieldset className="form-grid" disabled={!canEdit}>
            <legend className="visually-hidden">Site details</legend>
            <InputField label="Site name" {...register('name', { required: true })} />
            <InputField label="Domain" {...register('domain', { required: true })} />
            <label className="field">
              <span>Time zone</span>
              <TimezoneSelect {...register('timezone')} />
            </label>
            <InputField
              label="Keep raw events for (days)"
              type="number"
              min={1}
              max={3650}
              {...register('retentionDays')}
              help="Older raw events are dropped; reports keep their rollups."
            />
          </fieldset>
          {canEdit && (
            <div className="row">
              <button
                type="submit"
                className="btn btn--primary"
                disabled={save.isPending || !formState.isDirty}
              >
                {save.isPending ? 'Saving…' : 'Save changes'}
              </button>
            </div>
          )}
        </form>
      </Section>
      {isOwner && (
        <Section
          title="Delete site"
          description="Deleting removes its flows, CTAs, keys and collected data. This cannot be undone."
        >
          <div>
            <button
              type="button"
              className="btn btn--danger"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the site "${query.data.name}" and all of its data?`))
                  remove.mutate();
              }}
            >
              Delete site
            </button>
          </div>
        </Section>
      )}
    </>
  );
}

const KEY_KINDS: { value: SiteKey['kind']; label: string }[] = [
  { value: 'write', label: 'Write' },
  { value: 'secret', label: 'Secret' },
];

function InstallAndKeys() {
  const { siteId, isOwner } = useCurrentSite();
  const queryClient = useQueryClient();
  const copy = useCopy();
  const [revealed, setRevealed] = useState<SiteKey | null>(null);
  const [newKey, setNewKey] = useState<{ kind: SiteKey['kind']; name: string }>({ kind: 'write', name: '' });
  const keysKey = ['site-keys', siteId];
  const keys = useQuery({ queryKey: keysKey, queryFn: () => sitesApi.keys(siteId), enabled: isOwner });
  const onKey = async (key: SiteKey) => {
    setRevealed(key);
    await queryClient.invalidateQueries({ queryKey: keysKey });
  };
  const create = useMutation({
    mutationFn: () => sitesApi.createKey(siteId, { kind: newKey.kind, name: newKey.name.trim() }),
    onSuccess: async (key) => {
      setNewKey({ kind: newKey.kind, name: '' });
      await onKey(key);
    },
  });
  const rotate = useMutation({
    mutationFn: (keyId: string) => sitesApi.rotateKey(siteId, keyId),
    onSuccess: onKey,
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) => sitesApi.revokeKey(siteId, keyId),
    onSuccess: async () => {
      toast('Key revoked');
      await queryClient.invalidateQueries({ queryKey: keysKey });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });

  if (!isOwner) {
    return (
      <EmptyState title="Keys are managed by owners">
        Ask an owner of this site for the embed snippet, or to make you an owner.
      </EmptyState>
    );
  }
  if (!keys.isSuccess) return <QueryFallback query={keys} loading="Loading keys…" />;

  const active = keys.data.filter((key) => !key.revokedAt);
  const writeKey = active.find((key) => key.kind === 'write');

  return (
    <>
      <Section
        title="Install the embed script"
        description={
          writeKey ? (
            <>
              Paste this before <code>&lt;/head&gt;</code> on every page. It uses the write key “
              {writeKey.name}”, which can only send events, so it is safe in public pages.
            </>
          ) : (
            'Create a write key below to get the embed snippet.'
          )
        }
      >
        {writeKey && <EmbedSnippet writeKey={writeKey.key} />}
        <IdentityVerification siteId={siteId} role="owner" />
      </Section>

      {revealed && (
        <div className="banner banner--success" role="status">
          <span>
            New {revealed.kind} key “{revealed.name}”:{' '}
            <code style={{ wordBreak: 'break-all' }}>{revealed.key}</code>
            {revealed.kind === 'secret' && <> — copy it now, it will not be shown again.</>}
          </span>
          <button type="button" className="btn btn--small" onClick={() => void copy(revealed.key, 'Key')}>
            Copy key
          </button>
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setRevealed(null)}>
            Dismiss
          </button>
        </div>
      )}

      <Section
        title="Keys"
        description="Write keys send events from browsers. Secret keys call the server-side API; keep them out of web pages."
      >
        <DataTable label="Keys" columns={['Name', 'Kind', 'Key', 'Created']} actions>
          {keys.data.map((key) => (
            <tr key={key.id} className={key.revokedAt ? 'is-muted' : undefined}>
              <td>{key.name}</td>
              <td>
                <span className="badge">{key.kind === 'write' ? 'Write' : 'Secret'}</span>
                {key.revokedAt && <span className="badge badge--archived">Revoked</span>}
              </td>
              <td className="mono" style={{ maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis' }}>
                {key.key}
              </td>
              <td>{new Date(key.createdAt).toLocaleDateString()}</td>
              <td className="actions">
                {!key.revokedAt && (
                  <div className="row row--end">
                    {key.kind === 'write' && (
                      <button
                        type="button"
                        className="btn btn--small"
                        onClick={() => void copy(key.key, 'Key')}
                        aria-label={`Copy key ${key.name}`}
                      >
                        Copy
                      </button>
                    )}
                    <button
                      type="button"
                      className="btn btn--small"
                      aria-label={`Rotate key ${key.name}`}
                      onClick={() => {
                        if (window.confirm(`Rotate "${key.name}"? The current key stops working.`))
                          rotate.mutate(key.id);
                      }}
                    >
                      Rotate
                    </button>
                    <button
                      type="button"
                      className="btn btn--small btn--danger"
                      aria-label={`Revoke key ${key.name}`}
                      onClick={() => {
                        if (window.confirm(`Revoke "${key.name}"? Anything using it stops working.`))
                          revoke.mutate(key.id);
                      }}
                    >
                      Revoke
                    </button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
        <form
          className="form-inline"
          aria-label="New key"
          onSubmit={(event) => {
            event.preventDefault();
            if (newKey.name.trim()) create.mutate();
          }}
        >
          <InputField
            label="New key name"
            value={newKey.name}
            placeholder="e.g. Production server"
            onChange={(event) => setNewKey({ ...newKey, name: event.target.value })}
          />
          <SelectField
            label="Kind"
            value={newKey.kind}
            options={KEY_KINDS}
            onChange={(kind) => setNewKey({ ...newKey, kind })}
          />
          <button
            type="submit"
            className="btn btn--primary"
            disabled={create.isPending || !newKey.name.trim()}
          >
            Create key
          </button>
        </form>
        {create.isError && <ErrorBanner error={create.error} />}
      </Section>
    </>
  );
}

const ROLES: Role[] = ['owner', 'editor', 'viewer'];
const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer' };
const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role] }));

function Members() {
  const { site, accountRole } = useCurrentSite();
  const me = useMe().data;
  const accountId = site?.accountId ?? '';
  const isOwner = accountRole === 'owner';
  const queryClient = useQueryClient();
  const key = ['members', accountId];
  const members = useQuery({
    queryKey: key,
    queryFn: () => membersApi.list(accountId),
    enabled: Boolean(accountId),
  });
  const [invite, setInvite] = useState<{ email: string; role: Role }>({ email: '', role: 'editor' });
  const refresh = () => queryClient.invalidateQueries({ queryKey: key });
  const add = useMutation({
    mutationFn: () => membersApi.add(accountId, { email: invite.email.trim(), role: invite.role }),
    onSuccess: async (member) => {
      toast(`${member.email} added as ${member.role}`);
      setInvite({ email: '', role: invite.role });
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      membersApi.changeRole(accountId, userId, role),
    onSuccess: refresh,
    onError: (error) => {
      toast(errorMessage(error), 'error');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (userId: string) => membersApi.remove(accountId, userId),
    onSuccess: refresh,
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const accountName = me?.accounts.find((account) => account.id === accountId)?.name ?? 'this account';

  if (!members.isSuccess) return <QueryFallback query={members} loading="Loading members…" />;

  return (
    <Section
      title={`Members of ${accountName}`}
      description="Owners manage keys and members; editors build and publish flows; viewers see everything but change nothing. Roles apply to every site of the account."
    >
      <DataTable label="Members" columns={['Name', 'Email', 'Role']} actions>
        {members.data.map((member) => (
          <tr key={member.userId}>
            <td>
              {member.name}
              {member.userId === me?.user?.id && <span className="muted"> (you)</span>}
            </td>
            <td>{member.email}</td>
            <td>
              {isOwner ? (
                <select
                  className="input"
                  style={{ width: 120 }}
                  aria-label={`Role of ${member.email}`}
                  value={member.role}
                  onChange={(event) =>
                    change.mutate({ userId: member.userId, role: event.target.value as Role })
                  }
                >
                  {ROLES.map((role) => (
                    <option key={role} value={role}>
                      {ROLE_LABELS[role]}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="badge">{ROLE_LABELS[member.role]}</span>
              )}
            </td>
            <td className="actions">
              {isOwner && (
                <button
                  type="button"
                  className="btn btn--small btn--danger"
                  aria-label={`Remove ${member.email}`}
                  onClick={() => {
                    if (window.confirm(`Remove ${member.email} from ${accountName}?`))
                      remove.mutate(member.userId);
                  }}
                >
                  Remove
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {isOwner && (
        <form
          className="form-inline"
          aria-label="Add a member"
          onSubmit={(event) => {
            event.preventDefault();
            if (invite.email.trim()) add.mutate();
          }}
        >
          <InputField
            label="Add member by email"
            type="email"
            value={invite.email}
            placeholder="colleague@example.com"
            onChange={(event) => setInvite({ ...invite, email: event.target.value })}
          />
          <SelectField
            label="Role"
            value={invite.role}
            options={ROLE_OPTIONS}
            onChange={(role) => setInvite({ ...invite, role })}
          />
          <button type="submit" className="btn btn--primary" disabled={add.isPending || !invite.email.trim()}>
            Add member
          </button>
        </form>
      )}
      {isOwner && (
        <p className="field__help">They need a Nudgeflow account first (sign up with that email).</p>
      )}
      {add.isError && <ErrorBanner error={add.error} />}
    </Section>
  );
}
