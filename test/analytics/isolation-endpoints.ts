import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { IsolatedEndpoint } from '../support/isolation-table';
import type { TestApi } from '../support/processes';
import { TEST_DATABASE_URL } from '../support/test-env';
import type { Tenant } from '../support/tenants';

/** Report routes for the tenant-isolation table; the flow report needs a flow, planted in the database. */
const flowOf = new WeakMap<Tenant, string>();

async function plantFlow(_: TestApi, v: Tenant): Promise<void> {
  if (flowOf.has(v)) return;
  const db = new Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  try {
    const id = randomUUID();
    await db.query(
      `INSERT INTO flows (site_id, id, name, draft) VALUES ($1, $2, 'victim report flow', '{}')`,
      [v.siteId, id],
    );
    flowOf.set(v, id);
  } finally {
    await db.end();
  }
}

const report = (name: string, rest: string, setup?: IsolatedEndpoint['setup']): IsolatedEndpoint => ({
  name,
  method: 'GET',
  path: (v) => `/api/sites/${v.siteId}/reports/${rest.replace(':flow', flowOf.get(v) ?? 'missing')}`,
  role: 'viewer',
  okStatus: 200,
  keyAllowed: true,
  setup,
});

export const ANALYTICS_ISOLATED_ENDPOINTS: IsolatedEndpoint[] = [
  report('traffic report', 'traffic?compare=true'),
  report('traffic report csv', 'traffic/export'),
  report('cta report', 'ctas'),
  report('cta report csv', 'ctas/export'),
  report('flow report', 'flows/:flow', plantFlow),
  report('flow report csv', 'flows/:flow/export', plantFlow),
  report('realtime report', 'realtime'),
  report('realtime report csv', 'realtime/export'),
];
