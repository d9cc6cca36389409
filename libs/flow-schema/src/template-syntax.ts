import Mustache from 'mustache';

/**
 * Templates use mustache syntax, but only its logic-less subset: values, sections and inverted
 * sections. We parse with mustache and render with our own walker (libs/engine) so that no view
 * value is ever called as a function and lookups never reach prototypes.
 */
export type TemplateNode =
  | { kind: 'text'; text: string }
  /** `inJsonString` is set for JSON templates: true when the value sits inside a JSON string literal. */
  | { kind: 'value'; name: string; inJsonString: boolean }
  | { kind: 'section'; name: string; inverted: boolean; children: TemplateNode[] };

export type TemplateMode = 'text' | 'html' | 'json';

export type ParsedTemplate = { ok: true; nodes: TemplateNode[] } | { ok: false; message: string };

type MustacheToken = ReturnType<typeof Mustache.parse>[number];

export function parseTemplate(template: string, mode: TemplateMode = 'text'): ParsedTemplate {
  let tokens: MustacheToken[];
  try {
    tokens = Mustache.parse(template);
  } catch (error) {
    return { ok: false, message: `Template syntax error: ${(error as Error).message}` };
  }
  const converted = convertTokens(tokens);
  if (!converted.ok) return converted;
  if (mode !== 'json') return converted;
  const state = { inString: false };
  const message = markJsonContext(converted.nodes, state);
  if (message) return { ok: false, message };
  if (state.inString) return { ok: false, message: 'JSON template has an unterminated string' };
  const sample = renderSample(converted.nodes);
  try {
    JSON.parse(sample);
  } catch {
    return { ok: false, message: 'JSON template does not produce valid JSON' };
  }
  return converted;
}

function convertTokens(tokens: MustacheToken[]): ParsedTemplate {
  const nodes: TemplateNode[] = [];
  for (const token of tokens) {
    const [type, value] = token;
    switch (type) {
      case 'text':
        nodes.push({ kind: 'text', text: value });
        break;
      case 'name':
        nodes.push({ kind: 'value', name: value, inJsonString: false });
        break;
      case '&':
        return { ok: false, message: `Unescaped output {{{${value}}}} / {{&${value}}} is not allowed` };
      case '#':
      case '^': {
        const children = convertTokens((token[4] as MustacheToken[] | undefined) ?? []);
        if (!children.ok) return children;
        nodes.push({ kind: 'section', name: value, inverted: type === '^', children: children.nodes });
        break;
      }
      case '>':
        return { ok: false, message: `Partials ({{>${value}}}) are not supported` };
      default:
        // Comments and delimiter changes render nothing.
        break;
    }
  }
  return { ok: true, nodes };
}

function markJsonContext(nodes: TemplateNode[], state: { inString: boolean }): string | null {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text': {
        let escaped = false;
        for (const char of node.text) {
          if (!state.inString) {
            if (char === '"') state.inString = true;
          } else if (escaped) {
            escaped = false;
          } else if (char === '\\') {
            escaped = true;
          } else if (char === '"') {
            state.inString = false;
          }
        }
        if (escaped) return 'A JSON escape must not be split by a placeholder';
        break;
      }
      case 'value':
        node.inJsonString = state.inString;
        break;
      case 'section': {
        const before = state.inString;
        const message = markJsonContext(node.children, state);
        if (message) return message;
        if (state.inString !== before) return `Section "${node.name}" must not open or close a JSON string`;
        break;
      }
      default: {
        const _never: never = node;
        return _never;
      }
    }
  }
  return null;
}

function renderSample(nodes: TemplateNode[]): string {
  return nodes
    .map((node) => {
      switch (node.kind) {
        case 'text':
          return node.text;
        case 'value':
          return node.inJsonString ? 'x' : '0';
        case 'section':
          return renderSample(node.children);
        default: {
          const _never: never = node;
          return _never;
        }
      }
    })
    .join('');
}
