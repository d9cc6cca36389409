import { Suspense, useEffect } from 'react';
import { Navigate, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { refreshSession } from './api/client';
import { AppShell } from './components/AppShell';
import { ErrorBanner, Loading } from './components/EmptyState';
import { Toaster } from './components/Toaster';
import { useMe } from './hooks/useMe';
import { AuthPage } from './pages/AuthPage';
import { FlowsPage } from './pages/FlowsPage';
import { NewSitePage } from './pages/NewSitePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/SettingsPage';
import { useAuthStore } from './state/auth-store';
import { CtasPage, FlowEditorPage, preloadEditor, ReportsPage, RunsPage, WebhooksPage } from './lazy-pages';
import { FLOW_PATH } from './hooks/usePrefetchFlow';

// Opened straight on a flow (a link, a reload): fetch the editor while the session and the user load.
if (FLOW_PATH.test(window.location.pathname)) void preloadEditor();

export function App() {
  const status = useAuthStore((state) => state.status);
  useEffect(() => {
    if (useAuthStore.getState().status === 'unknown') void refreshSession();
  }, []);

  if (status === 'unknown') {
    return (
      <div className="center-page">
        <Loading label="Loading Nudgeflow…" />
      </div>
    );
  }
  return (
    <>
      <Routes>
        <Route
          path="/login"
          element={status === 'signed-in' ? <Navigate to="/" replace /> : <AuthPage mode="login" />}
        />
        <Route
          path="/signup"
          element={status === 'signed-in' ? <Navigate to="/" replace /> : <AuthPage mode="signup" />}
        />
        <Route element={<RequireAuth />}>
          <Route path="/" element={<HomeRedirect />} />
          <Route element={<AppShell />}>
            <Route path="/sites/new" element={<NewSitePage />} />
            <Route path="/sites/:siteId" element={<Navigate to="flows" replace />} />
            <Route path="/sites/:siteId/flows" element={<FlowsPage />} />
            <Route
              path="/sites/:siteId/flows/:flowId"
              element={
                <Suspense fallback={<Loading label="Opening the editor…" />}>
                  <FlowEditorPage />
                </Suspense>
              }
            />
            <Route
              path="/sites/:siteId/ctas"
              element={
                <Suspense fallback={<Loading label="Loading CTAs…" />}>
                  <CtasPage />
                </Suspense>
              }
            />
            <Route
              path="/sites/:siteId/webhooks"
              element={
                <Suspense fallback={<Loading label="Loading webhooks…" />}>
                  <WebhooksPage />
                </Suspense>
              }
            />
            <Route
              path="/sites/:siteId/runs"
              element={
                <Suspense fallback={<Loading label="Loading runs…" />}>
                  <RunsPage />
                </Suspense>
              }
            />
            <Route
              path="/sites/:siteId/reports"
              element={
                <Suspense fallback={<Loading label="Loading reports…" />}>
                  <ReportsPage />
                </Suspense>
              }
            />
            <Route path="/sites/:siteId/settings" element={<SettingsPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Route>
      </Routes>
      <Toaster />
    </>
  );
}

function RequireAuth() {
  const status = useAuthStore((state) => state.status);
  const location = useLocation();
  if (status !== 'signed-in') {
    const next =
      location.pathname === '/' ? '' : `?next=${encodeURIComponent(location.pathname + location.search)}`;
    return <Navigate to={`/login${next}`} replace />;
  }
  return <Outlet />;
}

function HomeRedirect() {
  const me = useMe();
  if (me.isPending) {
    return (
      <div className="center-page">
        <Loading />
      </div>
    );
  }
  if (me.isError) {
    return (
      <div className="center-page">
        <ErrorBanner error={me.error} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  const last = localStorage.getItem('nf:lastSite');
  const site = me.data.sites.find((candidate) => candidate.id === last) ?? me.data.sites[0];
  return <Navigate to={site ? `/sites/${site.id}/flows` : '/sites/new'} replace />;
}
