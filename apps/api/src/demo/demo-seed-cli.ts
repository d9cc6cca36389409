import { runCli } from '../database/run-cli';
import { DEMO } from './demo-account';
import { DemoApiClient } from './demo-api-client';
import { DEMO_CTAS, DEMO_ENDPOINT, DEMO_FUNNELS, demoFlowDocuments } from './demo-content';

/**
 * `node apps/api/dist/demo/demo-seed-cli.js [--api http://127.0.0.1:3000]`, run by `npm run demo` once the
 * API is up (after `npm run seed`): puts the demo content on the demo site through the marketer API,
 * as a marketer would. Safe to run again: what exists (by CTA id, endpoint URL, flow or funnel name)
 * is kept, and only what is missing is created or published.
 */
export async function seedDemoContent(baseUrl: string, log: (line: string) => void = console.log) {
  const client = new DemoApiClient(baseUrl.replace(/\/$/, ''));
  await client.login(DEMO.email, DEMO.password);
  const me = await client.call<{ sites: { id: string; name: string }[] }>('GET', '/api/me');
  const site = me.sites.find((s) => s.name === DEMO.site);
  if (!site) throw new Error(`the demo site "${DEMO.site}" is missing: run npm run seed first`);
  const base = `/api/sites/${site.id}`;

  const ctas = await client.call<{ id: string; status: string }[]>('GET', `${base}/ctas`);
  for (const cta of DEMO_CTAS) {
    let existing = ctas.find((c) => c.id === cta.id);
    if (!existing) {
      existing = await client.call('POST', `${base}/ctas`, cta);
      log(`  CTA       ${cta.name}`);
    }
    if (existing?.status !== 'published') await client.call('POST', `${base}/ctas/${cta.id}/publish`);
  }

  const endpointUrl = `${baseUrl.replace(/\/$/, '')}${DEMO_ENDPOINT.path}`;
  const endpoints = await client.call<{ id: string; url: string; description: string }[]>(
    'GET',
    `${base}/webhooks/endpoints`,
  );
  const existing =
    endpoints.find((e) => e.url === endpointUrl) ??
    endpoints.find((e) => e.description === DEMO_ENDPOINT.description);
  let endpointId = existing?.id;
  if (existing && existing.url !== endpointUrl) {
    // The demo runs on another port than last time: its receiver moved with it.
    await client.call('PATCH', `${base}/webhooks/endpoints/${existing.id}`, { url: endpointUrl });
    log(`  endpoint  moved to ${endpointUrl}`);
  }
  if (!endpointId) {
    const created = await client.call<{ id: string }>('POST', `${base}/webhooks/endpoints`, {
      url: endpointUrl,
      description: DEMO_ENDPOINT.description,
    });
    endpointId = created.id;
    log(`  endpoint  ${endpointUrl}`);
  }

  const flows = await client.call<{ id: string; name: string; status: string }[]>('GET', `${base}/flows`);
  for (const doc of demoFlowDocuments(endpointId)) {
    let flow = flows.find((f) => f.name === doc.name && f.status !== 'archived');
    if (!flow) {
      flow = await client.call<{ id: string; name: string; status: string }>(
        'POST',
        `${base}/flows/import`,
        doc,
      );
      log(`  flow      ${doc.name}`);
    }
    if (flow.status === 'draft') {
      await client.call('POST', `${base}/flows/${flow.id}/publish`, { note: 'Published by the demo seed' });
    }
  }

  const { funnels } = await client.call<{ funnels: { name: string }[] }>('GET', `${base}/funnels`);
  for (const funnel of DEMO_FUNNELS) {
    if (funnels.some((f) => f.name === funnel.name)) continue;
    await client.call('POST', `${base}/funnels`, funnel);
    log(`  funnel    ${funnel.name}`);
  }
  return { siteId: site.id, endpointId };
}

if (require.main === module) {
  runCli(async () => {
    const i = process.argv.indexOf('--api');
    const baseUrl = i > 0 ? process.argv[i + 1] : `http://127.0.0.1:${process.env.PORT ?? 3000}`;
    console.log('Demo content (flows, CTAs, webhook endpoint, funnels):');
    await seedDemoContent(baseUrl);
    console.log('  ready');
  });
}
