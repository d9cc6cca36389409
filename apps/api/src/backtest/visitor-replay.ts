import {
  advanceRun,
  applyVisitorUpdate,
  eventsOfInterest,
  isHeldOut,
  matchesTrigger,
  type AdvanceResult,
  type CompiledFlow,
  type EngineEffect,
  type EngineInput,
  type FlowEvent,
  type RunState,
  type VisitorSnapshot,
} from '@nudgeflow/engine';
import { isTriggerNode, type TriggerNode } from '@nudgeflow/engine';
import { BacktestTally, type ReplayPath } from './backtest-tally';
import { foldTraits } from './profile-timeline';

/** The frequency caps of a CTA that the backtest applies to `show_cta` (the decision API's own caps). */
export interface ReplayCaps {
  hideAfterCloseDays: number;
  maxPerDay?: number;
  stopAfterConversion: boolean;
}

export interface ReplayFlow {
  flowId: string;
  compiled: CompiledFlow;
  timezone: string;
  siteId?: string;
  /** Caps of the CTAs the flow shows; a CTA without an entry is uncapped. */
  caps: ReadonlyMap<string, ReplayCaps>;
  /** Percent of enrolments held out (0–50): enrolled and counted, effects not performed. */
  holdoutPercent?: number;
}

/** One stored event as the replay sees it (already in engine form). */
export interface ReplayEvent {
  id: string;
  /** Epoch ms. */
  ts: number;
  event: FlowEvent;
  /** The `$webhook` view of an inbound hook's event, which only triggers see. */
  webhookView?: FlowEvent;
  isBot: boolean;
  /** The traits an identify changed (the fold's `$trait_changed`): set before flows see the event. */
  identify?: Record<string, unknown>;
  /** Traits of the visitors this event merged into this one (identify/alias), applied first. */
  merged?: Record<string, unknown>[];
}

interface ActiveRun {
  runId: string;
  state: RunState;
  wakeAt: number | null;
  wakeInput: EngineInput | null;
  interests: string[];
  heldOut: boolean;
  path: ReplayPath | null;
}

const DAY_MS = 86_400_000;

/**
 * Replays one visitor's recorded events, in order, through the pure engine the runtime uses, the way
 * the runtime would have run them: due timers fire first (virtual time advances to each `fireAt`),
 * then the event goes to the visitor's waiting runs that listen for it, then it may enrol a new run
 * (re-entry policy and per-visitor cap as the `run_entries` guard enforces them). Nothing is
 * performed; steps and effects are tallied. Feed events in (ts, id) order, then `finish(windowEnd)`.
 */
export class VisitorReplay {
  private readonly runs: ActiveRun[] = [];
  private entries = 0;
  private activeRuns = 0;
  private lastEnteredAt = -Infinity;
  private visitor: VisitorSnapshot;
  private readonly triggers: TriggerNode[];
  private readonly seen = new Set<string>();
  /** Per CTA: recorded closes/conversions and virtual shows, for the caps. */
  private readonly ctaLog = new Map<
    string,
    { closedAt: number | null; converted: boolean; shows: number[] }
  >();
  private readonly heldOut: boolean;
  private events = 0;

  constructor(
    private readonly flow: ReplayFlow,
    private readonly visitorId: string,
    visitor: VisitorSnapshot,
    private readonly tally: BacktestTally,
  ) {
    this.visitor = visitor;
    this.triggers = flow.compiled.graph.nodes.filter(isTriggerNode);
    this.heldOut = isHeldOut(visitorId, flow.flowId, flow.holdoutPercent);
  }

  feed(e: ReplayEvent): void {
    this.events += 1;
    this.fireDue(e.ts);
    if (e.identify || e.merged) {
      const traits = foldTraits(
        (this.visitor.traits ?? {}) as Record<string, unknown>,
        e.merged ?? [],
        e.identify ?? null,
      );
      this.visitor = { ...this.visitor, traits: traits as VisitorSnapshot['traits'] };
    }
    if (e.isBot) return;
    this.logCta(e.event, e.ts);
    // As the trigger job does it: the event goes to the inbox of the waiting runs that listen for it,
    // the enrolment is decided with the guard as it stands (those runs still count as active), the new
    // run advances at once, and the waiting runs take their inbox event afterwards.
    const listening = this.runs.filter(
      (run) => run.state.status === 'waiting' && run.interests.includes(e.event.name),
    );
    for (const view of e.webhookView ? [e.event, e.webhookView] : [e.event]) {
      const trigger = this.triggers.find((t) => matchesTrigger(t, view));
      if (!trigger) continue;
      this.enrol(e, view, trigger.id);
      break;
    }
    for (const run of listening) this.advance(run, { kind: 'event', event: e.event }, e.ts);
  }

  /** Fires what is due up to the window's end and tallies the runs still waiting. */
  finish(endMs: number): void {
    this.fireDue(endMs);
    for (const run of this.runs) {
      const node = run.state.waiting?.nodeId;
      if (run.state.status === 'waiting' && node) this.tally.waiting(node);
    }
    this.tally.visitorDone(this.visitorId, this.events, this.seen);
  }

