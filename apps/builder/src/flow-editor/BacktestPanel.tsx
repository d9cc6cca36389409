import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { FlowGraph } from '@nudgeflow/flow-schema';
import { useEffect, useMemo, useState } from 'react';
import { backtestsApi, isRunning, type Backtest, type BacktestResult } from '../api/backtests';
import { errorMessage } from '../api/client';
import { toast } from '../state/toast-store';

type NodeCounts = BacktestResult['nodes'];

const POLL_MS = 500;
const number = new Intl.NumberFormat();

const label = (b: Pick<Backtest, 'version' | 'from' | 'to'>) => {
  const days = Math.round((Date.parse(String(b.to)) - Date.parse(String(b.from))) / 86_400_000);
  return `${b.version === null ? 'Draft' : `v${b.version}`}, ${days} day${days === 1 ? '' : 's'}`;
};

/**
 * Backtest: replay the draft or a version over the site's past events (a background job), watch its
 * progress, show its per-node forecast on the canvas and compare two backtests side by side.
 */
export function BacktestPanel({
  siteId,
  flowId,
  graph,
  publishedVersion,
  canEdit,
  overlayId,
  onOverlay,
  onOpenSample,
}: {
  siteId: string;
  flowId: string;
  graph: FlowGraph;
  publishedVersion: number | null;
  canEdit: boolean;
  /** The backtest whose forecast is drawn on the canvas. */
  overlayId: string | null;
  onOverlay: (backtest: { id: string; counts: NodeCounts } | null) => void;
  /** Opens a sample visitor's recorded events in the simulator. */
  onOpenSample: (visitorId: string) => void;
}) {
  const queryClient = useQueryClient();
  const [source, setSource] = useState<string>('draft');
  const [days, setDays] = useState(7);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [compare, setCompare] = useState<string[]>([]);
  const [starting, setStarting] = useState(false);

  const list = useQuery({
    queryKey: ['backtests', siteId, flowId],
    queryFn: () => backtestsApi.list(siteId, flowId),
  });
  const running = list.data?.find(isRunning);
  const shownId = activeId ?? running?.id ?? list.data?.[0]?.id ?? null;
  const active = useQuery({
    queryKey: ['backtest', siteId, flowId, shownId],
    queryFn: () => backtestsApi.get(siteId, flowId, shownId as string),
    enabled: shownId !== null,
    refetchInterval: (query) => (query.state.data && !isRunning(query.state.data) ? false : POLL_MS),
  });
  const current = active.data;

  // A backtest that just completed goes on the canvas, and the list learns its final state.
  const completedId = current?.status === 'completed' ? current.id : null;
  useEffect(() => {
    if (!completedId || !current?.result) return;
    onOverlay({ id: completedId, counts: current.result.nodes });
    void queryClient.invalidateQueries({ queryKey: ['backtests', siteId, flowId] });
  }, [completedId]); // once per completed backtest

  const start = async () => {
    setStarting(true);
    try {
      const created = await backtestsApi.start(siteId, flowId, {
        version: source === 'draft' ? 'draft' : Number(source),
        days,
      });
      setActiveId(created.id);
      await queryClient.invalidateQueries({ queryKey: ['backtests', siteId, flowId] });
    } catch (error) {
      toast(`Backtest not started: ${errorMessage(error)}`, 'error');
    } finally {
      setStarting(false);
    }
  };
  const cancel = async (id: string) => {
    try {
      await backtestsApi.cancel(siteId, flowId, id);
      await queryClient.invalidateQueries({ queryKey: ['backtest', siteId, flowId, id] });
      await queryClient.invalidateQueries({ queryKey: ['backtests', siteId, flowId] });
    } catch (error) {
      toast(`Not cancelled: ${errorMessage(error)}`, 'error');
    }
  };

  const completed = (list.data ?? []).filter((b) => b.status === 'completed' && b.result);
  const pair = compare
    .map((id) => completed.find((b) => b.id === id))
    .filter((b): b is Backtest => b !== undefined);

  return (
    <div className="panel__section stack">
      <h2>Backtest</h2>
      <p className="muted small">
        Replays real visitors of a past window through this flow, as the runtime would have run them. Nothing
        is sent. The result is a forecast.
      </p>
      <div className="row">
        <label>
          Flow{' '}
          <select value={source} onChange={(e) => setSource(e.target.value)} aria-label="Backtest source">
            <option value="draft">Draft</option>
            {Array.from({ length: publishedVersion ?? 0 }, (_, i) => publishedVersion! - i).map((v) => (
              <option key={v} value={String(v)}>
                Version {v}
              </option>
            ))}
          </select>
        </label>
        <label>
          Window{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} aria-label="Backtest window">
            <option value={1}>Last day</option>
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
          </select>
        </label>
      </div>
      <button
        type="button"
        className="btn btn--primary"
        disabled={!canEdit || starting || (current !== undefined && isRunning(current))}
        onClick={() => void start()}
      >
        Run backtest
      </button>

      {current && (
        <div className="stack" aria-label="Current backtest">
          <div className="row">
            <strong>{label(current)}</strong>
            <span className={`badge badge--${current.status}`}>{current.status}</span>
          </div>
          {isRunning(current) && (
            <>
              <progress
                className="backtest-progress"
                aria-label="Backtest progress"
                max={1}
                value={current.progress.fraction}
              />
              <span className="muted small" role="status">
                {number.format(current.progress.visitorsDone)}
                {current.progress.visitorsTotal !== null
                  ? ` of ${number.format(current.progress.visitorsTotal)}`
                  : ''}{' '}
                visitors, {number.format(current.progress.eventsDone)} events
              </span>
              {canEdit && (
                <button type="button" className="btn" onClick={() => void cancel(current.id)}>
                  Cancel
                </button>
              )}
            </>
          )}
          {current.error && <div className="banner banner--error">{current.error}</div>}
          {current.status === 'completed' && current.result && (
            <BacktestSummary
              result={current.result}
              onOpenSample={onOpenSample}
              overlaid={overlayId === current.id}
              onToggle={(on) => onOverlay(on ? { id: current.id, counts: current.result!.nodes } : null)}
            />
          )}
        </div>
      )}

      {completed.length > 1 && (
        <div className="stack">
          <h3>Compare two backtests</h3>
          {completed.map((b) => (
            <label key={b.id} className="row small">
              <input
                type="checkbox"
                checked={compare.includes(b.id)}
                onChange={(e) =>
                  setCompare((ids) =>
                    e.target.checked
                      ? [...ids.filter((id) => id !== b.id), b.id].slice(-2)
                      : ids.filter((id) => id !== b.id),
                  )
                }
              />
              {label(b)} · {new Date(String(b.createdAt)).toLocaleString()}
            </label>
          ))}
          {pair.length === 2 && <BacktestCompare a={pair[0]} b={pair[1]} graph={graph} />}
        </div>
      )}
    </div>
  );
}

