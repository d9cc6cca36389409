import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { errorMessage } from '../api/client';
import { reportsApi, type Granularity, type RangeQuery, type TopValue } from '../api/reports';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { FunnelsSection } from '../reports/FunnelsSection';
import { toast } from '../state/toast-store';

const RANGES: { label: string; days: number; granularity: Granularity }[] = [
  { label: 'Last 24 hours', days: 1, granularity: 'hour' },
  { label: 'Last 7 days', days: 7, granularity: 'day' },
  { label: 'Last 30 days', days: 30, granularity: 'day' },
];

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`;
const num = (v: number) => v.toLocaleString();

function Delta({ value }: { value: number | null | undefined }) {
  if (value === null || value === undefined) return null;
  return <span className={value >= 0 ? 'delta delta--up' : 'delta delta--down'}>{pct(value)}</span>;
}

function TopList({
  title,
  rows,
  metric,
}: {
  title: string;
  rows: TopValue[];
  metric: 'pageviews' | 'sessions';
}) {
  return (
    <section className="card">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : (
        <table className="table">
          <tbody>
            {rows.map((r) => (
              <tr key={r.value}>
                <td>{r.value}</td>
                <td className="num">{num(r[metric])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Reports of a site (read from rollups): traffic with comparison, CTA variants, real time, saved funnels. Lazy-loaded with recharts. */
export default function ReportsPage() {
  const { siteId, site, canEdit } = useCurrentSite();
  const [rangeIndex, setRangeIndex] = useState(1);
  const range = RANGES[rangeIndex];
  const [now] = useState(() => Date.now());
  const q: RangeQuery = {
    from: new Date(now - range.days * 86_400_000).toISOString(),
    to: new Date(now).toISOString(),
    granularity: range.granularity,
  };
  const traffic = useQuery({
    queryKey: ['reports', 'traffic', siteId, rangeIndex],
    queryFn: () => reportsApi.traffic(siteId, q),
    enabled: !!siteId,
  });
  const ctas = useQuery({
    queryKey: ['reports', 'ctas', siteId, rangeIndex],
    queryFn: () => reportsApi.ctas(siteId, q),
    enabled: !!siteId,
  });
  const realtime = useQuery({
    queryKey: ['reports', 'realtime', siteId],
    queryFn: () => reportsApi.realtime(siteId),
    enabled: !!siteId,
    refetchInterval: 5_000,
  });
  const download = (report: 'traffic' | 'ctas' | 'realtime') =>
    reportsApi.downloadCsv(siteId, report, q).catch((e: unknown) => toast(errorMessage(e), 'error'));
  if (!site) return null;

  const t = traffic.data;
  return (
    <div className="page">
      <div className="page__header">
        <h1>Reports</h1>
        <span className="muted">
          {site.name}
          {t ? ` · ${t.timezone}` : ''}
        </span>
        <select
          className="input"
          style={{ width: 'auto' }}
          value={rangeIndex}
          onChange={(e) => setRangeIndex(Number(e.target.value))}
          aria-label="Range"
        >
          {RANGES.map((r, i) => (
            <option key={r.label} value={i}>
              {r.label}
            </option>
          ))}
        </select>
      </div>

      <section className="card">
        <div className="page__header">
          <h2>Real time · last 30 minutes</h2>
          <button type="button" className="btn btn--small" onClick={() => void download('realtime')}>
            CSV
          </button>
        </div>
        {realtime.isError && <ErrorBanner error={realtime.error} onRetry={() => void realtime.refetch()} />}
        {realtime.data && (
          <>
            <p aria-label="Real-time totals">
              <strong>{num(realtime.data.totals.visitors)}</strong> visitors ·{' '}
              <strong>{num(realtime.data.totals.pageviews)}</strong> page views
            </p>
            <ResponsiveContainer width="100%" height={120}>
              <BarChart data={realtime.data.series}>
                <XAxis dataKey="label" tickFormatter={(l: string) => l.slice(11)} minTickGap={20} />
                <YAxis allowDecimals={false} width={40} />
                <Tooltip />
                <Bar dataKey="pageviews" fill="#6366f1" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </>
        )}
      </section>

      <section className="card">
        <div className="page__header">
          <h2>Traffic</h2>
          <button type="button" className="btn btn--small" onClick={() => void download('traffic')}>
            CSV
          </button>
        </div>
        {traffic.isLoading && <Loading />}
        {traffic.isError && <ErrorBanner error={traffic.error} onRetry={() => void traffic.refetch()} />}
        {t && (
          <>
            <div className="stats">
              {(['visitors', 'pageviews', 'sessions'] as const).map((k) => (
                <div key={k} className="stat">
                  <div className="muted">
                    {k === 'pageviews' ? 'Page views' : k[0].toUpperCase() + k.slice(1)}
                  </div>
                  <strong>{num(t.totals[k])}</strong> <Delta value={t.change?.[k]} />
                </div>
              ))}
              <div className="stat">
                <div className="muted">Bounce rate</div>
                <strong>{pct(t.totals.bounceRate)}</strong>
              </div>
            </div>
            <ResponsiveContainer width="100%" height={220}>
              <AreaChart data={t.series}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="label" minTickGap={30} />
                <YAxis allowDecimals={false} width={50} />
                <Tooltip />
                <Area dataKey="pageviews" stroke="#6366f1" fill="#c7d2fe" isAnimationActive={false} />
                <Area dataKey="visitors" stroke="#0ea5e9" fill="#bae6fd" isAnimationActive={false} />
              </AreaChart>
            </ResponsiveContainer>
            <div className="grid">
              <TopList title="Top pages" rows={t.top.pages} metric="pageviews" />
              <TopList title="Referrers" rows={t.top.referrers} metric="sessions" />
              <TopList title="UTM sources" rows={t.top.utmSources} metric="sessions" />
              <TopList title="Devices" rows={t.top.devices} metric="sessions" />
              <TopList title="Countries" rows={t.top.countries} metric="sessions" />
            </div>
          </>
        )}
      </section>

      <section className="card">
        <div className="page__header">
          <h2>CTA variants</h2>
          <button type="button" className="btn btn--small" onClick={() => void download('ctas')}>
            CSV
          </button>
        </div>
        {ctas.isError && <ErrorBanner error={ctas.error} onRetry={() => void ctas.refetch()} />}
        {ctas.data?.ctas.length === 0 && <p className="muted">No CTA interactions in this range.</p>}
        {ctas.data?.ctas.map((c) => (
          <table key={c.ctaId} className="table">
            <caption>{c.ctaId}</caption>
            <thead>
              <tr>
                <th>Variant</th>
                <th className="num">Impressions</th>
                <th className="num">Viewers</th>
                <th className="num">Clicks</th>
                <th className="num">Conversions</th>
                <th className="num">Conversion</th>
                <th>Beats control</th>
              </tr>
            </thead>
            <tbody>
              {c.variants.map((v) => (
                <tr key={v.variantId}>
                  <td>{v.variantId || '(none)'}</td>
                  <td className="num">{num(v.impressions)}</td>
                  <td className="num">{num(v.uniqueViewers)}</td>
                  <td className="num">{num(v.clicks)}</td>
                  <td className="num">{num(v.conversions)}</td>
                  <td className="num">{pct(v.conversionRate)}</td>
                  <td>
                    {v.status === 'control'
                      ? 'control'
                      : v.status === 'ok'
                        ? pct(v.probabilityToBeatControl)
                        : 'not enough data yet'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      </section>

      <FunnelsSection siteId={siteId} canEdit={canEdit} q={q} />
    </div>
  );
}
