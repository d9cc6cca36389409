import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import type { Tenant } from '../support/tenants';

/** Each victim gets a published flow and (for the routes that name one) a backtest of it. */
const flowOf = new WeakMap<Tenant, string>();
const backtestOf = new WeakMap<Tenant, string>();

async function seedFlow(t: TestApi, v: Tenant): Promise<void> {
  const token = v.tokens.editor;
  const base = `/api/sites/${v.siteId}/flows`;
  const created = await t.request(base, { method: 'POST', token, body: { name: 'Victim backtest flow' } });
  const id = created.body.id as string;
  const graph = {
    nodes: [
      { id: 'start', type: 'trigger_event', config: { event: 'signup', filters: [] } },
      { id: 'done', type: 'exit', config: {} },
    ],
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'done' }],
  };
  await t.request(`${base}/${id}/draft`, {
    method: 'PUT',
    token,
    body: { revision: 1, graph, settings: {} },
  });
  flowOf.set(v, id);
}

async function seedBacktest(t: TestApi, v: Tenant): Promise<void> {
  await seedFlow(t, v);
  const res = await t.request(`/api/sites/${v.siteId}/flows/${flowOf.get(v)}/backtests`, {
    method: 'POST',
    token: v.tokens.editor,
    body: { days: 1 },
  });
  if (res.status !== 201) throw new Error(`seed backtest failed: ${res.status} ${res.raw}`);
  backtestOf.set(v, res.body.id as string);
}

const base = (v: Tenant) => `/api/sites/${v.siteId}/flows/${flowOf.get(v)}/backtests`;

export const BACKTEST_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  {
    name: 'flow lift (holdout)',
    method: 'GET',
    path: (v) => `/api/sites/${v.siteId}/flows/${flowOf.get(v)}/lift`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: seedFlow,
  },
  {
    name: 'start backtest',
    method: 'POST',
    path: base,
    body: () => ({ days: 1 }),
    role: 'editor',
    okStatus: 201,
    keyAllowed: true,
    setup: seedFlow,
  },
  {
    name: 'list backtests',
    method: 'GET',
    path: base,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: seedBacktest,
  },
  {
    name: 'get backtest',
    method: 'GET',
    path: (v) => `${base(v)}/${backtestOf.get(v)}`,
    role: 'viewer',
    okStatus: 200,
    keyAllowed: true,
    setup: seedBacktest,
  },
  {
    name: 'cancel backtest',
    method: 'DELETE',
    path: (v) => `${base(v)}/${backtestOf.get(v)}`,
    role: 'editor',
    okStatus: 200,
    keyAllowed: true,
    setup: seedBacktest,
  },
];
