import { isUnsafeUrl, sanitizeHtml } from './sanitize-html';
import type { Cta, CtaButton, CtaField, Traits } from './types';

/**
 * Renders one CTA into `root` (a ShadowRoot in the embed, any element in the builder preview).
 * No tracking, no network and no document-level listeners: the caller decides what a click,
 * a close or a submit means.
 */
export interface CtaCallbacks {
  /** Return false to cancel the default behaviour (navigation for `url` buttons). */
  onClick?(button: CtaButton): boolean | void;
  onClose?(): void;
  /** Called with validated, trimmed form values keyed by field name. */
  onSubmit?(traits: Traits): void;
}

export interface RenderOptions {
  /** Position inside the nearest positioned ancestor instead of the viewport (builder preview). */
  preview?: boolean;
  /** Move focus into a modal when it opens (default: true unless preview). */
  focus?: boolean;
}

export interface RenderedCta {
  element: HTMLElement;
  destroy(): void;
}

export const MAX_FIELD_LENGTH = 500;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const CSS =
  ':host{all:initial!important;display:block!important}' +
  '*{box-sizing:border-box;margin:0;padding:0}' +
  '.o{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;padding:16px;background:rgba(0,0,0,.5)}' +
  '.b{position:relative;width:var(--w,420px);max-width:100%;max-height:100%;overflow:auto;padding:24px;border-radius:10px;' +
  'background:var(--bg,#fff);color:var(--fg,#111);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;' +
  'text-align:left;box-shadow:0 10px 40px rgba(0,0,0,.3)}' +
  '.bar{position:fixed;left:0;right:0;z-index:2147483647;width:auto;border-radius:0;padding:12px 48px 12px 16px}' +
  '.top{top:0}.bottom{bottom:0}' +
  '.s{position:fixed;bottom:16px;z-index:2147483647;width:var(--w,340px);max-width:calc(100% - 32px)}' +
  '.br{right:16px}.bl{left:16px}.i{width:var(--w,auto);box-shadow:none}.pv{position:absolute}' +
  'h2{font-size:1.3em;font-weight:700;margin:0 24px 8px 0;color:inherit}' +
  '.t a{color:var(--ac)}.t img{max-width:100%}.t p{margin:0 0 8px}' +
  '.m{display:block;max-width:100%;margin-bottom:12px;border-radius:6px}' +
  '.x{position:absolute;top:6px;right:8px;padding:4px 8px;border:0;background:none;color:inherit;font-size:22px;line-height:1;cursor:pointer;opacity:.7}' +
  '.a{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}' +
  '.n{display:inline-block;padding:10px 16px;border:1px solid var(--ac,#2563eb);border-radius:6px;background:var(--ac,#2563eb);' +
  'color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}' +
  '.c{background:transparent;color:inherit;border-color:currentColor}' +
  'form .n{width:100%;margin-top:12px}' +
  'label{display:block;margin:8px 0 4px;font-size:.9em}' +
  'input{display:block;width:100%;padding:9px 10px;border:1px solid #bbb;border-radius:6px;background:#fff;color:#111;font:inherit}' +
  '[aria-invalid=true]{border-color:#c00}.e{color:#c00;font-size:.85em}';

