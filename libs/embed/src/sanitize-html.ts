/**
 * Second line of defence: the server already sanitises CTA bodies, but a bug or a compromised
 * record must still not run script on a customer's site. Parsing inside a <template> is inert
 * (no script runs, no image loads) until the cleaned fragment is adopted.
 */
const DROP =
  /^(script|iframe|object|embed|link|meta|base|style|frame|frameset|noscript|template|animate\w*|set)$/i;
const URL_ATTR = /^(href|src|action|formaction|xlink:href|poster|background|srcset)$/i;

/** True when a URL (as written in markup) would run script or smuggle a document. */
export function isUnsafeUrl(value: string): boolean {
  // Browsers ignore ASCII whitespace and control characters inside the scheme ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  const v = value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
  return /^(javascript|vbscript|data):/.test(v) && !/^data:image\/(png|gif|jpe?g|webp);/.test(v);
}

export function sanitizeHtml(html: string): DocumentFragment {
  const t = document.createElement('template');
  t.innerHTML = html;
  const walk = (parent: ParentNode): void => {
    for (const el of Array.from(parent.children)) {
      if (DROP.test(el.localName)) {
        el.remove();
        continue;
      }
      for (const { name, value } of Array.from(el.attributes)) {
        if (/^on/i.test(name) || name === 'srcdoc' || (URL_ATTR.test(name) && isUnsafeUrl(value))) {
          el.removeAttribute(name);
        }
      }
      if (el.localName === 'a' && el.getAttribute('target')) el.setAttribute('rel', 'noopener noreferrer');
      walk(el);
    }
  };
  walk(t.content);
  return document.importNode(t.content, true);
}
