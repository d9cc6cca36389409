import { Link } from 'react-router-dom';
import type { ReactNode } from 'react';
import { useInstallCheck } from '../hooks/useInstallCheck';
import type { Role } from '../api/auth';
import { EmbedSnippet } from './EmbedSnippet';
import { IdentityVerification } from './IdentityVerification';

function Step({
  n,
  done,
  title,
  children,
}: {
  n: number;
  done: boolean;
  title: string;
  children?: ReactNode;
}) {
  return (
    <li className={`setup-step${done ? ' setup-step--done' : ''}`}>
      <span className="setup-step__mark" aria-hidden="true">
        {done ? '✓' : n}
      </span>
      <div>
        <h2>
          {title}
          {done && <span className="visually-hidden"> (done)</span>}
        </h2>
        {children}
      </div>
    </li>
  );
}

/** The live check: waiting for the first event, then received (polls until it is). */
export function InstallCheck({ siteId }: { siteId: string }) {
  const { received, error } = useInstallCheck(siteId);
  return (
    <div
      className={`install-check${received ? ' install-check--received' : ''}`}
      role="status"
      aria-live="polite"
      aria-label="Install check"
    >
      {received ? (
        <>✓ First event received: the snippet works.</>
      ) : (
        <>
          <span className="spinner" aria-hidden="true" /> Waiting for your first event… open a page of your
          site with the snippet.
          {error ? <span className="field__error"> (check failed, retrying)</span> : null}
        </>
      )}
    </div>
  );
}

/** After sign-up: the site exists; install the snippet, see the first event arrive, start a flow. */
export function InstallGuide({
  site,
}: {
  site: { id: string; name: string; domain: string; writeKey: string; role?: Role };
}) {
  const { received } = useInstallCheck(site.id);
  return (
    <ol className="setup-steps" aria-label="Set-up steps">
      <Step n={1} done title="Site created">
        <p className="muted">
          {site.name} ({site.domain}) has its own flows, CTAs, keys and reports.
        </p>
      </Step>
      <Step n={2} done={received} title="Install the snippet">
        <p>
          Paste this before <code>&lt;/head&gt;</code> on every page of <strong>{site.domain}</strong>. It
          sends page views and shows the CTAs your flows decide on.
        </p>
        <EmbedSnippet writeKey={site.writeKey} />
        <InstallCheck siteId={site.id} />
        <IdentityVerification siteId={site.id} role={site.role} />
      </Step>
      <Step n={3} done={false} title="Create your first flow">
        <p className="muted">
          Start from a template: abandoned cart, exit intent, welcome series, re-engage.
        </p>
        <Link className="btn btn--primary" to={`/sites/${site.id}/flows`}>
          Create your first flow
        </Link>
      </Step>
    </ol>
  );
}