/** Accept colours, lengths and simple functions; refuse anything that could load a URL. */
function cssValue(v: unknown): string {
  const s = typeof v === 'number' ? v + 'px' : typeof v === 'string' ? v : '';
  return /^[#\w(),.%\s-]{1,64}$/.test(s) && !/url/i.test(s) ? s : '';
}

function safeUrl(u: string | undefined): string | null {
  return u && !isUnsafeUrl(u) ? u : null;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  if (text != null) el.textContent = text;
  return el;
}

export function validateField(field: CtaField, value: string): string | null {
  if (!value) return field.required ? 'Required' : null;
  if (value.length > MAX_FIELD_LENGTH) return 'Too long';
  if (field.type === 'email' && !EMAIL.test(value)) return 'Enter a valid email';
  return null;
}

export function renderCta(
  root: ShadowRoot | HTMLElement,
  cta: Cta,
  callbacks: CtaCallbacks = {},
  options: RenderOptions = {},
): RenderedCta {
  const { content, style } = cta;
  const uid = 'nf' + String(cta.id).replace(/\W/g, '');
  const box = h('div', { class: 'b', part: 'box', 'data-cta-id': cta.id });
  const vars: Record<string, unknown> = {
    bg: style.background,
    fg: style.color,
    ac: style.accent,
    w: style.width,
  };
  for (const k in vars) {
    const v = cssValue(vars[k]);
    if (v) box.style.setProperty('--' + k, v);
  }

  let outer: HTMLElement = box;
  switch (cta.kind) {
    case 'modal':
      outer = h('div', { class: 'o' });
      outer.appendChild(box);
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-labelledby', uid + 'h');
      outer.addEventListener('click', (e) => e.target === outer && close());
      break;
    case 'bar':
      box.className = 'b bar ' + (style.position === 'top' ? 'top' : 'bottom');
      box.setAttribute('role', 'region');
      break;
    case 'slide_in':
      box.className = 'b s ' + (style.position === 'bottom_left' ? 'bl' : 'br');
      box.setAttribute('role', 'dialog');
      break;
    case 'inline':
      box.className = 'b i';
      break;
    default: {
      const never: never = cta.kind;
      throw new Error('Unknown CTA kind ' + String(never));
    }
  }
  if (options.preview && cta.kind !== 'inline') outer.classList.add('pv');
  if (cta.kind !== 'modal') box.setAttribute('aria-label', content.headline);
  box.addEventListener('keydown', (e) => e.key === 'Escape' && close());

  const x = h('button', { class: 'x', type: 'button', 'aria-label': 'Close' }, '\u00d7');
  x.addEventListener('click', () => close());
  const img = safeUrl(content.imageUrl);
  if (img) box.appendChild(h('img', { class: 'm', src: img, alt: '' }));
  box.appendChild(h('h2', { id: uid + 'h' }, content.headline));
  const text = h('div', { class: 't' });
  text.appendChild(sanitizeHtml(content.body || ''));
  box.appendChild(text);

  const form = content.form && content.form.fields.length ? content.form : undefined;
  let formEl: HTMLFormElement | undefined;
  const inputs: [CtaField, HTMLInputElement, HTMLElement][] = [];
  const submit = (): void => {
    if (!form || !formEl) return void callbacks.onSubmit?.({});
    const traits: Traits = {};
    let first: HTMLInputElement | undefined;
    for (const [f, input, msg] of inputs) {
      const value = input.value.trim();
      const err = validateField(f, value);
      msg.textContent = err || '';
      input.setAttribute('aria-invalid', String(!!err));
      if (err && !first) first = input;
      if (value) traits[f.name] = value;
    }
    if (first) return first.focus();
    callbacks.onSubmit?.(traits);
    formEl.replaceWith(h('p', { role: 'status' }, 'Thanks!'));
    formEl = undefined;
  };

  if (form) {
    formEl = h('form', { novalidate: '' });
    form.fields.forEach((f, i) => {
      const id = uid + 'f' + i;
      formEl!.appendChild(h('label', { for: id }, f.label + (f.required ? ' *' : '')));
      const input = h('input', {
        id,
        name: f.name,
        type: f.type === 'email' || f.type === 'tel' ? f.type : 'text',
        maxlength: String(MAX_FIELD_LENGTH),
        'aria-describedby': id + 'e',
        autocomplete: f.type === 'email' ? 'email' : f.type === 'tel' ? 'tel' : 'on',
      });
      if (f.required) input.setAttribute('aria-required', 'true');
      const msg = h('div', { class: 'e', id: id + 'e', 'aria-live': 'polite' });
      formEl!.appendChild(input);
      formEl!.appendChild(msg);
      inputs.push([f, input, msg]);
    });
    const label = form.submitLabel || 'Submit';
    formEl.appendChild(h('button', { class: 'n', type: 'submit' }, label));
    formEl.addEventListener('submit', (e) => {
      e.preventDefault();
      callbacks.onClick?.({ label, action: 'submit' });
      submit();
    });
    box.appendChild(formEl);
  }

  if (content.buttons.length) {
    const row = h('div', { class: 'a' });
    for (const b of content.buttons) {
      const url = b.action === 'url' ? safeUrl(b.url) : null;
      const el = url
        ? h('a', { class: 'n', href: url }, b.label)
        : h('button', { class: b.action === 'close' ? 'n c' : 'n', type: 'button' }, b.label);
      el.addEventListener('click', (e) => {
        if (callbacks.onClick?.(b) === false) e.preventDefault();
        if (b.action === 'close') close();
        else if (b.action === 'submit') submit();
      });
      row.appendChild(el);
    }
    box.appendChild(row);
  }
  box.appendChild(x);

  const styleEl = h('style', {}, CSS);
  root.appendChild(styleEl);
  root.appendChild(outer);
  if (cta.kind === 'modal' && (options.focus ?? !options.preview)) {
    (box.querySelector<HTMLElement>('input') || x).focus({ preventScroll: true });
  }

  let open = true;
  const destroy = (): void => {
    open = false;
    styleEl.remove();
    outer.remove();
  };
  function close(): void {
    if (!open) return;
    destroy();
    callbacks.onClose?.();
  }
  return { element: outer, destroy };
}