function BacktestSummary({
  result,
  overlaid,
  onToggle,
  onOpenSample,
}: {
  result: BacktestResult;
  onOpenSample: (visitorId: string) => void;
  overlaid: boolean;
  onToggle: (on: boolean) => void;
}) {
  const effects = Object.entries(result.effects);
  return (
    <div className="stack small" aria-label="Backtest result">
      <label className="row">
        <input type="checkbox" checked={overlaid} onChange={(e) => onToggle(e.target.checked)} />
        Show forecast on the canvas
      </label>
      <ul>
        <li>
          {number.format(result.visitors)} visitors, {number.format(result.events)} events replayed
        </li>
        <li>
          {number.format(result.runs.enrolled)} enrolments ({number.format(result.enrolledVisitors)}{' '}
          visitors), {number.format(result.runs.converted)} goal conversions in the window
        </li>
        {effects.map(([kind, e]) => (
          <li key={kind}>
            {kind}: {number.format(e.count)} to {number.format(e.visitors)} visitors
            {e.capped ? `, ${number.format(e.capped)} refused by frequency caps` : ''}
            {e.heldOut ? `, ${number.format(e.heldOut)} held out` : ''}
          </li>
        ))}
      </ul>
      {result.samples.length > 0 && (
        <details>
          <summary>Sample paths ({result.samples.length})</summary>
          <ul>
            {result.samples.map((s) => (
              <li key={s.runId}>
                <code>{s.visitorId.slice(0, 8)}</code> {s.steps.map((step) => step.nodeId).join(' → ')} (
                {s.status}){' '}
                <button
                  type="button"
                  className="btn btn--ghost btn--small"
                  onClick={() => onOpenSample(s.visitorId)}
                >
                  Open in simulator
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function BacktestCompare({ a, b, graph }: { a: Backtest; b: Backtest; graph: FlowGraph }) {
  const rows = useMemo(() => {
    const ids = new Set([
      ...graph.nodes.map((n) => n.id),
      ...Object.keys(a.result!.nodes),
      ...Object.keys(b.result!.nodes),
    ]);
    return [...ids].map((id) => ({
      id,
      a: a.result!.nodes[id]?.entered ?? 0,
      b: b.result!.nodes[id]?.entered ?? 0,
    }));
  }, [a, b, graph]);
  return (
    <table className="backtest-compare" aria-label="Backtest comparison">
      <thead>
        <tr>
          <th>Step (entered)</th>
          <th>{label(a)}</th>
          <th>{label(b)}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{r.id}</td>
            <td>{number.format(r.a)}</td>
            <td>{number.format(r.b)}</td>
          </tr>
        ))}
        <tr>
          <td>Conversions</td>
          <td>{number.format(a.result!.runs.converted)}</td>
          <td>{number.format(b.result!.runs.converted)}</td>
        </tr>
      </tbody>
    </table>
  );
}
