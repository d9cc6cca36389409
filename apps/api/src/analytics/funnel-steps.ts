/**
 * Funnel semantics, pure and Nest-free (shared by the rollup pass, the ad-hoc preview and tests).
 *
 * An *attempt* starts at an event matching step 1 while no attempt of the same visitor is open; it is
 * open for `windowMs` from its start. Inside it, events in (ts, id) order advance the attempt one step
 * at a time: an event strictly after the previous step's event that matches the next step (earliest
 * match, which reaches the furthest step possible). The next attempt starts at the first step-1 event
 * at or after the previous attempt's end. Attempts are counted on the (local) day they start.
 */
export interface FunnelFilter {
  property: string;
  op: 'equals' | 'not_equals' | 'contains' | 'starts_with' | 'exists';
  value?: string;
}

export interface FunnelStep {
  event: string;
  label?: string;
  filters: FunnelFilter[];
}

export interface FunnelEvent {
  ts: number;
  /** Bit k set when the event matches step k (0-based). */
  mask: number;
}

export interface Attempt {
  startedAt: number;
  /** Furthest step reached, 1-based (1 = entered). */
  step: number;
  /** Time of each step reached (length = step). */
  stepAt: number[];
}

/**
 * SQL for the step mask of an event row aliased `e`, with every value bound as a parameter (pushed onto
 * `params`, numbered after `firstParam - 1`). Property names are read with `->>` from `properties`.
 */
export function stepMaskSql(steps: FunnelStep[], params: unknown[], firstParam: number): string {
  const base = params.length;
  const bind = (v: string | number) => {
    params.push(v);
    return `$${firstParam + params.length - base - 1}::${typeof v === 'number' ? 'int' : 'text'}`;
  };
  const parts = steps.map((s, k) => {
    const conds = [`e.name = ${bind(s.event)}`];
    for (const f of s.filters) {
      const prop = `(e.properties->>${bind(f.property)})`;
      if (f.op === 'exists') conds.push(`${prop} IS NOT NULL`);
      else if (f.op === 'equals') conds.push(`${prop} = ${bind(f.value ?? '')}`);
      else if (f.op === 'not_equals') conds.push(`${prop} IS DISTINCT FROM ${bind(f.value ?? '')}`);
      else if (f.op === 'contains') conds.push(`strpos(${prop}, ${bind(f.value ?? '')}) > 0`);
      else conds.push(`left(${prop}, ${bind((f.value ?? '').length)}) = ${bind(f.value ?? '')}`);
    }
    return `CASE WHEN ${conds.join(' AND ')} THEN ${1 << k} ELSE 0 END`;
  });
  return `(${parts.join(' | ')})`;
}

/** The same predicate in JS (tests and the raw reference). */
export function stepMatches(step: FunnelStep, name: string, properties: Record<string, unknown>): boolean {
  if (name !== step.event) return false;
  return step.filters.every((f) => {
    const raw = properties[f.property];
    const v = raw === undefined || raw === null ? null : typeof raw === 'string' ? raw : JSON.stringify(raw);
    const want = f.value ?? '';
    if (f.op === 'exists') return v !== null;
    if (f.op === 'equals') return v === want;
    if (f.op === 'not_equals') return v !== want;
    if (v === null) return false;
    return f.op === 'contains' ? v.includes(want) : v.startsWith(want);
  });
}

/**
 * Attempts of one visitor from events sorted by (ts, id). `from` is where the scan may start a new
 * attempt (the start of an attempt known to be valid, or a time no attempt covers).
 */
export function attempts(events: FunnelEvent[], nSteps: number, windowMs: number): Attempt[] {
  const out: Attempt[] = [];
  let cur: Attempt | null = null;
  for (const e of events) {
    if (cur && e.ts >= cur.startedAt + windowMs) cur = null;
    if (!cur) {
      if (e.mask & 1) {
        cur = { startedAt: e.ts, step: 1, stepAt: [e.ts] };
        out.push(cur);
      }
      continue;
    }
    if (cur.step < nSteps && e.mask & (1 << cur.step) && e.ts >= cur.stepAt[cur.step - 1]) {
      cur.stepAt.push(e.ts);
      cur.step++;
    }
  }
  return out;
}
