import { TemplateMode, TemplateNode, parseTemplate } from '@nudgeflow/flow-schema';
import { JsonValue } from './engine-types';
import { hasOwn, toJsonValue } from './json-value';

export const MAX_TEMPLATE_OUTPUT = 100_000;
const CACHE_LIMIT = 500;

export type RenderResult = { ok: true; output: string } | { ok: false; message: string };
export type JsonRenderResult = { ok: true; value: JsonValue } | { ok: false; message: string };

/** Parsed templates per mode (no key concatenation: CTA bodies are long and rendered on every page view). */
const parsed = new Map<TemplateMode, Map<string, TemplateNode[] | string>>();

function parseCached(template: string, mode: TemplateMode): TemplateNode[] | string {
  let byTemplate = parsed.get(mode);
  if (!byTemplate) parsed.set(mode, (byTemplate = new Map()));
  let entry = byTemplate.get(template);
  if (entry === undefined) {
    const result = parseTemplate(template, mode);
    entry = result.ok ? result.nodes : result.message;
    if (byTemplate.size >= CACHE_LIMIT) byTemplate.clear();
    byTemplate.set(template, entry);
  }
  return entry;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '/': '&#x2F;',
  '`': '&#x60;',
  '=': '&#x3D;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=/]/g, (char) => HTML_ESCAPES[char] ?? char);
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(toJsonValue(value) ?? null);
}

function formatValue(value: unknown, mode: TemplateMode, inJsonString: boolean): string {
  switch (mode) {
    case 'text':
      return toText(value);
    case 'html':
      return escapeHtml(toText(value));
    case 'json':
      return inJsonString
        ? JSON.stringify(toText(value)).slice(1, -1)
        : JSON.stringify(toJsonValue(value) ?? null);
    default: {
      const _never: never = mode;
      return _never;
    }
  }
}

/** Mustache-style lookup through own data properties only: the first context holding the head wins. */
function lookup(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const [head, ...rest] = name.split('.') as [string, ...string[]];
  for (let index = stack.length - 1; index >= 0; index -= 1) {
    const context = stack[index];
    if (context === null || typeof context !== 'object' || !hasOwn(context, head)) continue;
    let value: unknown = (context as Record<string, unknown>)[head];
    for (const segment of rest) {
      if (value === null || typeof value !== 'object' || !hasOwn(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
    return value;
  }
  return undefined;
}

function isFalsy(value: unknown): boolean {
  return !value || (Array.isArray(value) && value.length === 0);
}

class OutputTooLarge extends Error {}

function renderNodes(
  nodes: readonly TemplateNode[],
  stack: unknown[],
  mode: TemplateMode,
  out: string[],
  size: { n: number },
) {
  const push = (text: string) => {
    size.n += text.length;
    if (size.n > MAX_TEMPLATE_OUTPUT) throw new OutputTooLarge();
    out.push(text);
  };
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        push(node.text);
        break;
      case 'value':
        push(formatValue(lookup(stack, node.name), mode, node.inJsonString));
        break;
      case 'section': {
        const value = lookup(stack, node.name);
        if (node.inverted) {
          if (isFalsy(value)) renderNodes(node.children, stack, mode, out, size);
        } else if (Array.isArray(value)) {
          for (const item of value) renderNodes(node.children, [...stack, item], mode, out, size);
        } else if (!isFalsy(value)) {
          renderNodes(node.children, typeof value === 'object' ? [...stack, value] : stack, mode, out, size);
        }
        break;
      }
      default: {
        const _never: never = node;
        return _never;
      }
    }
  }
}

/**
 * Renders a logic-less template against plain data. Values are looked up, never called, so no text
 * from a template or from visitor data is ever run as code. `html` escapes values; `text` does not.
 */
export function renderTemplate(
  template: string,
  mode: Exclude<TemplateMode, 'json'>,
  view: unknown,
): RenderResult {
  return render(template, mode, view);
}

function render(template: string, mode: TemplateMode, view: unknown): RenderResult {
  const nodes = parseCached(template, mode);
  if (typeof nodes === 'string') return { ok: false, message: nodes };
  // A template without placeholders (most CTA copy) is its own output.
  if (nodes.length === 0) return { ok: true, output: '' };
  if (nodes.length === 1 && nodes[0].kind === 'text' && nodes[0].text.length <= MAX_TEMPLATE_OUTPUT)
    return { ok: true, output: nodes[0].text };
  const out: string[] = [];
  try {
    renderNodes(nodes, [view], mode, out, { n: 0 });
  } catch (error) {
    if (error instanceof OutputTooLarge) {
      return { ok: false, message: `Rendered template exceeds ${MAX_TEMPLATE_OUTPUT} characters` };
    }
    throw error;
  }
  return { ok: true, output: out.join('') };
}

/**
 * Renders a JSON template: a placeholder inside a JSON string is JSON-escaped, one outside a string
 * becomes a JSON value (a missing value becomes null). The result must parse as JSON.
 */
export function renderJsonTemplate(template: string, view: unknown): JsonRenderResult {
  const rendered = render(template, 'json', view);
  if (!rendered.ok) return rendered;
  try {
    return { ok: true, value: JSON.parse(rendered.output) as JsonValue };
  } catch (error) {
    return { ok: false, message: `Rendered body is not valid JSON: ${(error as Error).message}` };
  }
}
