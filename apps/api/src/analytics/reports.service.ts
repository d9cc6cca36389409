import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error';
import { FlowRepository } from '../flows/flow.repository';
import { SiteRepository } from '../sites/site.repository';
import { CsvCell, toCsv } from './csv';
import { medianFromBins } from './goal-bins';
import {
  bucketStarts,
  decompose,
  Grain,
  isValidTimeZone,
  localLabel,
  MINUTE_REPORTS_MS,
  parseInstant,
  Piece,
  snapRange,
} from './report-range';
import { CtaReportQuery, ReportQuery } from './reports.schemas';
import { ReportsRepository, TrafficTotalsRow } from './reports.repository';
import { Arm, compareToControl, Verdict } from './variant-stats';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Longest range per granularity (bounded series). */
const MAX_SPAN: Record<Grain, number> = {
  minute: MINUTE_REPORTS_MS,
  hour: 93 * DAY,
  day: 3700 * DAY,
};

export interface ResolvedRange {
  timezone: string;
  granularity: Grain;
  from: number;
  to: number;
  pieces: Piece[];
  previous: { from: number; to: number; pieces: Piece[] } | null;
}

const rate = (num: number, den: number): number | null =>
  den > 0 ? Math.round((num / den) * 10_000) / 10_000 : null;

function trafficMetrics(t: TrafficTotalsRow) {
  return {
    visitors: t.visitors,
    pageviews: t.pageviews,
    sessions: t.sessions,
    events: t.events,
    // A session bounces when it has a single page view (engaged = sessions with a second one).
    bounceRate: t.sessions > 0 ? rate(Math.max(0, t.sessions - t.engaged), t.sessions) : null,
  };
}

const change = (now: number | null, before: number | null): number | null =>
  now === null || before === null || before === 0
    ? null
    : Math.round(((now - before) / before) * 10_000) / 10_000;

const DIM_KEYS: Record<string, string> = {
  page: 'pages',
  referrer: 'referrers',
  utm_source: 'utmSources',
  device: 'devices',
  country: 'countries',
};

/** How long a site's timezone is reused between reports (a timezone change shows after this). */
const SITE_TTL_MS = 5_000;

/** Reports read rollups only; every method takes siteId first. */
@Injectable()
export class ReportsService {
  private readonly siteZones = new Map<string, { timezone: string; at: number }>();

  constructor(
    private readonly reports: ReportsRepository,
    private readonly sites: SiteRepository,
    private readonly flows: FlowRepository,
  ) {}

  /**
   * The site's timezone, cached for a few seconds: the guard has already checked the site and the
   * caller's access, so this saves a sequential database round trip on every report request.
   */
  async siteTimezone(siteId: string): Promise<string> {
    const hit = this.siteZones.get(siteId);
    if (hit && Date.now() - hit.at < SITE_TTL_MS) return hit.timezone;
    const site = await this.sites.get(siteId);
    if (!site) throw notFound('site', 'SITE_NOT_FOUND');
    if (this.siteZones.size > 10_000) this.siteZones.clear();
    const timezone = isValidTimeZone(site.timezone) ? site.timezone : 'UTC';
    this.siteZones.set(siteId, { timezone, at: Date.now() });
    return timezone;
  }

