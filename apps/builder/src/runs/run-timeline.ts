import { effectFacts, isEffectKind, isNodeType, nodeDefinition } from '@nudgeflow/flow-schema';
import type { RunDetail, RunStatus, RunStep, StepInput } from '../api/runs';

export type TimelineTone = 'info' | 'success' | 'warning' | 'error';

export interface TimelineEntry {
  key: string;
  at: string;
  kind: 'step' | 'wait' | 'effect' | 'error' | 'end';
  title: string;
  detail?: string;
  tone: TimelineTone;
  nodeId?: string;
}

/** A node's name in the timeline: its label on the canvas if known, else the kind's name. */
export function stepTitle(step: Pick<RunStep, 'nodeId' | 'nodeType'>, labels: Record<string, string> = {}) {
  const label = labels[step.nodeId];
  const kind = isNodeType(step.nodeType) ? nodeDefinition(step.nodeType).label : step.nodeType;
  return label ? `${label} (${kind})` : `${kind} · ${step.nodeId}`;
}

/** Why the engine ran this step, in words. */
export function describeInput(input: StepInput | null): string | undefined {
  if (!input) return undefined;
  switch (input.kind) {
    case 'start':
      return `started by event ${input.eventId}`;
    case 'timer':
      return 'the wait ended';
    case 'timeout':
      return 'timed out waiting for the event';
    case 'event':
      return `woke on event “${input.event}”`;
    case 'resume':
      return 'resumed from the dead letter';
    default:
      return undefined;
  }
}

/** The timeline's words for an effect and its target (`Send email → ada@example.com`), from the registry. */
function effectTitle(effect: { kind: string } & Record<string, unknown>): string {
  if (!isEffectKind(effect.kind)) return effect.kind;
  const facts = effectFacts(effect.kind);
  const target = facts.timelineTarget === null ? undefined : effect[facts.timelineTarget];
  return typeof target === 'string' && target ? `${facts.timeline} → ${target}` : facts.timeline;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = s / 60;
  if (m < 60) return `${Math.round(m)} min`;
  const h = m / 60;
  if (h < 48) return `${h < 10 ? h.toFixed(1) : Math.round(h)} h`;
  return `${Math.round(h / 24)} d`;
}

const ENDED_TONE: Partial<Record<RunStatus, TimelineTone>> = {
  completed: 'success',
  converted: 'success',
  exited: 'info',
  failed: 'error',
  cancelled: 'warning',
};

/**
 * The timeline of one run, oldest first: each ledger step (with what woke it and the output taken), the
 * effect it performed and its status, any error, the pauses between steps (waits), and how the run ended
 * or where it waits now.
 */
export function buildTimeline(run: RunDetail, labels: Record<string, string> = {}): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const steps = [...run.timeline].sort((a, b) => a.at.localeCompare(b.at));
  let previous: RunStep | undefined;
  for (const step of steps) {
    const key = `${step.nodeId}:${step.iteration}`;
    if (previous) {
      const gap = Date.parse(step.at) - Date.parse(previous.completedAt ?? previous.at);
      // A pause of a second or more between two steps is a wait (timer, or waiting for an event).
      if (gap >= 1000)
        entries.push({
          key: `${key}:wait`,
          at: previous.completedAt ?? previous.at,
          kind: 'wait',
          title: `Waited ${formatDuration(gap)}`,
          detail: describeInput(step.input),
          tone: 'info',
          nodeId: previous.nodeId,
        });
    }
    const parts = [describeInput(step.input)];
    if (step.output) parts.push(`took “${step.output}”`);
    // Iterations count entries into the node from 1; a second entry (a loop back) is worth saying.
    if (step.iteration > 1) parts.push(`pass ${step.iteration}`);
    entries.push({
      key,
      at: step.at,
      kind: 'step',
      title: stepTitle(step, labels),
      detail: parts.filter(Boolean).join(' · ') || undefined,
      tone: 'info',
      nodeId: step.nodeId,
    });
    if (step.effect) {
      const attempts = step.attempts > 1 ? ` after ${step.attempts} attempts` : '';
      const tone: TimelineTone =
        step.effectStatus === 'done'
          ? 'success'
          : step.effectStatus === 'failed'
            ? 'error'
            : step.effectStatus === 'pending'
              ? 'info'
              : 'warning';
      entries.push({
        key: `${key}:effect`,
        at: step.completedAt ?? step.at,
        kind: 'effect',
        title: `${effectTitle(step.effect)}: ${step.effectStatus}${attempts}`,
        detail: step.effectResult ? JSON.stringify(step.effectResult) : undefined,
        tone,
        nodeId: step.nodeId,
      });
    }
    if (step.skipped)
      entries.push({
        key: `${key}:skipped`,
        at: step.completedAt ?? step.at,
        kind: 'effect',
        title: `Skipped: ${step.skipped}`,
        tone: 'warning',
        nodeId: step.nodeId,
      });
    if (step.error)
      entries.push({
        key: `${key}:error`,
        at: step.completedAt ?? step.at,
        kind: 'error',
        title: 'Error',
        detail: step.error,
        tone: 'error',
        nodeId: step.nodeId,
      });
    previous = step;
  }

  if (run.status === 'waiting' && run.waitingAt) {
    entries.push({
      key: 'now:waiting',
      at: run.updatedAt,
      kind: 'wait',
      title: `Waiting at ${labels[run.waitingAt] ?? run.waitingAt}`,
      detail: run.nextStepAt ? `until ${new Date(run.nextStepAt).toISOString()} at the latest` : undefined,
      tone: 'info',
      nodeId: run.waitingAt,
    });
  }
  const endTone = ENDED_TONE[run.status];
  if (endTone) {
    entries.push({
      key: 'end',
      at: run.endedAt ?? run.updatedAt,
      kind: 'end',
      title: `Run ${run.status}`,
      detail: run.error ? `${run.error.code}: ${run.error.message}` : undefined,
      tone: run.error ? 'error' : endTone,
      nodeId: run.error?.nodeId ?? undefined,
    });
  } else if (run.error) {
    entries.push({
      key: 'run-error',
      at: run.updatedAt,
      kind: 'error',
      title: run.error.code,
      detail: run.error.message,
      tone: 'error',
      nodeId: run.error.nodeId ?? undefined,
    });
  }
  return entries;
}

/** A `datetime-local` value (local time, no zone) as the ISO instant the API expects; '' stays empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value.trim());
