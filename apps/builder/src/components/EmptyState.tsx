import type { ReactNode } from 'react';

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="row muted" role="status" style={{ padding: 24 }}>
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="banner banner--error" role="alert">
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="btn btn--small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/**
 * What a tab shows until its query has data: the spinner with `loading` while it loads, the error with a
 * retry once it failed. Callers render it for `!query.isSuccess`, which narrows `query.data` after.
 */
export function QueryFallback({
  query,
  loading,
}: {
  query: { isError: boolean; error: unknown; refetch: () => Promise<unknown> };
  loading: string;
}) {
  if (query.isError) return <ErrorBanner error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading label={loading} />;
}
