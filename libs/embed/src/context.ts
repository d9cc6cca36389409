declare const __NF_VERSION__: string;

export const LIBRARY = {
  name: 'nudgeflow.js',
  version: typeof __NF_VERSION__ === 'string' ? __NF_VERSION__ : 'dev',
};

export interface PageInfo {
  url: string;
  path: string;
  referrer: string;
  title: string;
  search: string;
}

export type Campaign = Partial<Record<'name' | 'source' | 'medium' | 'term' | 'content', string>>;

export interface EventContext {
  page: PageInfo;
  userAgent: string;
  locale: string;
  screen: { width: number; height: number };
  library: typeof LIBRARY;
  campaign?: Campaign;
}

export function pageInfo(referrer: string): PageInfo {
  return {
    url: location.href,
    path: location.pathname,
    referrer,
    title: document.title,
    search: location.search,
  };
}

/** utm_* query parameters, named as in the Segment spec (utm_campaign -> name). */
export function parseCampaign(search: string): Campaign | undefined {
  const params = new URLSearchParams(search);
  const out: Campaign = {};
  let found = false;
  for (const key of ['campaign', 'source', 'medium', 'term', 'content'] as const) {
    const v = params.get('utm_' + key);
    if (v) {
      out[key === 'campaign' ? 'name' : key] = v;
      found = true;
    }
  }
  return found ? out : undefined;
}

export function eventContext(page: PageInfo): EventContext {
  const ctx: EventContext = {
    page,
    userAgent: navigator.userAgent,
    locale: navigator.language,
    screen: { width: screen.width, height: screen.height },
    library: LIBRARY,
  };
  const campaign = parseCampaign(location.search);
  if (campaign) ctx.campaign = campaign;
  return ctx;
}
