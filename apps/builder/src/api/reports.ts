/**
 * Every call of the reports API (issue #8) lives here, so contract changes touch one file.
 */
import { useAuthStore } from '../state/auth-store';
import { api, ApiError, enc } from './client';

export type Granularity = 'minute' | 'hour' | 'day';

export interface TrafficMetrics {
  visitors: number;
  pageviews: number;
  sessions: number;
  events: number;
  bounceRate: number | null;
}

export interface TopValue {
  value: string;
  pageviews: number;
  sessions: number;
}

export interface TrafficReport {
  timezone: string;
  granularity: Granularity;
  from: string;
  to: string;
  totals: TrafficMetrics;
  previous: (TrafficMetrics & { from: string; to: string }) | null;
  change: Partial<Record<keyof TrafficMetrics, number | null>> | null;
  series: (TrafficMetrics & { bucket: string; label: string })[];
  top: Record<'pages' | 'referrers' | 'utmSources' | 'devices' | 'countries', TopValue[]>;
}

export interface CtaVariantReport {
  variantId: string;
  impressions: number;
  uniqueViewers: number;
  clicks: number;
  conversions: number;
  conversionRate: number | null;
  status: 'control' | 'ok' | 'not_enough_data';
  probabilityToBeatControl?: number;
  pValue?: number;
  message?: string;
}

export interface CtaReport {
  ctas: { ctaId: string; control: string; variants: CtaVariantReport[] }[];
}

export interface RealtimeReport {
  rolledUpTo: string | null;
  totals: { visitors: number; pageviews: number; events: number };
  series: { bucket: string; label: string; visitors: number; pageviews: number; events: number }[];
}

export interface RangeQuery {
  from?: string;
  to?: string;
  granularity?: Granularity;
}

export type FunnelFilterOp = 'equals' | 'not_equals' | 'contains' | 'starts_with' | 'exists';

export interface FunnelFilter {
  property: string;
  op: FunnelFilterOp;
  value?: string;
}

export interface FunnelStep {
  event: string;
  label?: string;
  filters: FunnelFilter[];
}

export interface Funnel {
  id: string;
  name: string;
  steps: FunnelStep[];
  windowSeconds: number;
  version: number;
  /** False until the rollup job has materialised this version of the definition. */
  ready: boolean;
}

export interface FunnelInput {
  name: string;
  steps: FunnelStep[];
  windowSeconds: number;
}

export interface FunnelStepResult {
  step: number;
  label: string;
  event: string;
  visitors: number;
  entries: number;
  conversionFromPrevious: number | null;
  conversionFromStart: number | null;
  dropOff: number;
  dropOffRate: number | null;
}

export interface FunnelOverall {
  entered: number;
  converted: number;
  conversionRate: number | null;
}

export interface FunnelReport {
  timezone: string;
  from: string;
  to: string;
  rolledUpTo: string | null;
  funnel: Funnel;
  steps: FunnelStepResult[];
  overall: FunnelOverall;
  previous: { from: string; to: string; steps: FunnelStepResult[]; overall: FunnelOverall } | null;
  change: { entered: number | null; conversionRate: number } | null;
}

const qs = (q: RangeQuery & Record<string, string | undefined>) =>
  Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${enc(v as string)}`)
    .join('&');

const base = (siteId: string) => `/api/sites/${enc(siteId)}/reports`;
const funnelsBase = (siteId: string) => `/api/sites/${enc(siteId)}/funnels`;

/** Saved funnels (definitions) and their reports. */
export const funnelsApi = {
  list: (siteId: string) => api.get<{ funnels: Funnel[] }>(funnelsBase(siteId)),
  create: (siteId: string, input: FunnelInput) => api.post<Funnel>(funnelsBase(siteId), input),
  update: (siteId: string, id: string, input: Partial<FunnelInput>) =>
    api.put<Funnel>(`${funnelsBase(siteId)}/${enc(id)}`, input),
  remove: (siteId: string, id: string) => api.delete(`${funnelsBase(siteId)}/${enc(id)}`),
  report: (siteId: string, id: string, q: RangeQuery) =>
    api.get<FunnelReport>(
      `${base(siteId)}/funnels/${enc(id)}?${qs({ from: q.from, to: q.to, compare: 'true' })}`,
    ),
};

export const reportsApi = {
  traffic: (siteId: string, q: RangeQuery) =>
    api.get<TrafficReport>(`${base(siteId)}/traffic?${qs({ ...q, compare: 'true' })}`),
  ctas: (siteId: string, q: RangeQuery) => api.get<CtaReport>(`${base(siteId)}/ctas?${qs({ ...q })}`),
  realtime: (siteId: string) => api.get<RealtimeReport>(`${base(siteId)}/realtime`),
  /** Downloads a report as CSV (the bearer token is needed, so no plain link). */
  async downloadCsv(
    siteId: string,
    report: 'traffic' | 'ctas' | 'realtime' | `funnels/${string}`,
    q: RangeQuery,
  ): Promise<void> {
    const token = useAuthStore.getState().accessToken;
    const res = await fetch(`${base(siteId)}/${report}/export?${qs({ ...q })}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      credentials: 'same-origin',
    });
    if (!res.ok) throw new ApiError(res.status, 'EXPORT_FAILED', `Export failed (${res.status}).`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${report.replace('/', '-')}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  },
};
