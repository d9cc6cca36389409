/**
 * Inline problems of a CTA draft, keyed by field (`name`, `selector`, `display.selector`,
 * `variants.<i>.content.headline`, …), checked as the marketer types. The API validates again on save
 * (its answer is shown the same way through `apiProblems`).
 */
import type { CtaConfig } from '../api/ctas';

export type CtaProblems = Record<string, string>;

const HTTP_URL = /^(https?:\/\/|\/(?!\/))/i;
const COLOUR = /^[#\w(),.%\s-]*$/;

export function ctaProblems(name: string, config: CtaConfig): CtaProblems {
  const problems: CtaProblems = {};
  if (!name.trim()) problems.name = 'Give the CTA a name';
  if (config.kind === 'inline' && !config.selector?.trim()) {
    problems.selector = 'An inline CTA needs a CSS selector, e.g. #newsletter';
  }
  if (config.display.trigger === 'click' && !config.display.selector?.trim()) {
    problems['display.selector'] = 'Say which element opens it, e.g. .open-offer';
  }
  if (!(config.priority >= 0 && config.priority <= 100)) problems.priority = 'Use 0 to 100';
  if (config.variants.every((v) => !(v.weight > 0))) {
    problems.variants = 'At least one variant needs a weight above 0';
  }
  config.variants.forEach((v, i) => {
    const at = `variants.${i}`;
    if (!v.content.headline.trim() && !v.content.body.trim()) {
      problems[`${at}.content.headline`] = 'Write a headline or a body';
    }
    if (v.content.headline.length > 300) problems[`${at}.content.headline`] = 'At most 300 characters';
    if (v.content.imageUrl && !HTTP_URL.test(v.content.imageUrl)) {
      problems[`${at}.content.imageUrl`] = 'Use an http(s) URL or a path starting with /';
    }
    v.content.buttons.forEach((b, j) => {
      if (!b.label.trim()) problems[`${at}.content.buttons.${j}.label`] = 'A button needs a label';
      if (b.action === 'url' && !HTTP_URL.test(b.url ?? '')) {
        problems[`${at}.content.buttons.${j}.url`] = 'Use an http(s) URL or a path starting with /';
      }
    });
    for (const key of ['background', 'color', 'accent'] as const) {
      if (!COLOUR.test(v.style[key]) || /url/i.test(v.style[key])) {
        problems[`${at}.style.${key}`] = 'Use a CSS colour';
      }
    }
  });
  if (!(config.caps.hideAfterCloseDays >= 0 && config.caps.hideAfterCloseDays <= 90)) {
    problems['caps.hideAfterCloseDays'] = 'Use 0 to 90 days';
  }
  return problems;
}

/** An API validation error (`path` like `config.variants.0.content.imageUrl`) as a field problem. */
export function apiProblem(path: string | undefined, message: string): CtaProblems {
  const key = (path ?? '').replace(/^config\./, '') || 'form';
  return { [key]: message.replace(/^[\w.]+: /, '') };
}
