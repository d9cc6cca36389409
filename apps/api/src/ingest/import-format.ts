/** CSV rows for the bulk import (pure): RFC 4180 quoting; `properties.x` / `traits.x` / `context.x` columns nest. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const NESTED = ['properties', 'traits', 'context'];

export function rowToEvent(header: string[], cells: string[]): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  header.forEach((h, i) => {
    const v = cells[i];
    if (v === undefined || v === '') return;
    const dot = h.indexOf('.');
    const top = dot > 0 ? h.slice(0, dot) : h;
    if (dot > 0 && NESTED.includes(top)) {
      const obj = (e[top] ??= {}) as Record<string, unknown>;
      obj[h.slice(dot + 1)] = v;
    } else if (NESTED.includes(h)) {
      e[h] = JSON.parse(v);
    } else {
      e[h] = v;
    }
  });
  return e;
}
