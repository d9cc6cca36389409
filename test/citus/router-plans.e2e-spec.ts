import { Client } from 'pg';
import { ISOLATED_ENDPOINTS } from '../support/isolation-table';
import { CapturedStatement, PgCapture, startPgCapture } from '../support/pg-capture';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';

/**
 * Every statement the API sends while a marketer uses each tenant route (sites, keys, members, flows,
 * CTAs, webhooks, runs, visitors, reports: the whole isolation table) and while the embed script asks
 * `/v1/decide`, captured on the wire and EXPLAINed on the coordinator with the values the API sent:
 * each one that reaches a distributed table must be a router plan (one task, one shard).
 */
describe('per-tenant statements are router plans', () => {
  let capture: PgCapture;
  let t: TestApi;
  let db: Client;
  const seen = new Map<string, CapturedStatement>();

  beforeAll(async () => {
    const coordinator = new URL(TEST_DATABASE_URL);
    capture = await startPgCapture({ host: coordinator.hostname, port: Number(coordinator.port || 5432) });
    const viaProxy = Object.assign(new URL(TEST_DATABASE_URL), { host: `127.0.0.1:${capture.port}` });
    t = await startApi({ DATABASE_URL: viaProxy.toString(), LOG_LEVEL: 'error' });
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();

    const owner = await createTenant(t, 'router');
    await createTenant(t, 'neighbour');
    const failures: string[] = [];
    // One tenant walks the whole table in order (its last route deletes the site).
    const tenant: Tenant = await createTenant(t, 'router-walk');
    for (const ep of ISOLATED_ENDPOINTS) {
      await ep.setup?.(t, tenant);
      const res = await t.request(ep.path(tenant), {
        method: ep.method,
        token: tenant.tokens[ep.role],
        body: ep.body?.(tenant),
      });
      if (res.status !== ep.okStatus) failures.push(`${ep.name}: ${res.status} ${res.raw.slice(0, 200)}`);
    }
    for (const path of ['/api/me', '/api/sites']) {
      const res = await t.request(path, { token: owner.tokens.viewer });
      if (res.status !== 200) failures.push(`${path}: ${res.status}`);
    }
    // Decide reads the visitor only when the site has a published CTA.
    const cta = await t.request(`/api/sites/${owner.siteId}/ctas`, {
      method: 'POST',
      token: owner.tokens.editor,
      body: {
        id: 'router-cta',
        name: 'Router CTA',
        config: { kind: 'bar', variants: [{ id: 'a', content: { headline: 'Hi', body: '' } }] },
      },
    });
    const published = await t.request(`/api/sites/${owner.siteId}/ctas/router-cta/publish`, {
      method: 'POST',
      token: owner.tokens.editor,
    });
    if (cta.status !== 201 || published.status !== 201)
      failures.push(`CTA: ${cta.status} ${published.status} ${cta.raw}`);
    const decide = await t.request('/v1/decide', {
      method: 'POST',
      body: {
        writeKey: owner.writeKey,
        anonymousId: 'router-anon',
        url: 'https://example.com/',
        context: {
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36',
        },
      },
    });
    if (decide.status !== 200 || !Array.isArray((decide.body as { ctas?: unknown }).ctas)) {
      failures.push(`decide: ${decide.status} ${decide.raw.slice(0, 200)}`);
    }
    if (!capture.statements.some((s) => s.sql.includes('visitor_identities')))
      failures.push('decide: no visitor lookup');
    if (failures.length) {
      const errors = t
        .output()
        .split('\n')
        .filter((l) => /"level":50|error/i.test(l));
      throw new Error(`routes failed on Citus:\n${failures.join('\n')}\n${errors.slice(-10).join('\n')}`);
    }
    for (const s of capture.statements) if (!seen.has(s.sql)) seen.set(s.sql, s);
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    await db?.end();
    await capture?.close();
  });

  it('sees the routes’ statements and every one that touches a distributed table runs on one shard', async () => {
    const explained: string[] = [];
    const problems: string[] = [];
    for (const { sql, params } of seen.values()) {
      if (!/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(sql)) continue;
      let plan: unknown;
      try {
        plan = await explain(db, sql, params);
      } catch (err) {
        problems.push(`${oneLine(sql)}\n  EXPLAIN failed: ${(err as Error).message}`);
        continue;
      }
      const tasks = taskCounts(plan);
      if (tasks.length === 0) continue; // no distributed table
      explained.push(sql);
      if (tasks.some((n) => n !== 1)) problems.push(`${oneLine(sql)}\n  task counts ${tasks.join(', ')}`);
    }
    expect(problems).toEqual([]);
    // The capture really saw the API's traffic: flows, CTAs, keys, webhooks and decide.
    const tables = [
      'flows',
      'flow_versions',
      'ctas',
      'site_keys',
      'webhook_endpoints',
      'sites',
      'visitor_identities',
    ];
    for (const table of tables) {
      expect(explained.some((sql) => new RegExp(`\\b${table}\\b`).test(sql))).toBe(true);
    }
    expect(explained.length).toBeGreaterThan(40);
  });
});

/**
 * The plan of the statement with the values the API bound, as constants: PostgreSQL infers the
 * parameter types from the statement (PREPARE, as for the API's own Parse), and each `$n` becomes its
 * value cast to that type. Citus cannot EXPLAIN some parameterised INSERT … SELECT at all, and a
 * custom plan, which the API's unnamed statements get, is a plan with those constants.
 */
async function explain(db: Client, sql: string, params: CapturedStatement['params']): Promise<unknown> {
  let text = sql;
  if (params.length > 0) {
    await db.query(`PREPARE nf_router_check AS ${sql}`);
    const { rows } = await db.query<{ types: string[] }>(
      `SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = 'nf_router_check'`,
    );
    await db.query(`DEALLOCATE nf_router_check`);
    const literal = (i: number) => {
      const p = params[i];
      const value =
        p === null ? 'NULL' : db.escapeLiteral(Buffer.isBuffer(p) ? `\\x${p.toString('hex')}` : p);
      return `(${value}::${rows[0].types[i]})`;
    };
    text = sql.replace(/\$(\d+)(?!\d)/g, (_, n: string) => literal(Number(n) - 1));
  }
  const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`);
  return rows[0]['QUERY PLAN'];
}

/** Every "Task Count" of a Citus plan (subplans included): a router plan has one task in each. */
function taskCounts(node: unknown, out: number[] = []): number[] {
  if (Array.isArray(node)) for (const n of node) taskCounts(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Task Count' && typeof v === 'number') out.push(v);
      else taskCounts(v, out);
    }
  }
  return out;
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 300);
