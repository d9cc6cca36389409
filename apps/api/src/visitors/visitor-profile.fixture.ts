import type { EventFacts } from './visitor-profile';

/** Unit tests' event facts at `ts` (ms) with no page, source or device: only the time and a CTA matter. */
export const facts = (ts: number, cta: EventFacts['cta'] = null): EventFacts => ({
  ts: new Date(ts),
  isPage: false,
  pageUrl: null,
  referrer: null,
  utm: null,
  device: null,
  country: null,
  isBot: false,
  cta,
});
