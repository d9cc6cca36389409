import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Each table belongs to one feature folder; every source file (repositories, SQL fragments, and any
 * other file that holds SQL) names only its own feature's tables. Another feature's rows are read through the
 * owner's interface: its repository (through its module's exports, or a port the owner binds when it
 * depends on the reader: `flows/flow-activity.ts`), or a fragment it lends to a statement that must
 * stay one round trip (`visitors/visitor.sql.ts`, `auth/membership.sql.ts`, `flows/flow.sql.ts`; the
 * analytics rollup pass aggregates events, the runtime ledger and sites in SQL through
 * `ingest/events.sql.ts`, `runtime/runs.sql.ts`, `sites/site.sql.ts` and `sites/live-sites.ts`).
 */
const OWNER: Record<string, string> = {
  accounts: 'auth',
  users: 'auth',
  memberships: 'auth',
  user_sessions: 'auth',
  user_session_retired_tokens: 'auth',
  sites: 'sites',
  site_keys: 'sites',
  account_sites: 'sites',
  events: 'ingest',
  event_outbox: 'ingest',
  event_dedupe: 'ingest',
  event_dedupe_recent: 'ingest',
  event_dedupe_sealed: 'ingest',
  event_dedupe_seals: 'ingest',
  visitors: 'visitors',
  visitor_identities: 'visitors',
  flows: 'flows',
  flow_versions: 'flows',
  runs: 'runtime',
  run_steps: 'runtime',
  run_inbox: 'runtime',
  run_entries: 'runtime',
  trigger_handoffs: 'runtime',
  ctas: 'onsite',
  cta_versions: 'onsite',
  onsite_messages: 'onsite',
  webhook_endpoints: 'webhooks',
  webhook_messages: 'webhooks',
  webhook_attempts: 'webhooks',
  webhook_notices: 'webhooks',
  inbound_hooks: 'webhooks',
  inbound_hook_receipts: 'webhooks',
  email_senders: 'email',
  sms_providers: 'sms',
  backtests: 'backtest',
};
const ownerOf = (table: string): string | undefined =>
  OWNER[table] ?? (table.startsWith('analytics_') ? 'analytics' : undefined);

/**
 * The cross-feature reads that remain, each with why it stays in its statement: `file → tables`.
 * Keep this short; a new entry needs a reason a reviewer accepts.
 */
const ALLOWED: Record<string, { tables: string[]; why: string }> = {
  // A set-up tool, not a feature: the demo seed creates the demo tenant (account, user, membership,
  // site and keys) in one transaction before any feature runs.
  'database/seed.ts': {
    tables: ['account_sites', 'accounts', 'memberships', 'site_keys', 'sites', 'users'],
    why: 'demo seed',
  },
};

const SRC = join(__dirname, '..');

function files(dir: string, match: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' ? [] : files(path, match);
    return match(e.name) ? [path] : [];
  });
}

/** Tables a migration creates. */
function migratedTables(): Set<string> {
  const dir = join(SRC, 'database', 'migrations');
  const tables = new Set<string>();
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const m of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/g)) tables.add(m[1]);
  }
  return tables;
}

/** Known tables a file's SQL names after FROM, JOIN, INTO, UPDATE, USING or TABLE (comments left out). */
function tablesNamed(source: string, known: Set<string>): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const named = new Set<string>();
  for (const m of code.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|USING|TABLE)\s+([a-z_][a-z0-9_]*)/g))
    if (known.has(m[1])) named.add(m[1]);
  return [...named].sort();
}

describe('table ownership', () => {
  const known = migratedTables();
  const sqlFiles = files(SRC, (n) => n.endsWith('.ts') && !n.endsWith('.spec.ts'));

  it('gives every migrated table one owner, and owns only tables that exist', () => {
    expect([...known].filter((t) => !ownerOf(t))).toEqual([]);
    expect(Object.keys(OWNER).filter((t) => !known.has(t))).toEqual([]);
  });

  it('finds the tables a statement names, not CTEs, aliases or functions', () => {
    const source = [
      '/** Reads FROM sites (a comment). */',
      '// JOIN flows (a comment too)',
      'const sql = `WITH moved AS (UPDATE runs r SET x = 1 FROM t WHERE r.id = t.id RETURNING r.id)',
      '  INSERT INTO run_steps AS s SELECT * FROM moved m JOIN unnest($1::uuid[]) u ON true',
      '  LEFT JOIN visitors v ON v.id = m.id;',
      '  DELETE FROM run_inbox i USING unnest($2) d`;',
    ].join('\n');
    expect(tablesNamed(source, known)).toEqual(['run_inbox', 'run_steps', 'runs', 'visitors']);
  });

  it("lets each source file name only its own feature's tables (and the listed reads)", () => {
    expect(sqlFiles.length).toBeGreaterThan(20);
    const foreign: Record<string, string[]> = {};
    for (const file of sqlFiles) {
      const path = relative(SRC, file).split('\\').join('/');
      const feature = path.split('/')[0];
      const allowed = ALLOWED[path]?.tables ?? [];
      const others = tablesNamed(readFileSync(file, 'utf8'), known).filter(
        (t) => ownerOf(t) !== feature && !allowed.includes(t),
      );
      if (others.length) foreign[path] = others;
    }
    expect(foreign).toEqual({});
  });

  it('lists no allowance that is no longer needed', () => {
    const stale: Record<string, string[]> = {};
    for (const [path, { tables }] of Object.entries(ALLOWED)) {
      const named = tablesNamed(readFileSync(join(SRC, path), 'utf8'), known);
      const unused = tables.filter((t) => !named.includes(t));
      if (unused.length) stale[path] = unused;
    }
    expect(stale).toEqual({});
  });
});
