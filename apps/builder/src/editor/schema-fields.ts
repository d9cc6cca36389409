/**
 * Reads a zod 4 schema into field descriptions for the generated node form, plus the helpers the
 * form needs (default values for new items, turning form text back into typed values). Only the
 * constructs the node configs use are handled; anything else falls back to a JSON text field.
 */

interface ZodDef {
  type: string;
  [key: string]: unknown;
}
export interface ZodLike {
  _zod: { def: ZodDef };
  minLength?: number | null;
  maxLength?: number | null;
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

export type FieldSpec =
  | { kind: 'string'; optional: boolean; multiline: boolean; maxLength?: number }
  | { kind: 'number'; optional: boolean; integer: boolean; min?: number; max?: number }
  | { kind: 'boolean'; optional: boolean }
  | { kind: 'enum'; optional: boolean; options: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'object'; optional: boolean; fields: { key: string; schema: ZodLike }[] }
  | { kind: 'array'; optional: boolean; element: ZodLike; max?: number; min?: number }
  /** A union of objects told apart by one literal key (`mode`, `kind`). */
  | {
      kind: 'variant';
      optional: boolean;
      discriminator: string;
      options: { value: string; schema: ZodLike }[];
    }
  /** A union of scalars and lists (rule values): edited as text. */
  | { kind: 'scalar'; optional: boolean }
  | { kind: 'json'; optional: boolean };

const def = (schema: ZodLike): ZodDef => schema._zod.def;

/** Peels optional/default/nullable/readonly/lazy/pipe wrappers. */
export function unwrap(schema: ZodLike): { schema: ZodLike; optional: boolean; defaultValue?: unknown } {
  let current = schema;
  let optional = false;
  let defaultValue: unknown;
  for (let depth = 0; depth < 20; depth++) {
    const d = def(current);
    if (d.type === 'optional' || d.type === 'nullable') {
      optional = true;
      current = d.innerType as ZodLike;
    } else if (d.type === 'default' || d.type === 'prefault') {
      optional = true;
      defaultValue ??= cloneDefault(d.defaultValue);
      current = d.innerType as ZodLike;
    } else if (d.type === 'readonly' || d.type === 'catch' || d.type === 'nonoptional') {
      current = d.innerType as ZodLike;
    } else if (d.type === 'lazy') {
      current = (d.getter as () => ZodLike)();
    } else if (d.type === 'pipe') {
      current = d.in as ZodLike;
    } else break;
  }
  return { schema: current, optional, defaultValue };
}

export function describe(schema: ZodLike): FieldSpec {
  const { schema: inner, optional } = unwrap(schema);
  const d = def(inner);
  switch (d.type) {
    case 'string': {
      const maxLength = inner.maxLength ?? undefined;
      return { kind: 'string', optional, multiline: maxLength === undefined || maxLength > 2000, maxLength };
    }
    case 'number':
    case 'int':
      return {
        kind: 'number',
        optional,
        integer: Boolean(inner.isInt),
        min: finite(inner.minValue),
        max: finite(inner.maxValue),
      };
    case 'boolean':
      return { kind: 'boolean', optional };
    case 'enum':
      return {
        kind: 'enum',
        optional,
        options: Object.values(d.entries as Record<string, string>).map(String),
      };
    case 'literal':
      return { kind: 'literal', value: (d.values as unknown[])[0] };
    case 'object': {
      const shape = d.shape as Record<string, ZodLike>;
      return {
        kind: 'object',
        optional,
        fields: Object.keys(shape).map((key) => ({ key, schema: shape[key] as ZodLike })),
      };
    }
    case 'array': {
      const checks =
        (d.checks as { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[]) ?? [];
      const max = checks.find((check) => check._zod.def.check === 'max_length')?._zod.def.maximum;
      const min = checks.find((check) => check._zod.def.check === 'min_length')?._zod.def.minimum;
      return { kind: 'array', optional, element: d.element as ZodLike, max, min };
    }
    case 'union': {
      const options = (d.options as ZodLike[]).map((option) => unwrap(option).schema);
      const discriminator = (d.discriminator as string | undefined) ?? commonLiteralKey(options);
      if (discriminator) {
        return {
          kind: 'variant',
          optional,
          discriminator,
          options: options.map((option) => ({
            value: String(literalOf(option, discriminator)),
            schema: option,
          })),
        };
      }
      if (options.every(isScalarish)) {
        return { kind: 'scalar', optional };
      }
      return { kind: 'json', optional };
    }
    default:
      return { kind: 'json', optional };
  }
}

function isScalarish(schema: ZodLike): boolean {
  const d = def(unwrap(schema).schema);
  if (d.type === 'union') return (d.options as ZodLike[]).every(isScalarish);
  return ['string', 'number', 'boolean', 'array'].includes(d.type);
}

function finite(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER
    ? value
    : undefined;
}

function literalOf(schema: ZodLike, key: string): unknown {
  const d = def(schema);
  if (d.type !== 'object') return undefined;
  const field = (d.shape as Record<string, ZodLike>)[key];
  if (!field) return undefined;
  const inner = unwrap(field).schema;
  return def(inner).type === 'literal' ? (def(inner).values as unknown[])[0] : undefined;
}

function commonLiteralKey(options: ZodLike[]): string | undefined {
  if (options.length < 2 || !options.every((option) => def(option).type === 'object')) return undefined;
  const keys = Object.keys(def(options[0] as ZodLike).shape as Record<string, unknown>);
  return keys.find((key) => {
    const values = options.map((option) => literalOf(option, key));
    return values.every((value) => value !== undefined) && new Set(values).size === values.length;
  });
}

/** A fresh value for a new array item or a newly chosen variant. */
export function defaultValueFor(schema: ZodLike): unknown {
  const { schema: inner, optional, defaultValue } = unwrap(schema);
  if (defaultValue !== undefined) return defaultValue;
  if (optional) return undefined;
  const spec = describe(inner);
  switch (spec.kind) {
    case 'string':
      return '';
    case 'number':
      return spec.min !== undefined && spec.min > 0 ? spec.min : spec.integer && spec.min === 0 ? 0 : 1;
    case 'boolean':
      return false;
    case 'enum':
      return spec.options[0];
    case 'literal':
      return spec.value;
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const field of spec.fields) {
        const fieldDefault = defaultValueFor(field.schema);
        if (fieldDefault !== undefined) value[field.key] = fieldDefault;
      }
      return value;
    }
    case 'array':
      return Array.from({ length: spec.min ?? 0 }, () => defaultValueFor(spec.element));
    case 'variant':
      return spec.options[0] ? defaultValueFor(spec.options[0].schema) : undefined;
    case 'scalar':
      return '';
    case 'json':
      return undefined;
    default: {
      const unknownSpec: never = spec;
      return unknownSpec;
    }
  }
}