  private admit(ts: number): boolean {
    const { reEntry, maxConcurrentRunsPerVisitor } = this.flow.compiled.settings;
    const max = reEntry.mode === 'once' ? 1 : maxConcurrentRunsPerVisitor;
    if (this.entries > 0) {
      if (reEntry.mode === 'once' || this.activeRuns >= max) return false;
      if (reEntry.mode === 'once_per_days' && this.lastEnteredAt > ts - reEntry.days * DAY_MS) return false;
    }
    this.entries += 1;
    this.activeRuns += 1;
    this.lastEnteredAt = ts;
    return true;
  }

  private enrol(e: ReplayEvent, view: FlowEvent, triggerNodeId: string): void {
    if (!this.admit(e.ts)) return;
    const runId = `bt-${this.visitorId}-${e.id}`;
    const path = this.tally.samplePath(this.visitorId, runId, view.name, e.ts);
    const run: ActiveRun = {
      runId,
      state: null as unknown as RunState,
      wakeAt: null,
      wakeInput: null,
      interests: [],
      heldOut: this.heldOut,
      path,
    };
    this.tally.enrolled(this.heldOut);
    this.seen.add(this.heldOut ? 'enrolled_holdout' : 'enrolled');
    this.runs.push(run);
    this.advance(run, { kind: 'start', event: view, triggerNodeId }, e.ts);
  }

  private advance(run: ActiveRun, input: EngineInput, now: number): void {
    const result: AdvanceResult = advanceRun(
      this.flow.compiled,
      input.kind === 'start' ? null : run.state,
      input,
      {
        now,
        siteTimezone: this.flow.timezone,
        ...(this.flow.siteId ? { siteId: this.flow.siteId } : {}),
        visitor: this.visitor,
        runId: run.runId,
      },
    );
    if (result.ignored) return;
    run.state = result.state;
    for (const step of result.steps) {
      this.tally.step(step.nodeId, step.handle);
      run.path?.steps.push({ nodeId: step.nodeId, handle: step.handle, at: step.at });
      if (step.skipped) this.tally.skipped(step.nodeId);
      for (const effect of step.effects) this.effect(run, effect, now);
    }
    if (result.status === 'waiting') {
      run.wakeAt = result.wakeAt ? Date.parse(result.wakeAt) : null;
      const w = result.state.waiting;
      run.wakeInput = w ? { kind: w.kind === 'timer' ? 'timer' : 'timeout', nodeId: w.nodeId } : null;
      run.interests = eventsOfInterest(this.flow.compiled, result.state);
      return;
    }
    // Ended: the guard's active count drops, as `applyTransitions` releases it.
    this.activeRuns = Math.max(0, this.activeRuns - 1);
    this.runs.splice(this.runs.indexOf(run), 1);
    this.tally.ended(result.status, run.heldOut);
    if (result.status === 'converted') this.seen.add(run.heldOut ? 'converted_holdout' : 'converted');
    if (run.path) run.path.status = result.status;
  }

  private fireDue(until: number): void {
    for (;;) {
      let next: ActiveRun | null = null;
      for (const run of this.runs)
        if (run.wakeAt !== null && run.wakeAt <= until && (!next || run.wakeAt < (next.wakeAt ?? 0)))
          next = run;
      if (!next || !next.wakeInput) return;
      const at = next.wakeAt as number;
      next.wakeAt = null;
      this.advance(next, next.wakeInput, at);
    }
  }

  private effect(run: ActiveRun, effect: EngineEffect, now: number): void {
    if (run.heldOut) {
      this.tally.effect(effect.kind, effect.nodeId, 'held_out');
      return;
    }
    if (effect.kind === 'show_cta') {
      const shown = this.withinCaps(effect.ctaId, now);
      this.tally.cta(effect.ctaId, shown);
      this.tally.effect(effect.kind, effect.nodeId, shown ? 'performed' : 'capped');
      if (shown) this.seen.add(`effect:${effect.kind}`);
      return;
    }
    if (effect.kind === 'update_visitor') this.visitor = applyVisitorUpdate(this.visitor, effect);
    this.tally.effect(effect.kind, effect.nodeId, 'performed');
    this.seen.add(`effect:${effect.kind}`);
  }

  private logCta(event: FlowEvent, ts: number): void {
    const ctaId = event.properties?.ctaId;
    if (typeof ctaId !== 'string') return;
    if (event.name === '$cta_closed') this.ctaState(ctaId).closedAt = ts;
    else if (event.name === '$cta_converted') this.ctaState(ctaId).converted = true;
  }

  private ctaState(ctaId: string) {
    let s = this.ctaLog.get(ctaId);
    if (!s) this.ctaLog.set(ctaId, (s = { closedAt: null, converted: false, shows: [] }));
    return s;
  }

  private withinCaps(ctaId: string, now: number): boolean {
    const caps = this.flow.caps.get(ctaId);
    const s = this.ctaState(ctaId);
    // Only the last day's shows matter (`maxPerDay`, a rolling day): the list stays small.
    s.shows = s.shows.filter((t) => t > now - DAY_MS);
    let ok = true;
    if (caps) {
      if (caps.stopAfterConversion && s.converted) ok = false;
      else if (
        s.closedAt !== null &&
        caps.hideAfterCloseDays > 0 &&
        now - s.closedAt < caps.hideAfterCloseDays * DAY_MS
      )
        ok = false;
      else if (caps.maxPerDay !== undefined && s.shows.length >= caps.maxPerDay) ok = false;
    }
    if (ok) s.shows.push(now);
    return ok;
  }
}
