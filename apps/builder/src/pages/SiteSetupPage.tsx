import { useQuery } from '@tanstack/react-query';
import { Link, useLocation, useParams } from 'react-router-dom';
import { sitesApi } from '../api/sites';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { InstallGuide } from '../components/InstallGuide';
import { useMe } from '../hooks/useMe';

/**
 * `/sites/:siteId/setup`: the guided set-up of a site (snippet, live install check, first flow). A new
 * site lands here, so the sidebar's picker and sections show that site; the write key comes with the
 * navigation after a create, else from the site's keys.
 */
export function SiteSetupPage() {
  const { siteId = '' } = useParams();
  const passed = (useLocation().state as { writeKey?: string } | null)?.writeKey;
  const site = useMe().data?.sites.find((candidate) => candidate.id === siteId);
  const keys = useQuery({
    queryKey: ['site-keys', siteId],
    queryFn: () => sitesApi.keys(siteId),
    enabled: !passed && !!siteId,
  });
  const writeKey =
    passed ?? keys.data?.find((key) => key.kind === 'write' && !key.revokedAt)?.key ?? undefined;

  if (!site) return null;
  return (
    <div className="page" style={{ maxWidth: 820 }}>
      <div className="card stack">
        <h1>{site.name} is ready</h1>
        {writeKey ? (
          <InstallGuide site={{ ...site, writeKey }} />
        ) : keys.isError ? (
          <ErrorBanner error={keys.error} onRetry={() => void keys.refetch()} />
        ) : keys.isPending ? (
          <Loading label="Loading the snippet…" />
        ) : (
          <p className="muted">This site has no active write key: create one in its settings.</p>
        )}
        <div className="row">
          <Link className="btn" to={`/sites/${site.id}/settings`}>
            Site settings
          </Link>
        </div>
      </div>
    </div>
  );
}
