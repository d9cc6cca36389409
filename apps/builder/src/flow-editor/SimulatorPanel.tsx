import type { FlowGraph, FlowSettings } from '@nudgeflow/flow-schema';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../api/client';
import { visitorsApi, type VisitorSummary } from '../api/visitors';
import {
  describeEffect,
  recordedReplay,
  type RecordedReplay,
  simulate,
  suggestTimeline,
  type SimulationResult,
} from '../editor/simulation';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { useEditorStore } from './editor-store';

const DEFAULT_VISITOR = JSON.stringify(
  {
    id: 'visitor-1',
    traits: { email: 'ada@example.com', first_name: 'Ada' },
    tags: [],
    visitCount: 3,
    device: 'desktop',
    utm: { source: 'newsletter' },
  },
  null,
  2,
);

interface Row {
  atMinutes: string;
  name: string;
  properties: string;
}

/** Runs the shared engine in the browser and lights up the path on the canvas step by step. */
export function SimulatorPanel({
  graph,
  settings,
  replayVisitorId = null,
}: {
  graph: FlowGraph;
  settings: FlowSettings;
  /** A visitor to load at once (a backtest's sample path opened in the simulator). */
  replayVisitorId?: string | null;
}) {
  const patch = useEditorStore((state) => state.patch);
  const [visitor, setVisitor] = useState(DEFAULT_VISITOR);
  const [rows, setRows] = useState<Row[]>(() =>
    suggestTimeline(graph).map((event) => ({
      atMinutes: String(event.atMinutes),
      name: event.name,
      properties: JSON.stringify(event.properties),
    })),
  );
  const [result, setResult] = useState<SimulationResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  // Set while a real visitor's events are loaded: the simulation starts at their first event.
  const [replay, setReplay] = useState<{ label: string; start: Date | null } | null>(null);

  // Leaving the tab clears the highlight.
  useEffect(() => () => patch({ simulation: null }), [patch]);

  const highlight = useMemo(() => {
    if (!result || result.steps.length === 0) return null;
    const upto = result.steps.slice(0, index + 1);
    return {
      visited: new Set(upto.map((step) => step.nodeId)),
      current: upto[upto.length - 1]?.nodeId,
      edges: new Set(upto.slice(0, -1).flatMap((step) => (step.edgeId ? [step.edgeId] : []))),
    };
  }, [result, index]);
  useEffect(() => patch({ simulation: highlight }), [highlight, patch]);

  const run = () => {
    setError(null);
    try {
      const parsedVisitor = JSON.parse(visitor) as Record<string, unknown>;
      const timeline = rows
        .filter((row) => row.name.trim())
        .map((row, position) => {
          let properties: Record<string, unknown> = {};
          if (row.properties.trim()) {
            try {
              properties = JSON.parse(row.properties) as Record<string, unknown>;
            } catch {
              throw new Error(`Event ${position + 1}: properties are not valid JSON`);
            }
          }
          return { atMinutes: Number(row.atMinutes) || 0, name: row.name.trim(), properties };
        });
      const simulated = simulate(graph, settings, parsedVisitor, timeline, {
        start: replay?.start ?? undefined,
      });
      setResult(simulated);
      setIndex(Math.max(0, simulated.steps.length - 1));
    } catch (caught) {
      setResult(null);
      setError(
        caught instanceof SyntaxError ? 'The sample visitor is not valid JSON' : (caught as Error).message,
      );
    }
  };

  const step = result?.steps[index];

  return (
    <div className="panel__section stack">
      <p className="muted small">
        Nothing is sent: the flow runs in your browser with the same engine as the server. Waits and timeouts
        are fast-forwarded.
      </p>
      <RealVisitorPicker
        initialVisitorId={replayVisitorId}
        onLoad={(loaded) => {
          setVisitor(JSON.stringify(loaded.visitor, null, 2));
          setRows(
            loaded.events.map((event) => ({
              atMinutes: String(event.atMinutes),
              name: event.name,
              properties: JSON.stringify(event.properties),
            })),
          );
          setReplay({ label: loaded.label, start: loaded.start });
          setResult(null);
        }}
      />
      {replay && (
        <p className="muted small" role="status">
          Replaying {replay.label}
          {replay.start ? ` from ${replay.start.toLocaleString()}` : ''}: {rows.length} recorded event
          {rows.length === 1 ? '' : 's'}, with the visitor&apos;s current profile.{' '}
          <button type="button" className="btn btn--ghost btn--small" onClick={() => setReplay(null)}>
            Use sample times
          </button>
        </p>
      )}
      <label className="field">
        <span>Sample visitor (JSON)</span>
        <textarea
          className="input"
          rows={6}
          value={visitor}
          onChange={(event) => setVisitor(event.target.value)}
        />
      </label>
      <fieldset className="sform__fieldset">
        <legend>Event timeline</legend>
        {rows.map((row, position) => (
          <div
            key={position}
            className="stack"
            style={{ gap: 4, borderBottom: '1px solid var(--border)', paddingBottom: 6 }}
          >
            <div className="row" style={{ flexWrap: 'nowrap' }}>
              <label className="field" style={{ width: 70 }}>
                <span>Minute</span>
                <input
                  className="input"
                  type="number"
                  min={0}
                  value={row.atMinutes}
                  onChange={(event) =>
                    setRows(
                      rows.map((r, i) => (i === position ? { ...r, atMinutes: event.target.value } : r)),
                    )
                  }
                />
              </label>
              <label className="field" style={{ flex: 1 }}>
                <span>Event {position + 1}</span>
                <input
                  className="input"
                  value={row.name}
                  placeholder="e.g. checkout_completed"
                  onChange={(event) =>
                    setRows(rows.map((r, i) => (i === position ? { ...r, name: event.target.value } : r)))
                  }
                />
              </label>
              <button
                type="button"
                className="btn btn--ghost btn--small"
                style={{ alignSelf: 'flex-end' }}
                aria-label={`Remove event ${position + 1}`}
                onClick={() => setRows(rows.filter((_, i) => i !== position))}
              >
                ×
              </button>
            </div>
            <label className="field">
              <span>Properties (JSON)</span>
              <input
                className="input mono"
                value={row.properties}
                onChange={(event) =>
                  setRows(rows.map((r, i) => (i === position ? { ...r, properties: event.target.value } : r)))
                }
              />
            </label>
          </div>
        ))}
        <div>
          <button
            type="button"
            className="btn btn--small"
            onClick={() =>
              setRows([
                ...rows,
                {
                  atMinutes: String(Number(rows[rows.length - 1]?.atMinutes ?? 0) + 10),
                  name: '',
                  properties: '{}',
                },
              ])
            }
          >
            Add event
          </button>
        </div>
      </fieldset>
      <div className="row">
        <button type="button" className="btn btn--primary" onClick={run}>
          Run simulation
        </button>
        {result && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setResult(null);
              patch({ simulation: null });
            }}
          >
            Clear
          </button>
        )}
      </div>
      {error && (
        <div className="banner banner--error" role="alert">
          {error}
        </div>
      )}
      {result && (
        <section aria-label="Simulation result" className="stack">
          <div className="banner banner--info">
            Result: <strong>{result.status.replace('_', ' ')}</strong> after {result.steps.length} step
            {result.steps.length === 1 ? '' : 's'}.
          </div>
          {result.steps.length > 0 && (
            <div className="row">
              <button
                type="button"
                className="btn btn--small"
                disabled={index === 0}
                onClick={() => setIndex(index - 1)}
              >
                ← Previous step
              </button>
              <span className="small">
                Step {index + 1} / {result.steps.length}
              </span>
              <button
                type="button"
                className="btn btn--small"
                disabled={index >= result.steps.length - 1}
                onClick={() => setIndex(index + 1)}
              >
                Next step →
              </button>
            </div>
          )}
          {step && (
            <div className="card" style={{ padding: 10 }}>
              <strong>{step.nodeId}</strong>
              <span className="muted small"> · {step.cause}</span>
              {step.handle && <div className="small">Took “{step.handle}”</div>}
              {step.effects.length > 0 ? (
                <ul className="small" style={{ margin: '4px 0 0', paddingLeft: 18 }}>
                  {step.effects.map((effect) => (
                    <li key={effect.idempotencyKey}>{describeEffect(effect)}</li>
                  ))}
                </ul>
              ) : (
                <div className="muted small">No effect.</div>
              )}
            </div>
          )}
          <h3>Timeline</h3>
          <ol className="sim-timeline">
            {result.log.map((entry, position) => (
              <li key={position}>
                <span className="muted">{entry.at.slice(11, 16)}</span> {entry.text}
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

const visitorLabel = (visitor: VisitorSummary) =>
  (typeof visitor.traits?.email === 'string' ? visitor.traits.email : null) ??
  visitor.userId ??
  visitor.anonymousIds[0] ??
  visitor.id;

/** Finds a visitor of the site and loads their recorded events (latest 100) into the simulator. */
function RealVisitorPicker({
  onLoad,
  initialVisitorId,
}: {
  onLoad: (replay: RecordedReplay & { label: string }) => void;
  initialVisitorId: string | null;
}) {
  const { siteId } = useCurrentSite();
  useEffect(() => {
    if (!initialVisitorId) return;
    let live = true;
    void visitorsApi.get(siteId, initialVisitorId).then((detail) => {
      if (live) onLoad({ ...recordedReplay(detail, detail.timeline), label: visitorLabel(detail) });
    });
    return () => {
      live = false;
    };
  }, [initialVisitorId]); // once per visitor opened
  const [search, setSearch] = useState('');
  const find = useMutation({ mutationFn: (text: string) => visitorsApi.search(siteId, text) });
  const load = useMutation({
    mutationFn: (visitor: VisitorSummary) => visitorsApi.get(siteId, visitor.id),
    onSuccess: (detail, visitor) => {
      onLoad({ ...recordedReplay(detail, detail.timeline), label: visitorLabel(visitor) });
      find.reset();
    },
  });
  const found = find.data?.items;
  const busy = find.isPending || load.isPending;
  const failed = find.error ?? load.error;

  return (
    <form
      className="stack"
      style={{ gap: 4 }}
      onSubmit={(event) => {
        event.preventDefault();
        load.reset();
        find.mutate(search.trim());
      }}
    >
      <div className="row" style={{ flexWrap: 'nowrap' }}>
        <label className="field" style={{ flex: 1 }}>
          <span>Replay a real visitor</span>
          <input
            className="input"
            value={search}
            placeholder="email, user id or anonymous id"
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <button type="submit" className="btn btn--small" style={{ alignSelf: 'flex-end' }} disabled={busy}>
          Find
        </button>
      </div>
      {failed && (
        <div className="banner banner--error" role="alert">
          {errorMessage(failed)}
        </div>
      )}
      {found && found.length === 0 && <p className="muted small">No visitor matches.</p>}
      {found && found.length > 0 && (
        <ul aria-label="Visitors found" className="stack" style={{ gap: 2, listStyle: 'none', padding: 0 }}>
          {found.map((visitor) => (
            <li key={visitor.id}>
              <button
                type="button"
                className="btn btn--ghost btn--small"
                disabled={busy}
                onClick={() => load.mutate(visitor)}
              >
                Load {visitorLabel(visitor)} ({visitor.eventCount} event{visitor.eventCount === 1 ? '' : 's'})
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
