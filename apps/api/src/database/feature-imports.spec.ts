import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * Dependencies between feature folders run one way (CONTRIBUTING.md): when a feature needs an answer
 * from one that depends on it, it declares a port that the other binds where the modules are put
 * together (`SiteDirectory`, `VisitorEventSource`, `FlowLiveRuns`, `FoldHandoffSink`...). This lists
 * every pair of top-level folders of apps/api/src whose files import each other.
 */
const ALLOWED_PAIRS = new Set([
  // The demo seed (a set-up tool) writes a tenant with the sites feature's helpers and the demo's content.
  'database<->demo',
  'database<->sites',
]);

const SRC = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `from` folder → the folders it imports, with one importing file each. */
function folderImports(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files(SRC)) {
    const rel = relative(SRC, file).split('\\').join('/');
    if (!rel.includes('/')) continue; // main.ts, app.module.ts...: where the modules are put together
    const from = rel.split('/')[0];
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const target = normalize(join(dirname(rel), m[1]))
        .split('\\')
        .join('/');
      if (!target.includes('/')) continue;
      const to = target.split('/')[0];
      if (to === from) continue;
      const out = edges.get(from) ?? new Map<string, string>();
      if (!out.has(to)) out.set(to, rel);
      edges.set(from, out);
    }
  }
  return edges;
}

describe('feature folder imports', () => {
  it('finds the imports between folders', () => {
    const edges = folderImports();
    expect(edges.get('runtime')?.has('flows')).toBe(true);
    expect(edges.get('ingest')?.has('visitors')).toBe(true);
  });

  it('has no two folders importing each other (but the listed pairs)', () => {
    const edges = folderImports();
    const both: Record<string, string[]> = {};
    for (const [a, out] of edges)
      for (const [b, file] of out) {
        const back = edges.get(b)?.get(a);
        const pair = [a, b].sort().join('<->');
        if (back && a < b && !ALLOWED_PAIRS.has(pair)) both[pair] = [file, back];
      }
    expect(both).toEqual({});
  });
});
