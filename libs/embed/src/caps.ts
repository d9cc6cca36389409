import type { Cta, CtaCaps } from './types';
import { store } from './util';

/** `[kind, ctaId, epoch ms]`: v = viewed, c = closed, x = converted. */
type Entry = [string, string, number];

const KEY = 'nf_caps';
const DAY = 864e5;
const SESSION_GAP = 18e5;
const MAX_ENTRIES = 300;

/**
 * The visitor's CTA views, closes and conversions in first-party storage, applied before rendering:
 * the server learns them only once the event is folded into the profile, and a CTA closed or
 * converted must not come back on the next page meanwhile. Same rules as the API's `withinCaps`.
 */
export class LocalCaps {
  private log: Entry[];

  constructor() {
    let saved: unknown;
    try {
      saved = JSON.parse(store.get(KEY) || '[]');
    } catch {
      saved = [];
    }
    this.log = Array.isArray(saved) ? (saved as Entry[]) : [];
  }

  record(kind: 'v' | 'c' | 'x', ctaId: string): void {
    const now = Date.now();
    this.log = this.log.filter((e) => now - e[2] < 90 * DAY).slice(1 - MAX_ENTRIES);
    this.log.push([kind, ctaId, now]);
    store.set(KEY, JSON.stringify(this.log));
  }

  allows(cta: Cta): boolean {
    const caps: CtaCaps = cta.caps || {};
    const now = Date.now();
    const today = now - (now % DAY);
    let edge = now;
    let inSession = true;
    let day = 0;
    let session = 0;
    for (let i = this.log.length; i--;) {
      const [kind, id, ts] = this.log[i];
      if (inSession && edge - ts > SESSION_GAP) inSession = false;
      if (inSession) edge = ts;
      if (id !== cta.id) continue;
      if (kind === 'x' && caps.stopAfterConversion !== false) return false;
      if (kind === 'c' && now - ts < (caps.hideAfterCloseDays ?? 7) * DAY) return false;
      if (kind === 'v') {
        if (ts >= today) day++;
        if (inSession) session++;
      }
    }
    return !(
      (caps.maxPerDay != null && day >= caps.maxPerDay) ||
      (caps.maxPerSession != null && session >= caps.maxPerSession)
    );
  }
}
