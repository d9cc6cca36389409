import {
  ComparisonOperator,
  ConditionRule,
  PropertyFilter,
  RuleGroup,
  RuleValue,
  UrlRule,
} from '@nudgeflow/flow-schema';
import { EventSnapshot, VisitorSnapshot } from './engine-types';
import { getPath } from './json-value';

const DAY = 86_400_000;

export interface EvaluationContext {
  visitor: VisitorSnapshot;
  event: EventSnapshot | null;
  now: number;
}

/**
 * Wildcard match where `*` stands for any run of characters; everything else is literal. Each
 * literal piece is found left to right with indexOf, greedy without backtracking, which is correct
 * for `*`-only patterns and cannot blow up like a backtracking regex.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  const pieces = pattern.toLowerCase().split('*');
  const subject = text.toLowerCase();
  if (pieces.length === 1) return subject === pieces[0];
  const first = pieces[0] as string;
  const last = pieces[pieces.length - 1] as string;
  if (!subject.startsWith(first)) return false;
  if (subject.length - first.length < last.length || !subject.endsWith(last)) return false;
  let position = first.length;
  const limit = subject.length - last.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const piece = pieces[index] as string;
    if (piece === '') continue;
    const found = subject.indexOf(piece, position);
    if (found < 0 || found + piece.length > limit) return false;
    position = found + piece.length;
  }
  return true;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function scalarEquals(actual: unknown, expected: string | number | boolean): boolean {
  if (typeof expected === 'number') return asNumber(actual) === expected;
  if (typeof actual === 'number' && typeof expected === 'string') return asNumber(expected) === actual;
  const text = asText(actual);
  return text !== undefined && text === String(expected).toLowerCase();
}

function isPresent(actual: unknown): boolean {
  if (actual === undefined || actual === null || actual === '') return false;
  return !Array.isArray(actual) || actual.length > 0;
}

function positive(actual: unknown, operator: ComparisonOperator, expected: RuleValue | undefined): boolean {
  const single = Array.isArray(expected) ? undefined : expected;
  switch (operator) {
    case 'eq':
    case 'neq':
      return single !== undefined && scalarEquals(actual, single);
    case 'contains':
    case 'not_contains': {
      const text = asText(actual);
      return single !== undefined && text !== undefined && text.includes(String(single).toLowerCase());
    }
    case 'starts_with': {
      const text = asText(actual);
      return single !== undefined && text !== undefined && text.startsWith(String(single).toLowerCase());
    }
    case 'matches': {
      const text = asText(actual);
      return single !== undefined && text !== undefined && wildcardMatch(String(single), text);
    }
    case 'in':
      return Array.isArray(expected) && expected.some((item) => scalarEquals(actual, item));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const left = asNumber(actual);
      if (left === undefined || typeof single !== 'number') return false;
      if (operator === 'gt') return left > single;
      if (operator === 'gte') return left >= single;
      if (operator === 'lt') return left < single;
      return left <= single;
    }
    case 'exists':
    case 'not_exists':
      return isPresent(actual);
    default: {
      const _never: never = operator;
      return _never;
    }
  }
}

const NEGATED: ReadonlySet<ComparisonOperator> = new Set(['neq', 'not_contains', 'not_exists']);

/**
 * Compares one value. Text comparisons ignore case; numbers given as strings compare as numbers.
 * For a list (tags, array properties) `contains`/`eq`/`in`... hold when any item matches, and the
 * negated operators when none does. Missing values satisfy only the negated operators.
 */
export function compareValue(actual: unknown, operator: ComparisonOperator, expected?: RuleValue): boolean {
  if (operator === 'exists' || operator === 'not_exists')
    return positive(actual, operator, expected) !== NEGATED.has(operator);
  if (Array.isArray(actual)) {
    const itemOperator = operator === 'contains' ? 'eq' : operator === 'not_contains' ? 'neq' : operator;
    const any = actual.some((item) => positive(item, itemOperator, expected));
    return NEGATED.has(operator) ? !any : any;
  }
  const result = positive(actual, operator, expected);
  return NEGATED.has(operator) ? !result : result;
}

export function matchesFilters(filters: readonly PropertyFilter[], properties: unknown): boolean {
  return filters.every((filter) =>
    compareValue(getPath(properties, filter.property), filter.operator, filter.value),
  );
}

function pageUrl(context: EvaluationContext): string | undefined {
  const fromEvent = getPath(context.event?.properties, 'url');
  return context.visitor.pageUrl ?? (typeof fromEvent === 'string' ? fromEvent : undefined);
}

