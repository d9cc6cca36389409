/**
 * A tiny, logic-less JSON path: `type`, `$.data.customer.id`, `items[0].sku`. No wildcards, no
 * filters, no evaluation — just property and index steps.
 */
export const JSON_PATH_RE = /^(\$\.?)?[A-Za-z_$][\w$-]*(\[\d+\]|\.[A-Za-z_$][\w$-]*)*$/;

export function readPath(value: unknown, path: string): unknown {
  const steps = path
    .replace(/^\$\.?/, '')
    .split(/\.|(?=\[)/)
    .filter(Boolean);
  let cur = value;
  for (const step of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const index = /^\[(\d+)\]$/.exec(step);
    if (index) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(index[1])];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

/** A scalar at the path as a non-empty string (numbers become strings), else undefined. */
export function readString(value: unknown, path: string): string | undefined {
  const v = readPath(value, path);
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
