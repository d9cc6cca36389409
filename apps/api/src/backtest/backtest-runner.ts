import { compileFlow } from '@nudgeflow/engine';
import type { EventReplayRepository } from '../ingest/event-replay.repository';
import type { CtaRepository } from '../onsite/cta.repository';
import { inboundWebhookEvent, toEngineEvent, toVisitorSnapshot } from '../runtime/engine-event';
import type { SiteRepository } from '../sites/site.repository';
import type { VisitorRepository } from '../visitors/visitor.repository';
import type { BacktestRepository, BacktestSpec } from './backtest.repository';
import { BacktestTally, emptyResult } from './backtest-tally';
import { traitsAtWindowStart, type MergeRow, type TraitChangeRow } from './profile-timeline';
import { VisitorReplay, type ReplayCaps, type ReplayFlow } from './visitor-replay';

export interface SliceOptions {
  /** A slice stops after the page of visitors that crosses this budget (then the job re-enqueues). */
  budgetMs: number;
  visitorsPerPage: number;
  eventsPerPage: number;
}

export const DEFAULT_SLICE: SliceOptions = { budgetMs: 2_000, visitorsPerPage: 2_000, eventsPerPage: 5_000 };

export type SliceOutcome = 'more' | 'done' | 'cancelled' | 'missing';

/** What a replay reads of other features, each through its owner. */
export interface BacktestSources {
  /** The window's events, trait changes and merging events (ingest). */
  events: EventReplayRepository;
  /** The profiles as they are now (visitors). */
  visitors: VisitorRepository;
  /** The CTAs' caps (onsite). */
  ctas: CtaRepository;
  /** The site's time zone (sites). */
  sites: SiteRepository;
}

