import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError, conflict, notFound } from '../common/app-error';
import { toCsv } from './csv';
import { FunnelRecord, FunnelRepository, FunnelStepCount } from './funnel.repository';
import {
  CreateFunnelInput,
  FunnelReportQuery,
  PreviewFunnelInput,
  UpdateFunnelInput,
} from './funnel.schemas';
import type { FunnelStep } from './funnel-steps';
import { ReportsService } from './reports.service';

const MAX_FUNNELS_PER_SITE = 100;
const DAY = 86_400_000;
const MAX_PREVIEW_DAYS = 31;

const rate = (num: number, den: number): number | null =>
  den > 0 ? Math.round((num / den) * 10_000) / 10_000 : null;

function funnelOut(f: FunnelRecord) {
  return {
    id: f.id,
    name: f.name,
    steps: f.steps,
    windowSeconds: f.window_seconds,
    version: f.version,
    /** False until the rollup job has materialised this version of the definition. */
    ready: f.built_version === f.version,
    createdAt: f.created_at,
    updatedAt: f.updated_at,
  };
}

/** Per step: visitors, attempts, conversion from the previous step and from step 1, drop-off. */
export function funnelSteps(steps: FunnelStep[], counts: FunnelStepCount[]) {
  const by = new Map(counts.map((c) => [c.step, c]));
  let prevVisitors = 0;
  const out = steps.map((s, k) => {
    const c = by.get(k + 1);
    // hll estimates are clamped so a later step never shows more visitors than the one before.
    const visitors = k === 0 ? (c?.visitors ?? 0) : Math.min(c?.visitors ?? 0, prevVisitors);
    const row = {
      step: k + 1,
      label: s.label ?? s.event,
      event: s.event,
      visitors,
      entries: c?.entries ?? 0,
      conversionFromPrevious: k === 0 ? null : rate(visitors, prevVisitors),
      dropOff: k === 0 ? 0 : prevVisitors - visitors,
      dropOffRate: k === 0 ? null : rate(prevVisitors - visitors, prevVisitors),
      conversionFromStart: null as number | null,
    };
    prevVisitors = visitors;
    return row;
  });
  const first = out[0]?.visitors ?? 0;
  for (const r of out) r.conversionFromStart = rate(r.visitors, first);
  const last = out[out.length - 1];
  return {
    steps: out,
    overall: {
      entered: first,
      converted: last?.visitors ?? 0,
      conversionRate: rate(last?.visitors ?? 0, first),
      entries: out[0]?.entries ?? 0,
      completedEntries: last?.entries ?? 0,
    },
  };
}

@Injectable()
export class FunnelsService {
  constructor(
    private readonly funnels: FunnelRepository,
    private readonly reports: ReportsService,
  ) {}

  async list(siteId: string) {
    return { funnels: (await this.funnels.list(siteId)).map(funnelOut) };
  }

  async get(siteId: string, id: string) {
    return funnelOut(await this.load(siteId, id));
  }

  async create(siteId: string, input: CreateFunnelInput) {
    if ((await this.funnels.count(siteId)) >= MAX_FUNNELS_PER_SITE)
      throw conflict('FUNNEL_LIMIT_REACHED', `name: a site can save at most ${MAX_FUNNELS_PER_SITE} funnels`);
    return funnelOut(await this.funnels.create(siteId, input.name, input.steps, input.windowSeconds));
  }

  async update(siteId: string, id: string, input: UpdateFunnelInput) {
    const row = await this.funnels.update(siteId, id, input);
    if (!row) throw notFound('funnel', 'FUNNEL_NOT_FOUND');
    return funnelOut(row);
  }

  async remove(siteId: string, id: string): Promise<void> {
    if (!(await this.funnels.remove(siteId, id))) throw notFound('funnel', 'FUNNEL_NOT_FOUND');
  }

  /** A saved funnel over whole local days, from its day rows only, with the previous period. */
  async report(siteId: string, id: string, q: FunnelReportQuery) {
    const f = await this.load(siteId, id);
    const r = await this.reports.resolveRange(siteId, { ...q, granularity: 'day', limit: 10 });
    const [counts, watermark] = await Promise.all([
      this.funnels.stepCounts(siteId, id, r.from, r.to, r.previous?.from ?? null),
      this.funnels.watermark(siteId),
    ]);
    const now = funnelSteps(f.steps, counts.current);
    const before = r.previous ? funnelSteps(f.steps, counts.previous) : null;
    return {
      timezone: r.timezone,
      from: new Date(r.from).toISOString(),
      to: new Date(r.to).toISOString(),
      rolledUpTo: watermark?.toISOString() ?? null,
      funnel: funnelOut(f),
      ...now,
      previous:
        before && r.previous
          ? {
              from: new Date(r.previous.from).toISOString(),
              to: new Date(r.previous.to).toISOString(),
              ...before,
            }
          : null,
      change:
        before && before.overall.conversionRate !== null && now.overall.conversionRate !== null
          ? {
              entered: before.overall.entered
                ? rate(now.overall.entered - before.overall.entered, before.overall.entered)
                : null,
              conversionRate:
                Math.round((now.overall.conversionRate - before.overall.conversionRate) * 10_000) / 10_000,
            }
          : null,
    };
  }

  async reportCsv(siteId: string, id: string, q: FunnelReportQuery): Promise<string> {
    const r = await this.report(siteId, id, q);
    const prev = new Map((r.previous?.steps ?? []).map((s) => [s.step, s]));
    return toCsv(
      [
        'step',
        'label',
        'event',
        'visitors',
        'entries',
        'conversion_from_previous',
        'conversion_from_start',
        'drop_off',
        'previous_visitors',
        'previous_conversion_from_start',
      ],
      r.steps.map((s) => [
        s.step,
        s.label,
        s.event,
        s.visitors,
        s.entries,
        s.conversionFromPrevious,
        s.conversionFromStart,
        s.dropOff,
        prev.get(s.step)?.visitors ?? null,
        prev.get(s.step)?.conversionFromStart ?? null,
      ]),
    );
  }

  /** An unsaved funnel straight from raw events, at most 31 days (exact; attempts start in range). */
  async preview(siteId: string, input: PreviewFunnelInput) {
    const r = await this.reports.resolveRange(siteId, {
      from: input.from,
      to: input.to,
      granularity: 'day',
      compare: false,
      limit: 10,
    });
    if (r.to - r.from > MAX_PREVIEW_DAYS * DAY + 2 * 3_600_000)
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'RANGE_TOO_LARGE',
        `from: a preview covers at most ${MAX_PREVIEW_DAYS} days (save the funnel for longer ranges)`,
        { path: 'from' },
      );
    const counts = await this.funnels.preview(siteId, input.steps, input.windowSeconds, r.from, r.to);
    return {
      timezone: r.timezone,
      from: new Date(r.from).toISOString(),
      to: new Date(r.to).toISOString(),
      ...funnelSteps(input.steps, counts),
    };
  }

  private async load(siteId: string, id: string): Promise<FunnelRecord> {
    const f = await this.funnels.get(siteId, id);
    if (!f) throw notFound('funnel', 'FUNNEL_NOT_FOUND');
    return f;
  }
}
