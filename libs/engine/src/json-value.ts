import { JsonObject, JsonValue } from './engine-types';

const MAX_DEPTH = 32;

/** Copies plain data into a JSON-safe value: drops functions/undefined, non-finite numbers become null. */
export function toJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'object': {
      if (depth >= MAX_DEPTH) return null;
      if (Array.isArray(value)) return value.map((item) => toJsonValue(item, depth + 1) ?? null);
      return toJsonObject(value as Record<string, unknown>, depth);
    }
    default:
      return undefined;
  }
}

export function toJsonObject(value: Record<string, unknown> | undefined, depth = 0): JsonObject {
  const result: JsonObject = {};
  if (!value || typeof value !== 'object') return result;
  for (const [key, item] of Object.entries(value)) {
    const json = toJsonValue(item, depth + 1);
    // defineProperty keeps a "__proto__" key as data instead of changing the prototype.
    if (json !== undefined)
      Object.defineProperty(result, key, {
        value: json,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return result;
}

export function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** Resolves a dot path through own properties only, so `constructor` or `__proto__` never resolve. */
export function getPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