/** A backtest with the site's time zone: what a replay needs. */
export type ReplaySpec = BacktestSpec & { timezone: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function toCaps(raw: unknown): ReplayCaps {
  const c = (raw ?? {}) as Record<string, unknown>;
  const maxPerDay = num(c.maxPerDay);
  return {
    hideAfterCloseDays: num(c.hideAfterCloseDays) ?? 7,
    stopAfterConversion: c.stopAfterConversion !== false,
    ...(maxPerDay !== undefined ? { maxPerDay } : {}),
  };
}

/**
 * Runs a backtest in slices: each slice replays pages of visitors (in visitor id order, 2,000 a page, each visitor's
 * events in (ts, id) order, read in bounded pages) and saves a checkpoint at a visitor boundary, so
 * memory stays bounded by a page and a cancel or another site's backtest gets its turn between slices.
 * Plain class (no Nest) so the benchmark drives the very same code.
 */
export class BacktestRunner {
  constructor(
    private readonly repo: BacktestRepository,
    private readonly from: BacktestSources,
  ) {}

  /** The backtest and its site's time zone; undefined when either is gone. */
  async spec(siteId: string, id: string): Promise<ReplaySpec | undefined> {
    const [spec, timezone] = await Promise.all([
      this.repo.spec(siteId, id),
      this.from.sites.timezone(siteId),
    ]);
    return spec && timezone !== undefined ? { ...spec, timezone } : undefined;
  }

  async replayFlow(spec: ReplaySpec): Promise<ReplayFlow> {
    const compiled = compileFlow({ graph: spec.graph, settings: spec.settings });
    const ctaIds = [
      ...new Set(spec.graph.nodes.flatMap((n) => (n.type === 'show_cta' ? [n.config.ctaId] : []))),
    ];
    const caps = new Map(
      (await this.from.ctas.caps(spec.site_id, ctaIds)).map((c) => [c.id, toCaps(c.caps)] as const),
    );
    return {
      flowId: spec.flow_id,
      compiled,
      timezone: spec.timezone,
      siteId: spec.site_id,
      caps,
      holdoutPercent: spec.settings.holdoutPercent ?? 0,
    };
  }

  async runSlice(siteId: string, id: string, opts: SliceOptions = DEFAULT_SLICE): Promise<SliceOutcome> {
    const started = Date.now();
    const spec = await this.spec(siteId, id);
    if (!spec) return 'missing';
    if (spec.status === 'queued') {
      const total = await this.from.events.countVisitors(siteId, spec.window_from, spec.window_to);
      if (!(await this.repo.start(siteId, id, total, new Date()))) return 'cancelled';
    } else if (spec.status !== 'running') return 'cancelled';
    const flow = await this.replayFlow(spec);
    const tally = new BacktestTally(spec.result ?? emptyResult());
    let cursor = spec.cursor_visitor;
    let visitorsDone = spec.visitors_done;
    let done = false;
    // At least one page per slice, so a slice always makes progress.
    do {
      const visitors = await this.from.events.nextVisitors(
        siteId,
        spec.window_from,
        spec.window_to,
        cursor,
        opts.visitorsPerPage,
      );
      if (!visitors.length) {
        done = true;
        break;
      }
      await this.replayVisitors(spec, flow, tally, visitors, opts.eventsPerPage);
      cursor = visitors[visitors.length - 1];
      visitorsDone += visitors.length;
      if (visitors.length < opts.visitorsPerPage) {
        done = true;
        break;
      }
      if ((await this.repo.status(siteId, id)) !== 'running') return 'cancelled';
    } while (Date.now() - started < opts.budgetMs);
    const saved = await this.repo.checkpoint(
      siteId,
      id,
      { cursorVisitor: cursor, visitorsDone, eventsDone: tally.result.events, result: tally.result },
      done,
      new Date(),
    );
    if (!saved) return 'cancelled';
    return done ? 'done' : 'more';
  }

  /** Replays every window event of these visitors (sorted ids), streaming pages of events. */
  async replayVisitors(
    spec: ReplaySpec,
    flow: ReplayFlow,
    tally: BacktestTally,
    visitors: string[],
    eventsPerPage: number,
  ): Promise<void> {
    const siteId = spec.site_id;
    const profiles = new Map((await this.from.visitors.snapshots(siteId, visitors)).map((v) => [v.id, v]));
    // Profiles as the window opened, changed by each identify and merge as the fold changed them. Only
    // a visitor with traits can have had identify changes, and only a user can have had others merged in.
    const withTraits = visitors.filter((id) => Object.keys(profiles.get(id)?.traits ?? {}).length > 0);
    const users = visitors.filter((id) => profiles.get(id)?.user_id);
    const changes = new Map<string, TraitChangeRow[]>();
    const changeRows = withTraits.length
      ? await this.from.events.traitChanges(siteId, withTraits, spec.window_from)
      : [];
    /** Source event's message id → the traits its identify changed (`<messageId>:trait:<key>`). */
    const identified = new Map<string, Record<string, unknown>>();
    for (const c of changeRows) {
      const source = c.message_id.slice(0, c.message_id.lastIndexOf(':trait:'));
      identified.set(source, { ...identified.get(source), [c.key]: c.value });
      const list = changes.get(c.visitor_id) ?? [];
      list.push({ ts: c.ts.getTime(), id: BigInt(c.id), key: c.key, previous: c.previous });
      changes.set(c.visitor_id, list);
    }
    const merges = new Map<string, MergeRow[]>();
    /** Event id → traits of the visitors that event merged in. */
    const mergedAt = new Map<string, Record<string, unknown>[]>();
    const mergeRows = users.length ? await this.from.events.mergesInto(siteId, users, spec.window_from) : [];
    for (const m of mergeRows) {
      const traits = m.traits ?? {};
      const at = m.ts && m.event_id ? { ts: m.ts.getTime(), id: BigInt(m.event_id) } : null;
      merges.set(m.into_id, [...(merges.get(m.into_id) ?? []), { traits, at }]);
      if (m.event_id) mergedAt.set(m.event_id, [...(mergedAt.get(m.event_id) ?? []), traits]);
    }
    const end = spec.window_to.getTime();
    const range = {
      from: spec.window_from,
      to: spec.window_to,
      first: visitors[0],
      last: visitors[visitors.length - 1],
    };
    let replay: VisitorReplay | null = null;
    let current: string | null = null;
    let bot = false;
    let after: { visitorId: string; tsKey: string; id: string } | null = null;
    for (;;) {
      const rows = await this.from.events.eventsPage(siteId, range, after, eventsPerPage);
      for (const row of rows) {
        if (row.visitor_id !== current) {
          replay?.finish(end);
          current = row.visitor_id;
          const profile = profiles.get(current);
          bot = profile?.is_bot ?? false;
          const snapshot = toVisitorSnapshot(profile, current);
          snapshot.traits = traitsAtWindowStart(
            (snapshot.traits ?? {}) as Record<string, unknown>,
            changes.get(current) ?? [],
            merges.get(current) ?? [],
          );
          replay = new VisitorReplay(flow, current, snapshot, tally);
        }
        const webhookView = inboundWebhookEvent(row);
        const merged = mergedAt.get(row.id);
        replay?.feed({
          ...(merged ? { merged } : {}),
          ...(identified.has(row.message_id) ? { identify: identified.get(row.message_id) } : {}),
          id: row.id,
          ts: row.ts.getTime(),
          event: toEngineEvent(row),
          ...(webhookView ? { webhookView } : {}),
          isBot: row.is_bot || bot,
        });
      }
      if (rows.length < eventsPerPage) break;
      const last = rows[rows.length - 1];
      after = { visitorId: last.visitor_id, tsKey: last.ts_key, id: last.id };
    }
    replay?.finish(end);
  }
}