/**
 * Turns form values into what the schema expects: empty optional text becomes absent, number inputs
 * left blank become absent (or stay NaN for the schema to report), rule values typed as text get types.
 */
export function cleanValue(schema: ZodLike, value: unknown): unknown {
  const spec = describe(schema);
  const blank =
    value === undefined ||
    value === null ||
    value === '' ||
    (typeof value === 'number' && Number.isNaN(value));
  if (blank && 'optional' in spec && spec.optional) return undefined;
  switch (spec.kind) {
    case 'number':
      if (typeof value === 'string') return value.trim() === '' ? undefined : Number(value);
      return value;
    case 'object': {
      if (!isRecord(value)) return value;
      const result: Record<string, unknown> = {};
      for (const field of spec.fields) {
        const cleaned = cleanValue(field.schema, value[field.key]);
        if (cleaned !== undefined) result[field.key] = cleaned;
      }
      return result;
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => cleanValue(spec.element, item)) : value;
    case 'variant': {
      if (!isRecord(value)) return value;
      const option = spec.options.find((candidate) => candidate.value === String(value[spec.discriminator]));
      return option ? cleanValue(option.schema, value) : value;
    }
    case 'scalar':
      return typeof value === 'string' ? parseScalar(value) : value;
    default:
      return value;
  }
}

/** `42` → number, `true`/`false` → boolean, `a, b` → list, anything else stays text. */
export function parseScalar(text: string): string | number | boolean | Array<string | number> | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.includes(',')) {
    return trimmed
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => (isNumeric(part) ? Number(part) : part));
  }
  if (isNumeric(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return text;
}

export function formatScalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

const isNumeric = (text: string) => /^-?\d+(\.\d+)?$/.test(text);

/** "bodyTemplate" → "Body template", "utm" → "UTM". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  const fixed = words.replace(/\b(utm|url|id|cta|html|json)\b/g, (word) => word.toUpperCase());
  return fixed.charAt(0).toUpperCase() + fixed.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cloneDefault(value: unknown): unknown {
  const raw = typeof value === 'function' ? (value as () => unknown)() : value;
  return raw === undefined ? undefined : JSON.parse(JSON.stringify(raw));
}
