import { renderTemplate } from '@nudgeflow/engine';
import sanitize from 'sanitize-html';
import type { CtaConfig, CtaVariant } from './cta.schemas';

/**
 * Body HTML allow-list: text formatting, links and images only. No scripts, no event handlers, no
 * inline styles, no forms or frames; links and images only over http(s) (mailto/tel for links).
 */
const SANITIZE: sanitize.IOptions = {
  allowedTags: [
    'p',
    'br',
    'b',
    'strong',
    'i',
    'em',
    'u',
    's',
    'small',
    'span',
    'ul',
    'ol',
    'li',
    'a',
    'img',
    'h3',
    'h4',
  ],
  allowedAttributes: { a: ['href', 'title', 'target', 'rel'], img: ['src', 'alt', 'width', 'height'] },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...attribs,
        rel: 'noopener noreferrer nofollow',
        ...(attribs.target ? { target: '_blank' } : {}),
      },
    }),
  },
};

export function sanitizeBody(html: string): string {
  return sanitize(html, SANITIZE);
}

/** Sanitises every variant body of a config (on save); the rest is plain text set via textContent. */
export function sanitizeConfig(config: CtaConfig): CtaConfig {
  return {
    ...config,
    variants: config.variants.map((v) => ({
      ...v,
      content: { ...v.content, body: sanitizeBody(v.content.body) },
    })),
  };
}

/** The data personalisation tokens can read: `{{visitor.traits.first_name}}`, `{{visitor.tags}}`. */
export interface TokenView {
  visitor: { traits: Record<string, unknown>; tags: string[] };
}

const hasToken = (s: string) => s.includes('{{');

function fill(template: string, mode: 'html' | 'text', view: TokenView): string {
  if (!hasToken(template)) return template;
  const r = renderTemplate(template, mode, view);
  return r.ok ? r.output : template.replace(/\{\{[^}]*\}\}/g, '');
}

/** The wire shape the embed script renders (libs/embed/src/types.ts `Cta`). */
export interface WireCta {
  id: string;
  variantId: string;
  kind: CtaConfig['kind'];
  selector?: string;
  display: CtaConfig['display'];
  content: CtaVariant['content'];
  style: CtaVariant['style'];
}

/**
 * Renders one variant for one visitor: tokens in text fields are filled as text (the script sets
 * them with textContent), tokens in the body are HTML-escaped and the result is sanitised again,
 * so neither content nor visitor data can add markup that runs.
 */
export function renderVariant(
  ctaId: string,
  config: CtaConfig,
  variant: CtaVariant,
  view: TokenView,
): WireCta {
  const c = variant.content;
  const content: CtaVariant['content'] = {
    headline: fill(c.headline, 'text', view),
    body: sanitizeBody(fill(c.body, 'html', view)),
    buttons: c.buttons.map((b) => ({ ...b, label: fill(b.label, 'text', view) })),
  };
  if (c.imageUrl) content.imageUrl = c.imageUrl;
  if (c.form) content.form = c.form;
  const out: WireCta = {
    id: ctaId,
    variantId: variant.id,
    kind: config.kind,
    display: config.display,
    content,
    style: variant.style,
  };
  if (config.kind === 'inline' && config.selector) out.selector = config.selector;
  return out;
}