export function ruleSubject(rule: ConditionRule, context: EvaluationContext): unknown {
  const { visitor } = context;
  switch (rule.source) {
    case 'trait':
      return getPath(visitor.traits, rule.key ?? '');
    case 'event_property':
      return getPath(context.event?.properties, rule.key ?? '');
    case 'page_url':
      return pageUrl(context);
    case 'device':
      return visitor.device;
    case 'utm':
      return getPath(visitor.utm, rule.key ?? '');
    case 'visit_count':
      return visitor.visitCount;
    case 'days_since_first_seen': {
      const first =
        typeof visitor.firstSeenAt === 'number' ? visitor.firstSeenAt : Date.parse(visitor.firstSeenAt ?? '');
      return Number.isFinite(first) ? Math.floor((context.now - first) / DAY) : undefined;
    }
    case 'tags':
      return visitor.tags ?? [];
    default: {
      const _never: never = rule.source;
      return _never;
    }
  }
}

export function evaluateRuleGroup(group: RuleGroup, context: EvaluationContext): boolean {
  const check = (rule: ConditionRule | RuleGroup): boolean =>
    rule.kind === 'group'
      ? evaluateRuleGroup(rule, context)
      : compareValue(ruleSubject(rule, context), rule.operator, rule.value);
  return group.combinator === 'and' ? group.rules.every(check) : group.rules.some(check);
}

export interface ParsedUrl {
  /** scheme://host, lower-cased; empty for a relative URL. */
  origin: string;
  path: string;
  query: Record<string, string>;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

const parsedUrls = new Map<string, ParsedUrl>();

/**
 * Origin (lower-cased), path and first value of each query parameter. Answers are remembered (bounded):
 * targeting asks for the same page URL once per rule and CTA of a decision. The result is frozen, so a
 * caller cannot change what the next one reads.
 */
export function parseUrl(url: string): ParsedUrl {
  const known = parsedUrls.get(url);
  if (known) return known;
  const parsed = parseUrlUncached(url);
  Object.freeze(parsed.query);
  if (parsedUrls.size >= 2000) parsedUrls.clear();
  parsedUrls.set(url, Object.freeze(parsed));
  return parsed;
}

function parseUrlUncached(url: string): ParsedUrl {
  const withoutHash = url.split('#', 1)[0] as string;
  const queryStart = withoutHash.indexOf('?');
  const base = queryStart >= 0 ? withoutHash.slice(0, queryStart) : withoutHash;
  const queryText = queryStart >= 0 ? withoutHash.slice(queryStart + 1) : '';
  const schemeEnd = base.indexOf('://');
  let origin = '';
  let path = base;
  if (schemeEnd > 0) {
    const pathStart = base.indexOf('/', schemeEnd + 3);
    origin = (pathStart >= 0 ? base.slice(0, pathStart) : base).toLowerCase();
    path = pathStart >= 0 ? base.slice(pathStart) : '/';
  }
  const query: Record<string, string> = {};
  for (const pair of queryText.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decode(equals >= 0 ? pair.slice(0, equals) : pair);
    if (key !== '' && !Object.prototype.hasOwnProperty.call(query, key)) {
      Object.defineProperty(query, key, {
        value: decode(equals >= 0 ? pair.slice(equals + 1) : ''),
        enumerable: true,
      });
    }
  }
  return { origin, path: path === '' ? '/' : path, query };
}

function trimSlash(text: string): string {
  return text.length > 1 && text.endsWith('/') ? text.slice(0, -1) : text;
}

/** `path` rules look at the path only; `url` rules at scheme://host/path. Query and hash are ignored. */
export function matchesUrlRule(rule: UrlRule, url: string): boolean {
  const parsed = parseUrl(url);
  const subject = (rule.target === 'path' ? parsed.path : parsed.origin + parsed.path).toLowerCase();
  const value = rule.value.toLowerCase();
  switch (rule.operator) {
    case 'equals': {
      const expected = parseUrl(value);
      const normalised = rule.target === 'path' ? expected.path : expected.origin + expected.path;
      return trimSlash(subject) === trimSlash(normalised);
    }
    case 'contains':
      return subject.includes(value);
    case 'starts_with':
      return subject.startsWith(value);
    case 'wildcard':
      return wildcardMatch(value, subject);
    default: {
      const _never: never = rule.operator;
      return _never;
    }
  }
}
