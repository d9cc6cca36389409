import { isHeldOut } from '@nudgeflow/engine';
import type { Tenant } from '../support/tenants';
import { ctaConfig, publishCta } from '../onsite/onsite-harness';
import { flowDoc, ingest, publishFlow, Stack, tenant, useStack, waitFor } from '../runtime/runtime-harness';

interface LiftView {
  test: string;
  versions: {
    version: number;
    holdoutPercent: number;
    treated: { visitors: number; converted: number; rate: number | null };
    heldOut: { visitors: number; converted: number; rate: number | null };
    absolute: { value: number; low: number; high: number } | null;
    relative: { value: number; low: number; high: number } | null;
    pValue: number | null;
  }[];
}

const VISITORS = 160;
const visitorId = (i: number) => `00000000-0000-4000-8000-${(0xb7000 + i).toString(16).padStart(12, '0')}`;

describe('flow holdout (real worker, webhook receiver)', () => {
  const ctx = useStack();
  let stack: Stack;
  let t: Tenant;

  beforeAll(async () => {
    stack = ctx.stack;
    t = await tenant(stack, 'holdout');
  });

  const settled = () =>
    waitFor(
      'runtime settled',
      async () => {
        const { rows } = await stack.db.query<{ n: number }>(
          `SELECT ((SELECT count(*) FROM event_outbox WHERE site_id = $1)
                 + (SELECT count(*) FROM trigger_handoffs WHERE site_id = $1)
                 + (SELECT count(*) FROM run_inbox WHERE site_id = $1)
                 + (SELECT count(*) FROM runs WHERE site_id = $1 AND status IN ('pending', 'running')))::int AS n`,
          [t.siteId],
        );
        return rows[0].n === 0;
      },
      90_000,
      100,
    );

  const doc = (endpointId: string, holdoutPercent: number, ctaId = 'none') =>
    flowDoc(
      'cart nudge',
      [
        { id: 't', type: 'trigger_event', config: { event: 'cart', filters: [] } },
        { id: 'cta', type: 'show_cta', config: { ctaId } },
        {
          id: 'hook',
          type: 'send_webhook',
          config: { endpointId, bodyTemplate: '{"visitor":"{{visitor.id}}"}' },
        },
        { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } } },
        { id: 'x', type: 'exit', config: {} },
        { id: 'g', type: 'goal', config: { event: 'buy', filters: [] } },
      ],
      [
        ['t', 'next', 'cta'],
        ['cta', 'next', 'hook'],
        ['hook', 'next', 'w'],
        ['w', 'next', 'x'],
      ],
      { reEntry: { mode: 'every_time' }, holdoutPercent },
    );

  it('refuses a holdout above 50 % (import: 400, publish: 422), naming the setting', async () => {
    const imported = await stack.api.request(`/api/sites/${t.siteId}/flows/import`, {
      method: 'POST',
      token: t.tokens.editor,
      body: doc('00000000-0000-4000-8000-000000000001', 60),
    });
    expect(imported.status).toBe(400);
    expect(JSON.stringify(imported.body)).toContain('holdoutPercent');
    const created = await stack.api.request(`/api/sites/${t.siteId}/flows`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { name: 'too much holdout' },
    });
    const base = `/api/sites/${t.siteId}/flows/${created.body.id}`;
    const { graph, settings } = doc('00000000-0000-4000-8000-000000000001', 60);
    const saved = await stack.api.request(`${base}/draft`, {
      method: 'PUT',
      token: t.tokens.editor,
      body: { revision: 1, graph, settings },
    });
    expect(saved.status).toBe(200);
    const published = await stack.api.request(`${base}/publish`, {
      method: 'POST',
      token: t.tokens.editor,
      body: {},
    });
    expect(published.status).toBe(422);
    expect(published.body.code).toBe('FLOW_INVALID');
    expect(JSON.stringify(published.body.errors)).toContain('holdoutPercent');
  });

  it('holds out a stable half: enrolled and ledgered, no effect; the lift interval holds the true lift', async () => {
    const ep = await stack.api.request(`/api/sites/${t.siteId}/webhooks/endpoints`, {
      method: 'POST',
      token: t.tokens.owner,
      body: { url: ctx.rx.hookUrl },
    });
    expect(ep.status).toBe(201);
    const ctaId = await publishCta(stack.api, t, ctaConfig({ mode: 'flow' }));
    const flowId = await publishFlow(stack, t, doc(ep.body.id as string, 50, ctaId));
    const visitors = Array.from({ length: VISITORS }, (_, i) => visitorId(i));
    for (let i = 0; i < VISITORS; i += 40)
      await ingest(
        stack.db,
        t.siteId,
        visitors.slice(i, i + 40).map((v) => ({ visitorId: v, name: 'cart' })),
      );
    await settled();
    const expectedOut = new Set(visitors.filter((v) => isHeldOut(v, flowId, 50)));
    expect(expectedOut.size).toBeGreaterThan(VISITORS * 0.3);
    expect(expectedOut.size).toBeLessThan(VISITORS * 0.7);

    // Every visitor was enrolled with the same trigger; the flag is the stable hash's.
    const runs = await stack.db.query<{ visitor_id: string; held_out: boolean; trigger_node_id: string }>(
      `SELECT visitor_id, held_out, trigger_node_id FROM runs WHERE site_id = $1 AND flow_id = $2`,
      [t.siteId, flowId],
    );
    expect(runs.rowCount).toBe(VISITORS);
    for (const r of runs.rows) {
      expect({ v: r.visitor_id, out: r.held_out }).toEqual({
        v: r.visitor_id,
        out: expectedOut.has(r.visitor_id),
      });
      expect(r.trigger_node_id).toBe('t');
    }
    // Ledger: held-out runs reached the action and skipped it; the receiver saw only treated visitors.
    const ledger = await stack.db.query<{ held_out: boolean; effect_status: string; n: number }>(
      `SELECT r.held_out, s.effect_status, count(*)::int AS n FROM run_steps s
         JOIN runs r ON r.site_id = s.site_id AND r.id = s.run_id
        WHERE s.site_id = $1 AND r.site_id = $1 AND s.flow_id = $2 AND s.node_id = 'hook' GROUP BY 1, 2 ORDER BY 1`,
      [t.siteId, flowId],
    );
    expect(ledger.rows).toEqual([
      { held_out: false, effect_status: 'done', n: VISITORS - expectedOut.size },
      { held_out: true, effect_status: 'skipped', n: expectedOut.size },
    ]);
    const ledgerCta = await stack.db.query<{ held_out: boolean; effect_status: string; n: number }>(
      `SELECT r.held_out, s.effect_status, count(*)::int AS n FROM run_steps s
         JOIN runs r ON r.site_id = s.site_id AND r.id = s.run_id
        WHERE s.site_id = $1 AND r.site_id = $1 AND s.flow_id = $2 AND s.node_id = 'cta' GROUP BY 1, 2 ORDER BY 1`,
      [t.siteId, flowId],
    );
    expect(ledgerCta.rows).toEqual([
      { held_out: false, effect_status: 'done', n: VISITORS - expectedOut.size },
      { held_out: true, effect_status: 'skipped', n: expectedOut.size },
    ]);
    const nudged = await waitFor('webhooks delivered', async () => {
      const got = new Set(ctx.rx.hooks.map((h) => (JSON.parse(h.body) as { visitor: string }).visitor));
      return got.size >= VISITORS - expectedOut.size ? got : undefined;
    });
    expect([...nudged].filter((v) => expectedOut.has(v))).toEqual([]);
    expect(nudged.size).toBe(VISITORS - expectedOut.size);
    // The CTA was queued for treated visitors only: held-out visitors never see it, so they never
    // count among its variants' viewers.
    const messages = await stack.db.query<{ visitor_id: string }>(
      `SELECT visitor_id FROM onsite_messages WHERE site_id = $1 AND cta_id = $2`,
      [t.siteId, ctaId],
    );
    expect(messages.rows.map((m) => m.visitor_id).sort()).toEqual([...nudged].sort());

    // The simulated effect: 60 % of nudged visitors buy, 20 % of the others (seeded: the first ones
    // of each group in id order), so the true lift is +40 points.
    const treatedList = visitors.filter((v) => nudged.has(v));
    const heldList = visitors.filter((v) => !nudged.has(v));
    const buyers = [
      ...treatedList.slice(0, Math.round(treatedList.length * 0.6)),
      ...heldList.slice(0, Math.round(heldList.length * 0.2)),
    ];
    await ingest(
      stack.db,
      t.siteId,
      buyers.map((v) => ({ visitorId: v, name: 'buy' })),
    );
    await settled();
    const lift = (
      await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/lift`, { token: t.tokens.viewer })
    ).body as unknown as LiftView;
    expect(lift.test).toMatch(/z-test.*Newcombe/);
    const v1 = lift.versions[0];
    expect(v1).toMatchObject({
      version: 1,
      holdoutPercent: 50,
      treated: { visitors: treatedList.length, converted: Math.round(treatedList.length * 0.6) },
      heldOut: { visitors: heldList.length, converted: Math.round(heldList.length * 0.2) },
    });
    expect(v1.absolute!.low).toBeLessThan(0.4);
    expect(v1.absolute!.high).toBeGreaterThan(0.4);
    expect(v1.absolute!.low).toBeGreaterThan(0);
    expect(v1.relative!.value).toBeCloseTo(v1.treated.rate! / v1.heldOut.rate! - 1, 6);
    expect(v1.pValue!).toBeLessThan(0.001);

    // Re-entry: each visitor enrols again and stays in its group.
    const hooksBefore = ctx.rx.hooks.length;
    await ingest(
      stack.db,
      t.siteId,
      visitors.map((v) => ({ visitorId: v, name: 'cart' })),
    );
    await settled();
    const groups = await stack.db.query<{ visitor_id: string; groups: boolean[]; n: number }>(
      `SELECT visitor_id, array_agg(DISTINCT held_out) AS groups, count(*)::int AS n
         FROM runs WHERE site_id = $1 AND flow_id = $2 GROUP BY 1`,
      [t.siteId, flowId],
    );
    for (const g of groups.rows) expect(g.groups).toEqual([expectedOut.has(g.visitor_id)]);
    // Buyers' runs ended, so they re-entered; the others still wait (one run per visitor at a time).
    expect(groups.rows.filter((g) => g.n === 2).length).toBe(buyers.length);
    await waitFor('second webhooks', async () =>
      ctx.rx.hooks.length >= hooksBefore + buyers.filter((v) => nudged.has(v)).length ? true : undefined,
    );
    const second = ctx.rx.hooks
      .slice(hooksBefore)
      .map((h) => (JSON.parse(h.body) as { visitor: string }).visitor);
    expect(second.filter((v) => expectedOut.has(v))).toEqual([]);
  }, 240_000);
});
