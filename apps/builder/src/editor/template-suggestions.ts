import { isTemplateField, TEMPLATE_VARIABLES } from '@nudgeflow/flow-schema';

export interface VariableSuggestion {
  /** What is inserted, e.g. `{{visitor.traits.KEY}}`. */
  token: string;
  label: string;
  description: string;
}

/** The catalogue of `libs/flow-schema` as insertable tokens; an open path gets a `KEY` to replace. */
export const VARIABLE_SUGGESTIONS: readonly VariableSuggestion[] = TEMPLATE_VARIABLES.map((v) => {
  const path = v.path.endsWith('.*') ? `${v.path.slice(0, -2)}.KEY` : v.path;
  return { token: `{{${path}}}`, label: path, description: v.description };
});

/** Whether the form field `name` of a node of `type` is a template (gets the variable list). */
export const offersVariables = (type: string | undefined, name: string): boolean =>
  !!type && isTemplateField(type, name);

/**
 * The field's text with `token` inserted at the caret (`at`, a selection start), or appended when
 * the caret is unknown. Returns the new text and where the caret goes.
 */
export function insertToken(
  value: unknown,
  token: string,
  at?: number | null,
): { text: string; caret: number } {
  const text = typeof value === 'string' ? value : '';
  const pos = at === undefined || at === null || at < 0 || at > text.length ? text.length : at;
  return { text: text.slice(0, pos) + token + text.slice(pos), caret: pos + token.length };
}
