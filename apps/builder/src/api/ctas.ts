/**
 * Every call of the CTAs API (issue #7) lives here, so contract changes touch one file.
 */
import type { renderCta } from '@nudgeflow/embed/render-cta';
import { api, ApiError, enc } from './client';

/** The wire CTA the embed renders (and the preview renders with the same function). */
export type Cta = Parameters<typeof renderCta>[1];

export type CtaKind = 'modal' | 'bar' | 'slide_in' | 'inline';
export type CtaStatus = 'draft' | 'published' | 'archived';

export interface UrlRule {
  target: 'path' | 'url';
  operator: 'equals' | 'contains' | 'starts_with' | 'wildcard';
  value: string;
}

export interface CtaVariantConfig {
  id: string;
  name: string;
  weight: number;
  content: Cta['content'];
  style: Cta['style'];
}

/** The draft as the API stores it (defaults filled in by the server). */
export interface CtaConfig {
  kind: CtaKind;
  selector?: string;
  mode: 'always' | 'flow';
  priority: number;
  display: Cta['display'];
  variants: CtaVariantConfig[];
  targeting: {
    urlRules: UrlRule[];
    excludeUrlRules: UrlRule[];
    devices: ('desktop' | 'mobile' | 'tablet')[];
    visitorType: 'any' | 'new' | 'returning';
    [rest: string]: unknown;
  };
  caps: {
    hideAfterCloseDays: number;
    maxPerSession?: number;
    maxPerDay?: number;
    stopAfterConversion: boolean;
  };
}

export interface CtaDetail {
  id: string;
  name: string;
  status: CtaStatus;
  revision: number;
  publishedVersion: number | null;
  config: CtaConfig;
  updatedAt: string;
}

export interface VariantStats {
  variantId: string;
  name: string;
  impressions: number;
  visitors: number;
  clicks: number;
  closes: number;
  conversions: number;
  conversionRate: number;
}

export type SaveCtaResult = { ok: true; cta: CtaDetail } | { ok: false; conflict: true };

const base = (siteId: string) => `/api/sites/${enc(siteId)}/ctas`;
const one = (siteId: string, id: string) => `${base(siteId)}/${enc(id)}`;

export function newCtaConfig(kind: CtaKind = 'modal'): CtaConfig {
  return {
    kind,
    mode: 'always',
    priority: 50,
    display: { trigger: 'load' },
    variants: [
      {
        id: 'a',
        name: 'A',
        weight: 1,
        content: {
          headline: 'Get 10% off your first order',
          body: '<p>Join the list and we will send the code right away.</p>',
          buttons: [{ label: 'No thanks', action: 'close' }],
          form: {
            fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
            submitLabel: 'Send my code',
          },
        },
        style: { background: '#ffffff', color: '#111111', accent: '#2563eb', position: 'center' },
      },
    ],
    targeting: { urlRules: [], excludeUrlRules: [], devices: [], visitorType: 'any' },
    caps: { hideAfterCloseDays: 7, stopAfterConversion: true },
  };
}

export const ctasApi = {
  list: (siteId: string) => api.get<CtaDetail[]>(base(siteId)),
  get: (siteId: string, id: string) => api.get<CtaDetail>(one(siteId, id)),
  create: (siteId: string, input: { name: string; config: CtaConfig }) =>
    api.post<CtaDetail>(base(siteId), input),

  /** Optimistic concurrency: a stale revision comes back as a conflict value, not a thrown error. */
  save: async (
    siteId: string,
    id: string,
    input: { revision: number; name?: string; config?: CtaConfig },
  ): Promise<SaveCtaResult> => {
    try {
      return { ok: true, cta: await api.put<CtaDetail>(one(siteId, id), input) };
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.code === 'REVISION_CONFLICT') {
        return { ok: false, conflict: true };
      }
      throw error;
    }
  },
  publish: (siteId: string, id: string) => api.post<CtaDetail>(`${one(siteId, id)}/publish`),
  unpublish: (siteId: string, id: string) => api.post<CtaDetail>(`${one(siteId, id)}/unpublish`),
  duplicate: (siteId: string, id: string) => api.post<CtaDetail>(`${one(siteId, id)}/duplicate`),
  archive: (siteId: string, id: string) => api.delete(one(siteId, id)),
  /** Server-rendered variants (sanitised, sample traits filled in) for the live preview. */
  preview: (siteId: string, id: string, config: CtaConfig, traits: Record<string, string>) =>
    api.post<{ ctas: Cta[] }>(`${one(siteId, id)}/preview`, { config, traits }),
  stats: (siteId: string, id: string) => api.get<{ variants: VariantStats[] }>(`${one(siteId, id)}/stats`),
};
