import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../api/client';
import { flowsApi } from '../api/flows';
import { RUN_STATUSES, runsApi, type RunStatus, type RunSummary } from '../api/runs';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { DataTable } from '../components/DataTable';
import { InputField } from '../components/InputField';
import { Section } from '../components/Section';
import { SelectField } from '../components/SelectField';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { buildTimeline, isUuid, localInputToIso } from '../runs/run-timeline';
import { toast } from '../state/toast-store';

const STATUS_BADGE: Record<RunStatus, string> = {
  pending: 'badge badge--draft',
  running: 'badge badge--paused',
  waiting: 'badge badge--paused',
  completed: 'badge badge--live',
  converted: 'badge badge--live',
  exited: 'badge badge--archived',
  failed: 'badge badge--error',
  cancelled: 'badge badge--archived',
};
const statusLabel = (status: RunStatus) => status.charAt(0).toUpperCase() + status.slice(1);
function RunStatusBadge({ status }: { status: RunStatus }) {
  return <span className={STATUS_BADGE[status] ?? 'badge'}>{statusLabel(status)}</span>;
}
const time = (iso: string) => new Date(iso).toLocaleString();
const shortId = (id: string) => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

/** Runs of a flow with filters (status, visitor, version, started before), and one run's timeline. */
export function RunsPage() {
  const { siteId, site } = useCurrentSite();
  const [params, setParams] = useSearchParams();
  const flows = useQuery({
    queryKey: ['flows', siteId],
    queryFn: () => flowsApi.list(siteId),
    enabled: !!siteId,
  });
  const candidates = useMemo(
    () => (flows.data ?? []).filter((f) => f.publishedVersion !== null),
    [flows.data],
  );
  const flowId = params.get('flow') ?? candidates[0]?.id ?? '';
  const status = (params.get('status') as RunStatus | null) ?? '';
  const visitorId = params.get('visitor') ?? '';
  const version = params.get('version') ?? '';
  const before = params.get('before') ?? '';
  const runId = params.get('run');
  const [visitorDraft, setVisitorDraft] = useState(visitorId);
  const visitorProblem = visitorDraft && !isUuid(visitorDraft) ? 'Visitor id must be a visitor UUID' : '';

  const setParam = (updates: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(updates)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };

  const runs = useInfiniteQuery({
    queryKey: ['runs', siteId, flowId, status, visitorId, version, before],
    queryFn: ({ pageParam, signal }) =>
      runsApi.list(
        siteId,
        flowId,
        {
          status: status || undefined,
          visitorId: visitorId || undefined,
          version: version ? Number(version) : undefined,
          before: pageParam ?? localInputToIso(before),
          limit: 50,
        },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    enabled: !!flowId,
    refetchInterval: 10_000,
  });
  const rows = runs.data?.pages.flatMap((page) => page.runs) ?? [];

  if (!site) return null;
  const filtered = Boolean(status || visitorId || version || before);
  const flowName = candidates.find((f) => f.id === flowId)?.name ?? '';
  return (
    <div className={`page${runId ? ' page--wide' : ''}`}>
      <div className="page__header">
        <h1>Runs</h1>
        <span className="muted">{site.name}</span>
      </div>
      <p className="muted page__intro">
        A run is one visitor’s way through a published flow: where it waits, what it did, how it ended.
      </p>
      {flows.isLoading && <Loading label="Loading flows…" />}
      {flows.error && <ErrorBanner error={flows.error} onRetry={() => void flows.refetch()} />}
      {flows.data && candidates.length === 0 && (
        <EmptyState
          title="No runs yet"
          action={
            <Link className="btn btn--primary" to={`/sites/${siteId}/flows`}>
              Go to flows
            </Link>
          }
        >
          Runs start when visitors enter a published flow. Publish a flow to see its runs here.
        </EmptyState>
      )}
      {flows.data && candidates.length > 0 && (
        <div className="stack">
          <Section
            title="Filters"
            actions={
              filtered ? (
                <button
                  type="button"
                  className="btn btn--small btn--ghost"
                  onClick={() => {
                    setVisitorDraft('');
                    setParam({ status: null, visitor: null, version: null, before: null, run: null });
                  }}
                >
                  Clear filters
                </button>
              ) : null
            }
          >
            <form
              className="filters"
              role="search"
              aria-label="Filter runs"
              onSubmit={(e) => {
                e.preventDefault();
                if (!visitorProblem) setParam({ visitor: visitorDraft.trim() || null, run: null });
              }}
            >
              <SelectField
                label="Flow"
                wide
                value={flowId}
                options={candidates.map((f) => ({ value: f.id, label: f.name }))}
                onChange={(value) => setParam({ flow: value, run: null, version: null })}
              />
              <SelectField
                label="Status"
                value={status}
                any="Any status"
                options={RUN_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
                onChange={(value) => setParam({ status: value, run: null })}
              />
              <InputField
                label="Version"
                type="number"
                min={1}
                placeholder="Any"
                value={version}
                onChange={(e) => setParam({ version: e.target.value, run: null })}
              />
              <InputField
                label="Started before"
                type="datetime-local"
                value={before}
                onChange={(e) => setParam({ before: e.target.value, run: null })}
              />
              <label className="field field--wide">
                <span className="field__label">Visitor id</span>
                <input
                  className="input mono"
                  value={visitorDraft}
                  placeholder="Any visitor"
                  aria-invalid={Boolean(visitorProblem)}
                  aria-describedby={visitorProblem ? 'runs-visitor-error' : 'runs-visitor-help'}
                  onChange={(e) => setVisitorDraft(e.target.value)}
                  onBlur={() => {
                    if (!visitorProblem && visitorDraft.trim() !== visitorId)
                      setParam({ visitor: visitorDraft.trim() || null, run: null });
                  }}
                />
                {visitorProblem ? (
                  <span className="field__error" id="runs-visitor-error" role="alert">
                    {visitorProblem}
                  </span>
                ) : (
                  <span className="field__help" id="runs-visitor-help">
                    A visitor’s UUID; press Enter to filter.
                  </span>
                )}
              </label>
            </form>
          </Section>
          <div className={`split${runId ? ' split--open' : ''}`}>
            <Section
              title={flowName ? `Runs of ${flowName}` : 'Runs'}
              description={
                rows.length > 0
                  ? `${rows.length}${runs.hasNextPage ? '+' : ''} run${rows.length === 1 ? '' : 's'}, newest first; open one to see its timeline.`
                  : undefined
              }
            >
              {runs.isLoading && <Loading label="Loading runs…" />}
              {runs.error && <ErrorBanner error={runs.error} onRetry={() => void runs.refetch()} />}
              {runs.data && rows.length === 0 && (
                <EmptyState title="No runs match">
                  {filtered ? 'Nothing matches these filters.' : 'No visitor has entered this flow yet.'}
                </EmptyState>
              )}
              {rows.length > 0 && (
                <RunTable
                  rows={rows}
                  selected={runId}
                  onSelect={(id) => setParam({ run: id })}
                  compact={!!runId}
                />
              )}
              {runs.hasNextPage && (
                <div>
                  <button
                    type="button"
                    className="btn"
                    disabled={runs.isFetchingNextPage}
                    onClick={() => void runs.fetchNextPage()}
                  >
                    {runs.isFetchingNextPage ? 'Loading…' : 'Load older runs'}
                  </button>
                </div>
              )}
            </Section>
            {runId && (
              <RunDetailPanel siteId={siteId} runId={runId} onClose={() => setParam({ run: null })} />
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function RunTable({
  rows,
  selected,
  onSelect,
  compact,
}: {
  rows: RunSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
  compact: boolean;
}) {
  return (
    <DataTable
      label="Runs"
      columns={['Started', 'Visitor', !compact && 'Version', 'Status', !compact && 'Where']}
    >
      {rows.map((run) => (
        <tr key={run.id} aria-selected={run.id === selected}>
          <td>
            <button
              type="button"
              className="btn btn--ghost btn--small"
              aria-label={`Open run ${run.id}`}
              aria-pressed={run.id === selected}
              onClick={() => onSelect(run.id)}
            >
              {time(run.createdAt)}
            </button>
          </td>
          <td className="mono small" title={run.visitorId}>
            {shortId(run.visitorId)}
          </td>
          {!compact && <td>v{run.version}</td>}
          <td>
            <RunStatusBadge status={run.status} />
          </td>
          {!compact && (
            <td className="small">
              {run.waitingAt
                ? `waiting at ${run.waitingAt}`
                : run.error
                  ? `${run.error.code}${run.error.nodeId ? ` at ${run.error.nodeId}` : ''}`
                  : run.endedAt
                    ? `ended ${time(run.endedAt)}`
                    : '—'}
            </td>
          )}
        </tr>
      ))}
    </DataTable>
  );
}

function RunDetailPanel({ siteId, runId, onClose }: { siteId: string; runId: string; onClose: () => void }) {
  const { canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const run = useQuery({
    queryKey: ['run', siteId, runId],
    queryFn: () => runsApi.get(siteId, runId),
    refetchInterval: (query) =>
      query.state.data && ['pending', 'running', 'waiting'].includes(query.state.data.status) ? 5000 : false,
  });
  const version = useQuery({
    queryKey: ['flow-version', siteId, run.data?.flowId, run.data?.version],
    queryFn: () => flowsApi.version(siteId, run.data!.flowId, run.data!.version),
    enabled: !!run.data,
    staleTime: Infinity,
  });
  const labels = useMemo(() => {
    const out: Record<string, string> = {};
    for (const node of version.data?.graph.nodes ?? []) if (node.label) out[node.id] = node.label;
    return out;
  }, [version.data]);
  const act = useMutation({
    mutationFn: (kind: 'cancel' | 'retry' | 'skip') => runsApi[kind](siteId, runId),
    onSuccess: (_result, kind) => {
      toast(
        kind === 'cancel'
          ? 'Run cancelled'
          : kind === 'retry'
            ? 'Retrying the failed action'
            : 'Skipped; the run goes on',
      );
      void queryClient.invalidateQueries({ queryKey: ['run', siteId, runId] });
      void queryClient.invalidateQueries({ queryKey: ['runs', siteId] });
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });

  return (
    <section className="card stack section" aria-labelledby="run-timeline-title">
      <div className="page__header section__header">
        <h2 id="run-timeline-title">Run timeline</h2>
        <span className="spacer" />
        <button type="button" className="btn btn--ghost btn--icon" aria-label="Close run" onClick={onClose}>
          ×
        </button>
      </div>
      {run.isLoading && <Loading label="Loading the run…" />}
      {run.error && <ErrorBanner error={run.error} onRetry={() => void run.refetch()} />}
      {run.data && (
        <>
          <p className="small section__description">
            <RunStatusBadge status={run.data.status} /> · v{run.data.version} · visitor{' '}
            <span className="mono">{run.data.visitorId}</span>
          </p>
          {canEdit && (
            <div className="row">
              {run.data.status === 'failed' && (
                <>
                  <button
                    type="button"
                    className="btn btn--small"
                    disabled={act.isPending}
                    onClick={() => act.mutate('retry')}
                  >
                    Retry failed action
                  </button>
                  <button
                    type="button"
                    className="btn btn--small"
                    disabled={act.isPending}
                    onClick={() => act.mutate('skip')}
                  >
                    Skip it and continue
                  </button>
                </>
              )}
              {['pending', 'running', 'waiting'].includes(run.data.status) && (
                <button
                  type="button"
                  className="btn btn--small btn--danger"
                  disabled={act.isPending}
                  onClick={() => {
                    if (window.confirm('Cancel this run? The visitor leaves the flow.')) act.mutate('cancel');
                  }}
                >
                  Cancel run
                </button>
              )}
            </div>
          )}
          <ol aria-label="Timeline" className="timeline">
            {buildTimeline(run.data, labels).map((entry) => (
              <li key={entry.key} data-kind={entry.kind} data-tone={entry.tone}>
                <div className="timeline__title">{entry.title}</div>
                <div className="small muted">
                  {time(entry.at)}
                  {entry.detail && (
                    <>
                      {' '}
                      · <span className="timeline__detail">{entry.detail}</span>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ol>
          {run.data.timeline.length === 0 && run.data.status === 'pending' && (
            <p className="muted small">The first step has not run yet.</p>
          )}
        </>
      )}
    </section>
  );
}
