import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { SERVER_LANGUAGES, serverIdentifySnippet, type ServerLanguage, sitesApi } from '../api/sites';
import { roleAtLeast, type Role } from '../api/auth';
import { useCopy } from '../hooks/useCopy';
import { toast } from '../state/toast-store';
import { ErrorBanner, Loading } from './EmptyState';

/**
 * Identity verification: the server snippet (Node, PHP, Python, Ruby) that signs a signed-in user's id,
 * the secret (editors and owners only), its rotation and the on/off switch (owners only), and the
 * trade-off for sites without a backend.
 */
export function IdentityVerification({ siteId, role }: { siteId: string; role: Role | undefined }) {
  const canSee = roleAtLeast(role, 'editor');
  const isOwner = roleAtLeast(role, 'owner');
  const queryClient = useQueryClient();
  const copy = useCopy();
  const [language, setLanguage] = useState<ServerLanguage>('Node');
  const [shown, setShown] = useState(false);
  const identity = useQuery({
    queryKey: ['site-identity', siteId],
    queryFn: () => sitesApi.identity(siteId),
    enabled: canSee && !!siteId,
  });
  const onDone = (data: unknown, what: string) => {
    queryClient.setQueryData(['site-identity', siteId], data);
    toast(what);
  };
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => sitesApi.setIdentity(siteId, enabled),
    onSuccess: (data) =>
      onDone(data, data.enabled ? 'Identity verification on' : 'Identity verification off'),
    onError: (err) => toast(errorMessage(err), 'error'),
  });
  const rotate = useMutation({
    mutationFn: () => sitesApi.rotateIdentity(siteId, 24),
    onSuccess: (data) => onDone(data, 'New identity secret: the old one works for 24 hours'),
    onError: (err) => toast(errorMessage(err), 'error'),
  });
  const snippet = serverIdentifySnippet(language);

  return (
    <section className="stack" aria-label="Identity verification">
      <h3>Identify signed-in visitors (identity verification)</h3>
      <p>
        Your server signs each signed-in user&apos;s id with the site&apos;s identity secret and the page
        passes the signature on: <code>nudgeflow.identify(userId, traits, {'{ userHash }'})</code>. With
        verification on, a user id sent from a browser without a valid signature is ignored: it never joins
        that user&apos;s profile, never shows their traits in a CTA and never receives their live CTAs.
      </p>
      <p className="field__help">
        No backend? Turn verification off to identify from the page alone, knowing that anyone who knows a
        user id (often an email) could then see CTAs personalised with that user&apos;s traits. Or keep it on
        and identify visitors from your server with the secret key; anonymous visitors work either way.
      </p>
      {!canSee ? (
        <p className="muted">Editors and owners see the secret and the server snippet.</p>
      ) : identity.isPending ? (
        <Loading label="Loading identity verification…" />
      ) : identity.isError ? (
        <ErrorBanner error={identity.error} onRetry={() => void identity.refetch()} />
      ) : (
        <>
          <label className="row">
            <input
              type="checkbox"
              aria-label="Require identity verification"
              checked={identity.data.enabled}
              disabled={!isOwner || toggle.isPending}
              onChange={(event) => toggle.mutate(event.target.checked)}
            />
            Require a valid userHash for user ids sent from browsers
            {!isOwner && <span className="muted"> (owners change this)</span>}
          </label>
          <div className="row">
            <span>Identity secret (keep it on your server):</span>
            <code aria-label="Identity secret" style={{ wordBreak: 'break-all' }}>
              {shown ? identity.data.secret : `${identity.data.secret.slice(0, 8)}…`}
            </code>
            <button type="button" className="btn btn--small" onClick={() => setShown(!shown)}>
              {shown ? 'Hide' : 'Show'}
            </button>
            <button
              type="button"
              className="btn btn--small"
              onClick={() => void copy(identity.data.secret, 'Identity secret')}
            >
              Copy secret
            </button>
            {isOwner && (
              <button
                type="button"
                className="btn btn--small"
                disabled={rotate.isPending}
                onClick={() => rotate.mutate()}
              >
                Rotate secret
              </button>
            )}
          </div>
          {identity.data.previousSecretValidUntil && (
            <p className="field__help">
              The previous secret still verifies until{' '}
              {new Date(identity.data.previousSecretValidUntil).toLocaleString()}.
            </p>
          )}
          <div className="row" role="tablist" aria-label="Server language">
            {SERVER_LANGUAGES.map((l) => (
              <button
                key={l}
                type="button"
                role="tab"
                aria-selected={l === language}
                className={`btn btn--small${l === language ? ' btn--primary' : ''}`}
                onClick={() => setLanguage(l)}
              >
                {l}
              </button>
            ))}
          </div>
          <div className="snippet">
            <pre aria-label={`Server snippet (${language})`}>{snippet}</pre>
            <button type="button" className="btn" onClick={() => void copy(snippet, 'Server snippet')}>
              Copy server snippet
            </button>
          </div>
        </>
      )}
    </section>
  );
}
