import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import {
  funnelsApi,
  reportsApi,
  type Funnel,
  type FunnelFilterOp,
  type FunnelInput,
  type FunnelStep,
  type RangeQuery,
} from '../api/reports';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { toast } from '../state/toast-store';

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`;
const num = (v: number) => v.toLocaleString();

const OPS: { value: FunnelFilterOp; label: string }[] = [
  { value: 'equals', label: 'equals' },
  { value: 'not_equals', label: 'does not equal' },
  { value: 'contains', label: 'contains' },
  { value: 'starts_with', label: 'starts with' },
  { value: 'exists', label: 'is set' },
];

const UNITS = [
  { label: 'minutes', seconds: 60 },
  { label: 'hours', seconds: 3_600 },
  { label: 'days', seconds: 86_400 },
];

const KNOWN_EVENTS = ['$page', 'cta_viewed', 'cta_clicked', 'cta_converted', 'signup'];

const emptyStep = (): FunnelStep => ({ event: '', filters: [] });
const pageStep = (path: string): FunnelStep => ({
  event: '$page',
  filters: [{ property: 'path', op: 'equals', value: path }],
});

interface Draft {
  id: string | null;
  name: string;
  steps: FunnelStep[];
  windowAmount: number;
  windowUnit: number;
}

function draftOf(f: Funnel | null): Draft {
  if (!f)
    return { id: null, name: '', steps: [pageStep('/'), emptyStep()], windowAmount: 7, windowUnit: 86_400 };
  const unit = [...UNITS].reverse().find((u) => f.windowSeconds % u.seconds === 0) ?? UNITS[0];
  return {
    id: f.id,
    name: f.name,
    steps: f.steps.map((s) => ({ ...s, filters: s.filters.map((x) => ({ ...x })) })),
    windowAmount: f.windowSeconds / unit.seconds,
    windowUnit: unit.seconds,
  };
}

/** Defines a funnel: ordered steps (event + property filters) and a conversion window. */
function FunnelEditor({
  initial,
  saving,
  onSave,
  onCancel,
}: {
  initial: Draft;
  saving: boolean;
  onSave: (d: Draft) => void;
  onCancel: () => void;
}) {
  const [d, setD] = useState(initial);
  const setStep = (i: number, s: FunnelStep) =>
    setD({ ...d, steps: d.steps.map((x, k) => (k === i ? s : x)) });
  const move = (i: number, by: -1 | 1) => {
    const steps = [...d.steps];
    [steps[i], steps[i + by]] = [steps[i + by], steps[i]];
    setD({ ...d, steps });
  };
  return (
    <form
      className="card"
      aria-label="Funnel definition"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(d);
      }}
    >
      <div className="form-grid">
        <label className="field">
          <span>Name</span>
          <input
            className="input"
            value={d.name}
            onChange={(e) => setD({ ...d, name: e.target.value })}
            required
          />
        </label>
        <div className="field">
          <span>Conversion window</span>
          <div className="row">
            <input
              className="input"
              type="number"
              min={1}
              aria-label="Window"
              value={d.windowAmount}
              onChange={(e) => setD({ ...d, windowAmount: Number(e.target.value) })}
            />
            <select
              className="input"
              aria-label="Window unit"
              value={d.windowUnit}
              onChange={(e) => setD({ ...d, windowUnit: Number(e.target.value) })}
            >
              {UNITS.map((u) => (
                <option key={u.seconds} value={u.seconds}>
                  {u.label}
                </option>
              ))}
            </select>
          </div>
          <span className="field__help">Every step must happen within this time of the first one.</span>
        </div>
      </div>
      <datalist id="funnel-events">
        {KNOWN_EVENTS.map((e) => (
          <option key={e} value={e} />
        ))}
      </datalist>
      <ol className="funnel-steps">
        {d.steps.map((s, i) => (
          <li key={i} className="card" aria-label={`Step ${i + 1}`}>
            <div className="row">
              <strong>Step {i + 1}</strong>
              <input
                className="input"
                list="funnel-events"
                aria-label={`Step ${i + 1} event`}
                placeholder="event name ($page for page views)"
                value={s.event}
                onChange={(e) => setStep(i, { ...s, event: e.target.value })}
                required
              />
              <input
                className="input"
                aria-label={`Step ${i + 1} label`}
                placeholder="label (optional)"
                value={s.label ?? ''}
                onChange={(e) => setStep(i, { ...s, label: e.target.value || undefined })}
              />
              <button
                type="button"
                className="btn btn--ghost btn--small"
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                className="btn btn--ghost btn--small"
                disabled={i === d.steps.length - 1}
                onClick={() => move(i, 1)}
              >
                ↓
              </button>
              <button
                type="button"
                className="btn btn--ghost btn--small"
                disabled={d.steps.length <= 2}
                onClick={() => setD({ ...d, steps: d.steps.filter((_, k) => k !== i) })}
              >
                Remove
              </button>
            </div>
            {s.filters.map((f, j) => (
              <div key={j} className="row">
                <span className="muted">where</span>
                <input
                  className="input"
                  aria-label={`Step ${i + 1} filter ${j + 1} property`}
                  placeholder={s.event === '$page' ? 'path' : 'property'}
                  value={f.property}
                  onChange={(e) =>
                    setStep(i, {
                      ...s,
                      filters: s.filters.map((x, k) => (k === j ? { ...x, property: e.target.value } : x)),
                    })
                  }
                  required
                />
                <select
                  className="input"
                  aria-label={`Step ${i + 1} filter ${j + 1} operator`}
                  value={f.op}
                  onChange={(e) =>
                    setStep(i, {
                      ...s,
                      filters: s.filters.map((x, k) =>
                        k === j ? { ...x, op: e.target.value as FunnelFilterOp } : x,
                      ),
                    })
                  }
                >
                  {OPS.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
                {f.op !== 'exists' && (
                  <input
                    className="input"
                    aria-label={`Step ${i + 1} filter ${j + 1} value`}
                    value={f.value ?? ''}
                    onChange={(e) =>
                      setStep(i, {
                        ...s,
                        filters: s.filters.map((x, k) => (k === j ? { ...x, value: e.target.value } : x)),
                      })
                    }
                  />
                )}
                <button
                  type="button"
                  className="btn btn--ghost btn--small"
                  onClick={() => setStep(i, { ...s, filters: s.filters.filter((_, k) => k !== j) })}
                >
                  ×
                </button>
              </div>
            ))}
            {s.filters.length < 5 && (
              <button
                type="button"
                className="btn btn--ghost btn--small"
                onClick={() =>
                  setStep(i, {
                    ...s,
                    filters: [
                      ...s.filters,
                      { property: s.event === '$page' ? 'path' : '', op: 'equals', value: '' },
                    ],
                  })
                }
              >
                + Filter
              </button>
            )}
          </li>
        ))}
      </ol>
      <div className="row">
        {d.steps.length < 10 && (
          <button
            type="button"
            className="btn"
            onClick={() => setD({ ...d, steps: [...d.steps, emptyStep()] })}
          >
            + Step
          </button>
        )}
        <span style={{ flex: 1 }} />
        <button type="button" className="btn btn--ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn--primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save funnel'}
        </button>
      </div>
    </form>
  );
}

/** The selected funnel's report: per-step bars, drop-off, conversion, previous period. */
function FunnelReportView({ siteId, funnel, q }: { siteId: string; funnel: Funnel; q: RangeQuery }) {
  const report = useQuery({
    queryKey: ['reports', 'funnel', siteId, funnel.id, funnel.version, q.from, q.to],
    queryFn: () => funnelsApi.report(siteId, funnel.id, q),
    refetchInterval: (query) => (query.state.data?.funnel.ready === false ? 3_000 : false),
  });
  if (report.isLoading) return <Loading />;
  if (report.isError) return <ErrorBanner error={report.error} onRetry={() => void report.refetch()} />;
  const r = report.data;
  if (!r) return null;
  const first = r.steps[0]?.visitors ?? 0;
  const prev = new Map((r.previous?.steps ?? []).map((s) => [s.step, s]));
  return (
    <div>
      {!r.funnel.ready && (
        <div className="banner banner--info" role="status">
          Building this funnel from past events… the numbers fill in within a few seconds.
        </div>
      )}
      <p>
        <strong>{num(r.overall.entered)}</strong> visitors entered ·{' '}
        <strong>{num(r.overall.converted)}</strong> completed · overall conversion{' '}
        <strong>{pct(r.overall.conversionRate)}</strong>
        {r.previous && (
          <span className="muted">
            {' '}
            (previous period {pct(r.previous.overall.conversionRate)}, {num(r.previous.overall.entered)}{' '}
            entered)
          </span>
        )}
      </p>
      <table className="table funnel-report">
        <thead>
          <tr>
            <th>Step</th>
            <th style={{ width: '40%' }}>Visitors</th>
            <th className="num">Visitors</th>
            <th className="num">From previous</th>
            <th className="num">Drop-off</th>
            <th className="num">From start</th>
            <th className="num">Previous period</th>
          </tr>
        </thead>
        <tbody>
          {r.steps.map((s) => (
            <tr key={s.step}>
              <td>
                {s.step}. {s.label}
              </td>
              <td>
                <div
                  role="img"
                  aria-label={`${s.label}: ${pct(s.conversionFromStart)} of entrants`}
                  style={{
                    height: 14,
                    borderRadius: 3,
                    background: '#6366f1',
                    width: `${first > 0 ? Math.max(1, (s.visitors / first) * 100) : 0}%`,
                  }}
                />
              </td>
              <td className="num">{num(s.visitors)}</td>
              <td className="num">{s.step === 1 ? '—' : pct(s.conversionFromPrevious)}</td>
              <td className="num">{s.step === 1 ? '—' : `${num(s.dropOff)} (${pct(s.dropOffRate)})`}</td>
              <td className="num">{pct(s.conversionFromStart)}</td>
              <td className="num">{prev.has(s.step) ? num(prev.get(s.step)!.visitors) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Counted by the day visitors entered (step 1), in {r.timezone}; rolled up to{' '}
        {r.rolledUpTo ? new Date(r.rolledUpTo).toLocaleTimeString() : '—'}.
      </p>
    </div>
  );
}

/** Funnels section of the Reports page: saved funnels, their editor and report. */
export function FunnelsSection({ siteId, canEdit, q }: { siteId: string; canEdit: boolean; q: RangeQuery }) {
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['funnels', siteId], queryFn: () => funnelsApi.list(siteId) });
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<Draft | null>(null);
  const funnels = list.data?.funnels ?? [];
  const current = funnels.find((f) => f.id === selected) ?? funnels[0] ?? null;

  const save = useMutation({
    mutationFn: (d: Draft) => {
      const input: FunnelInput = {
        name: d.name,
        steps: d.steps.map((s) => ({
          event: s.event.trim(),
          ...(s.label ? { label: s.label } : {}),
          filters: s.filters.map((f) => (f.op === 'exists' ? { property: f.property, op: f.op } : f)),
        })),
        windowSeconds: Math.round(d.windowAmount * d.windowUnit),
      };
      return d.id ? funnelsApi.update(siteId, d.id, input) : funnelsApi.create(siteId, input);
    },
    onSuccess: (f) => {
      setEditing(null);
      setSelected(f.id);
      toast('Funnel saved', 'info');
      void client.invalidateQueries({ queryKey: ['funnels', siteId] });
    },
    onError: (e) => toast(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => funnelsApi.remove(siteId, id),
    onSuccess: () => {
      setSelected(null);
      void client.invalidateQueries({ queryKey: ['funnels', siteId] });
    },
    onError: (e) => toast(errorMessage(e), 'error'),
  });

  return (
    <section className="card" aria-label="Funnels">
      <div className="page__header">
        <h2>Funnels</h2>
        {funnels.length > 0 && (
          <select
            className="input"
            aria-label="Funnel"
            value={current?.id ?? ''}
            onChange={(e) => setSelected(e.target.value)}
            style={{ maxWidth: 280 }}
          >
            {funnels.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        )}
        {current && (
          <button
            type="button"
            className="btn"
            onClick={() =>
              void reportsApi
                .downloadCsv(siteId, `funnels/${current.id}`, q)
                .catch((e: unknown) => toast(errorMessage(e), 'error'))
            }
          >
            CSV
          </button>
        )}
        {canEdit && current && !editing && (
          <>
            <button type="button" className="btn" onClick={() => setEditing(draftOf(current))}>
              Edit
            </button>
            <button
              type="button"
              className="btn btn--danger"
              onClick={() => {
                if (window.confirm(`Delete the funnel “${current.name}”?`)) remove.mutate(current.id);
              }}
            >
              Delete
            </button>
          </>
        )}
        {canEdit && !editing && (
          <button type="button" className="btn btn--primary" onClick={() => setEditing(draftOf(null))}>
            New funnel
          </button>
        )}
      </div>
      {list.isLoading && <Loading />}
      {list.isError && <ErrorBanner error={list.error} onRetry={() => void list.refetch()} />}
      {editing && (
        <FunnelEditor
          key={editing.id ?? 'new'}
          initial={editing}
          saving={save.isPending}
          onSave={(d) => save.mutate(d)}
          onCancel={() => setEditing(null)}
        />
      )}
      {list.data && funnels.length === 0 && !editing && (
        <p className="muted">
          No funnels yet.{' '}
          {canEdit ? 'Define the steps a visitor takes (e.g. pricing page → signup → purchase).' : ''}
        </p>
      )}
      {current && !editing && <FunnelReportView siteId={siteId} funnel={current} q={q} />}
    </section>
  );
}
