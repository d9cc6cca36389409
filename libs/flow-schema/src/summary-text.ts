import type { ConditionRule, PropertyFilter, RuleGroup } from './rule.schema';

/**
 * Small wording helpers for the registry's one-line node summaries. They take drafts whose config
 * may not parse yet (the builder shows summaries while a form is half filled), so lists may be missing.
 */
export function filtersText(list: readonly PropertyFilter[] | undefined): string {
  return list && list.length ? ` (${list.length} filter${list.length > 1 ? 's' : ''})` : '';
}

export function ruleGroupText(value: RuleGroup): string {
  const rules = value.rules ?? [];
  if (rules.length === 0) return 'No rules';
  const first = rules[0] as ConditionRule | RuleGroup;
  const text = first.kind === 'group' ? `(${ruleGroupText(first)})` : ruleText(first);
  return rules.length > 1 ? `${text} ${value.combinator.toUpperCase()} +${rules.length - 1}` : text;
}

function ruleText(value: ConditionRule): string {
  const subject = value.key ? `${value.source}.${value.key}` : value.source;
  const operand =
    value.value === undefined
      ? ''
      : ` ${Array.isArray(value.value) ? value.value.join('|') : String(value.value)}`;
  return `${subject} ${value.operator}${operand}`;
}