  async resolveRange(siteId: string, q: ReportQuery, now = Date.now()): Promise<ResolvedRange> {
    const tz = await this.siteTimezone(siteId);
    const parse = (v: string | undefined, name: string, fallback: number) => {
      if (v === undefined) return fallback;
      const t = parseInstant(v, tz);
      if (t === null)
        throw new AppError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', `${name}: not a date`, {
          path: name,
        });
      return t;
    };
    const rawTo = parse(q.to, 'to', now);
    const rawFrom = parse(q.from, 'from', rawTo - 7 * DAY);
    if (rawFrom >= rawTo)
      throw new AppError(HttpStatus.BAD_REQUEST, 'INVALID_RANGE', 'from: must be before to', {
        path: 'from',
      });
    const span = rawTo - rawFrom;
    // Minute rows are kept for the last hours only (MINUTE_ROWS_KEEP_MS): minute buckets serve ranges
    // starting inside the last MINUTE_REPORTS_MS (their comparison period is as long again).
    const minutesKept = (t: number) => t >= Math.floor((now - MINUTE_REPORTS_MS) / MINUTE) * MINUTE;
    const granularity: Grain =
      q.granularity ??
      (span <= 3 * 3_600_000 && minutesKept(rawFrom) ? 'minute' : span <= 2 * DAY ? 'hour' : 'day');
    const { from, to } = snapRange(rawFrom, rawTo, granularity, tz);
    if (to - from > MAX_SPAN[granularity])
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'RANGE_TOO_LARGE',
        `granularity: ${granularity} buckets cover at most ${MAX_SPAN[granularity] / DAY} days`,
        { path: 'granularity' },
      );
    if (granularity === 'minute' && !minutesKept(from))
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'GRANULARITY_UNAVAILABLE',
        `granularity: minute buckets cover only the last ${MINUTE_REPORTS_MS / 3_600_000} hours (use hour)`,
        { path: 'granularity' },
      );
    const prevFrom = from - (to - from);
    return {
      timezone: tz,
      granularity,
      from,
      to,
      pieces: decompose(from, to, tz),
      previous:
        q.compare === false ? null : { from: prevFrom, to: from, pieces: decompose(prevFrom, from, tz) },
    };
  }

  async traffic(siteId: string, q: ReportQuery) {
    const r = await this.resolveRange(siteId, q);
    const [[totals, previous], series, dims] = await Promise.all([
      this.reports.trafficTotalsPair(siteId, r.pieces, r.previous?.pieces ?? null),
      this.reports.trafficSeries(siteId, r.granularity, r.from, r.to),
      this.reports.trafficDims(siteId, r.pieces, q.limit, r.timezone),
    ]);
    const byBucket = new Map(series.map((p) => [p.bucket.getTime(), p]));
    const now = trafficMetrics(totals);
    const before = previous ? trafficMetrics(previous) : null;
    const top: Record<string, { value: string; pageviews: number; sessions: number }[]> = {};
    for (const key of Object.values(DIM_KEYS)) top[key] = [];
    for (const d of dims)
      top[DIM_KEYS[d.dim] ?? d.dim]?.push({ value: d.value, pageviews: d.pageviews, sessions: d.sessions });
    return {
      ...rangeOut(r),
      totals: now,
      previous: before && r.previous ? { ...rangeOf(r.previous), ...before } : null,
      change: before
        ? Object.fromEntries(
            (Object.keys(now) as (keyof typeof now)[]).map((k) => [k, change(now[k], before[k])]),
          )
        : null,
      series: bucketStarts(r.from, r.to, r.granularity, r.timezone).map((b) => {
        const p = byBucket.get(b);
        return {
          bucket: new Date(b).toISOString(),
          label: localLabel(b, r.granularity, r.timezone),
          ...trafficMetrics(p ?? { events: 0, pageviews: 0, sessions: 0, engaged: 0, visitors: 0 }),
        };
      }),
      top,
    };
  }

  async ctas(siteId: string, q: CtaReportQuery) {
    const r = await this.resolveRange(siteId, q);
    const rows = await this.reports.ctas(siteId, r.pieces, q.ctaId);
    const byCta = new Map<string, typeof rows>();
    for (const row of rows) byCta.set(row.cta_id, [...(byCta.get(row.cta_id) ?? []), row]);
    const ctas = [...byCta.entries()].map(([ctaId, variants]) => {
      const ids = variants.map((v) => v.variant_id);
      const control =
        [q.control, 'control', 'a', 'A'].find((c) => c !== undefined && ids.includes(c)) ?? ids[0];
      const arm = (v: (typeof variants)[number]): Arm => ({
        trials: v.viewers,
        successes: Math.min(v.converters, v.viewers),
      });
      const controlRow = variants.find((v) => v.variant_id === control)!;
      return {
        ctaId,
        control,
        variants: variants.map((v) => {
          const verdict: Verdict =
            v.variant_id === control ? { status: 'control' } : compareToControl(arm(controlRow), arm(v));
          return {
            variantId: v.variant_id,
            impressions: v.views,
            uniqueViewers: v.viewers,
            clicks: v.clicks,
            conversions: v.conversions,
            closes: v.closes,
            uniqueConverters: v.converters,
            clickRate: rate(v.clicks, v.views),
            conversionRate: rate(Math.min(v.converters, v.viewers), v.viewers),
            ...verdict,
          };
        }),
      };
    });
    return { ...rangeOut(r), ctas };
  }

  async flow(siteId: string, flowId: string, q: ReportQuery) {
    if (!(await this.flows.exists(siteId, flowId))) throw notFound('flow', 'FLOW_NOT_FOUND');
    const r = await this.resolveRange(siteId, q);
    const [runs, nodes, goals] = await Promise.all([
      this.reports.flowRuns(siteId, flowId, r.pieces),
      this.reports.flowNodes(siteId, flowId, r.pieces),
      this.reports.flowGoals(siteId, flowId, r.pieces),
    ]);
    const versions = new Set<number>([
      ...runs.map((x) => x.flow_version),
      ...nodes.map((x) => x.flow_version),
    ]);
    const all = new Map<number, number>();
    const out = [...versions]
      .sort((a, b) => a - b)
      .map((version) => {
        const run = runs.find((x) => x.flow_version === version) ?? {
          entered: 0,
          completed: 0,
          converted: 0,
          exited: 0,
          failed: 0,
        };
        const bins = new Map<number, number>();
        for (const g of goals.filter((x) => x.flow_version === version)) {
          bins.set(g.bin, g.runs);
          all.set(g.bin, (all.get(g.bin) ?? 0) + g.runs);
        }
        return {
          version,
          entered: run.entered,
          completed: run.completed,
          converted: run.converted,
          exited: run.exited,
          failed: run.failed,
          completionRate: rate(run.completed, run.entered),
          conversionRate: rate(run.converted, run.entered),
          medianTimeToGoalSeconds: medianFromBins(bins),
          nodes: nodes
            .filter((n) => n.flow_version === version)
            .map((n) => ({ nodeId: n.node_id, reached: n.reached })),
        };
      });
    const sum = (k: 'entered' | 'completed' | 'converted' | 'exited' | 'failed') =>
      out.reduce((a, v) => a + v[k], 0);
    return {
      ...rangeOut(r),
      flowId,
      totals: {
        entered: sum('entered'),
        completed: sum('completed'),
        converted: sum('converted'),
        exited: sum('exited'),
        failed: sum('failed'),
        completionRate: rate(sum('completed'), sum('entered')),
        conversionRate: rate(sum('converted'), sum('entered')),
        medianTimeToGoalSeconds: medianFromBins(all),
      },
      versions: out,
    };
  }

  /** The last 30 minutes by minute, the current (partial) minute included. */
  async realtime(siteId: string, now = Date.now()) {
    const timezone = await this.siteTimezone(siteId);
    const to = Math.floor(now / MINUTE) * MINUTE + MINUTE;
    const from = to - 30 * MINUTE;
    const { watermark, totals, series } = await this.reports.realtime(siteId, from, to);
    const byBucket = new Map(series.map((p) => [p.bucket, p]));
    return {
      timezone,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      rolledUpTo: watermark?.toISOString() ?? null,
      totals,
      series: bucketStarts(from, to, 'minute', 'UTC').map((b) => {
        const p = byBucket.get(b);
        return {
          bucket: new Date(b).toISOString(),
          label: localLabel(b, 'minute', timezone),
          visitors: p?.visitors ?? 0,
          pageviews: p?.pageviews ?? 0,
          events: p?.events ?? 0,
        };
      }),
    };
  }

  async trafficCsv(siteId: string, q: ReportQuery): Promise<string> {
    const t = await this.traffic(siteId, q);
    const rows: CsvCell[][] = t.series.map((s) => [
      s.label,
      s.visitors,
      s.pageviews,
      s.sessions,
      s.bounceRate,
      s.events,
      null,
    ]);
    for (const [dim, values] of Object.entries(t.top))
      for (const v of values) rows.push([`top:${dim}`, null, v.pageviews, v.sessions, null, null, v.value]);
    return toCsv(['bucket', 'visitors', 'pageviews', 'sessions', 'bounce_rate', 'events', 'value'], rows);
  }

  async ctasCsv(siteId: string, q: CtaReportQuery): Promise<string> {
    const r = await this.ctas(siteId, q);
    const rows = r.ctas.flatMap((c) =>
      c.variants.map((v) => [
        c.ctaId,
        v.variantId,
        v.variantId === c.control,
        v.impressions,
        v.uniqueViewers,
        v.clicks,
        v.conversions,
        v.conversionRate,
        'probabilityToBeatControl' in v ? v.probabilityToBeatControl : null,
        v.status,
      ]),
    );
    return toCsv(
      [
        'cta_id',
        'variant_id',
        'control',
        'impressions',
        'unique_viewers',
        'clicks',
        'conversions',
        'conversion_rate',
        'probability_to_beat_control',
        'status',
      ],
      rows,
    );
  }

  async flowCsv(siteId: string, flowId: string, q: ReportQuery): Promise<string> {
    const r = await this.flow(siteId, flowId, q);
    const rows = r.versions.flatMap((v) => [
      [
        v.version,
        '(run)',
        v.entered,
        v.completed,
        v.converted,
        v.completionRate,
        v.conversionRate,
        v.medianTimeToGoalSeconds,
      ],
      ...v.nodes.map((n) => [v.version, n.nodeId, n.reached, null, null, null, null, null]),
    ]);
    return toCsv(
      [
        'version',
        'node_id',
        'entered_or_reached',
        'completed',
        'converted',
        'completion_rate',
        'conversion_rate',
        'median_time_to_goal_s',
      ],
      rows,
    );
  }

  async realtimeCsv(siteId: string): Promise<string> {
    const r = await this.realtime(siteId);
    return toCsv(
      ['minute', 'visitors', 'pageviews', 'events'],
      r.series.map((s) => [s.label, s.visitors, s.pageviews, s.events]),
    );
  }
}

function rangeOf(r: { from: number; to: number }) {
  return { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() };
}

function rangeOut(r: ResolvedRange) {
  return { timezone: r.timezone, granularity: r.granularity, ...rangeOf(r) };
}
