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

const sanitized = new Map<string, string>();
function sanitizedTemplate(template: string): string {
  let hit = sanitized.get(template);
  if (hit === undefined) {
    hit = sanitizeBody(template);
    if (sanitized.size >= 2000) sanitized.clear();
    sanitized.set(template, hit);
  }
  return hit;
}

/** True when a `{{token}}` sits inside a tag (an attribute value), where escaping alone is not enough. */
export function hasTokenInTag(template: string): boolean {
  let inTag = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '<') inTag = true;
    else if (ch === '>') inTag = false;
    else if (inTag && ch === '{' && template[i + 1] === '{') return true;
  }
  return false;
}

/**
 * Body HTML for one visitor. Tokens in text are HTML-escaped into the sanitised template (memoised
 * per template, so the hot path does not re-parse HTML); a token inside a tag (e.g. an href) could
 * carry a `javascript:` URL, so such bodies are filled first and sanitised as a whole every time.
 */
export function renderBody(template: string, view: TokenView): string {
  if (!hasToken(template)) return sanitizedTemplate(template);
  if (hasTokenInTag(template)) return sanitizeBody(fill(template, 'html', view));
  return fill(sanitizedTemplate(template), 'html', view);
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
  /** The embed applies these itself too, before the fold has recorded a close or a conversion. */
  caps: CtaConfig['caps'];
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
    body: renderBody(c.body, view),
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
    caps: config.caps,
  };
  if (config.kind === 'inline' && config.selector) out.selector = config.selector;
  return out;
}
