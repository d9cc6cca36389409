import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router-dom';
import { authApi } from '../api/auth';
import { useDemoStatus } from '../hooks/useDemoStatus';
import { useMe } from '../hooks/useMe';
import { usePrefetchFlow } from '../hooks/usePrefetchFlow';
import { useAuthStore } from '../state/auth-store';
import { ErrorBanner, Loading } from './EmptyState';
import { ErrorBoundary } from './ErrorBoundary';

/**
 * Screens of a site. Those whose API has not landed yet stay listed here but hidden (`available: false`),
 * so turning one on is a one-line change and nothing is faked.
 */
const SECTIONS = [
  { path: 'flows', label: 'Flows', available: true },
  { path: 'ctas', label: 'CTAs', available: true },
  { path: 'webhooks', label: 'Webhooks', available: true },
  { path: 'runs', label: 'Runs', available: true },
  { path: 'reports', label: 'Reports', available: true },
  { path: 'settings', label: 'Settings', available: true },
] as const;

const NEW_SITE = '__new__';

export function AppShell() {
  const { siteId } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  usePrefetchFlow(location.pathname);
  const demo = useDemoStatus().data;

  useEffect(() => {
    if (siteId) localStorage.setItem('nf:lastSite', siteId);
  }, [siteId]);

  const section = location.pathname.split('/')[3] ?? 'flows';
  const sites = me.data?.sites ?? [];
  const site = sites.find((candidate) => candidate.id === siteId);

  const logout = async () => {
    try {
      await authApi.logout();
    } catch {
      // The session is dropped locally either way; an expired token cannot log out.
    }
    queryClient.clear();
    useAuthStore.getState().clear();
    navigate('/login', { replace: true });
  };

  let content = <Outlet />;
  if (me.isPending) content = <Loading />;
  else if (me.isError)
    content = (
      <div className="page">
        <ErrorBanner error={me.error} onRetry={() => void me.refetch()} />
      </div>
    );
  else if (siteId && !site)
    content = (
      <div className="page">
        <div className="empty">
          <h1>Site not available</h1>
          <p>This site does not exist or you are not a member of its account. Ask an owner to invite you.</p>
          <Link className="btn btn--primary" to="/">
            Go to your sites
          </Link>
        </div>
      </div>
    );

  return (
    <div className="shell">
      <aside className="sidebar" aria-label="Main">
        <Link to="/" className="sidebar__brand">
          <span className="logo" aria-hidden="true">
            N
          </span>
          Nudgeflow
        </Link>
        <label className="field">
          <span>Site</span>
          <select
            className="input"
            value={siteId ?? (location.pathname === '/sites/new' ? NEW_SITE : '')}
            onChange={(event) => {
              const value = event.target.value;
              if (value === NEW_SITE) navigate('/sites/new');
              else if (value) navigate(`/sites/${value}/${section === 'new' ? 'flows' : section || 'flows'}`);
            }}
          >
            {!siteId && location.pathname !== '/sites/new' && <option value="">Choose a site</option>}
            {sites.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.name} ({candidate.domain})
              </option>
            ))}
            <option value={NEW_SITE}>+ New site…</option>
          </select>
        </label>
        {site && (
          <nav className="nav" aria-label="Site sections">
            {SECTIONS.filter((item) => item.available).map((item) => (
              <NavLink key={item.path} to={`/sites/${site.id}/${item.path}`}>
                {item.label}
              </NavLink>
            ))}
          </nav>
        )}
        {site && (
          <p className="small" style={{ color: '#98a0b8', margin: '0 4px' }}>
            Your role: <strong style={{ color: '#d8dcea' }}>{site.role}</strong>
            {site.role === 'viewer' && ' (read only)'}
          </p>
        )}
        <div className="sidebar__user">
          {me.data?.user && (
            <>
              <div style={{ color: '#fff', fontWeight: 600 }}>{me.data.user.name}</div>
              <div style={{ color: '#98a0b8', overflow: 'hidden', textOverflow: 'ellipsis' }}>
                {me.data.user.email}
              </div>
            </>
          )}
          <button type="button" className="btn" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </aside>
      <main className="main" id="main">
        {demo && site && demo.siteId === site.id && (
          <div className="banner banner--warning demo-banner" role="note" aria-label="Demo data">
            {demo.traffic ? (
              <span>
                <strong>Demo site:</strong> the visitors, runs and numbers here are simulated by{' '}
                <code>npm run demo</code>’s traffic simulator. {demo.stop}.{' '}
                <a href="/demo-shop/" target="_blank" rel="noreferrer">
                  Open the demo shop
                </a>
              </span>
            ) : (
              <span>
                <strong>Demo site:</strong> seeded by <code>npm run demo</code>, simulator off.{' '}
                <a href="/demo-shop/" target="_blank" rel="noreferrer">
                  Open the demo shop
                </a>
              </span>
            )}
          </div>
        )}
        <ErrorBoundary resetKey={location.pathname}>{content}</ErrorBoundary>
      </main>
    </div>
  );
}
