import { FLOW_TEMPLATES, parseFlowDocument, REF_KIND_KEYS, RefKind } from '@nudgeflow/flow-schema';
import { Client } from 'pg';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';

type Json = Record<string, unknown>;

/** The smallest publishable flow: an event trigger straight into an exit. */
const simpleGraph = (event = 'signup') => ({
  nodes: [
    { id: 'start', type: 'trigger_event', config: { event, filters: [] }, position: { x: 0, y: 0 } },
    { id: 'done', type: 'exit', config: {}, position: { x: 0, y: 150 } },
  ],
  edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'done' }],
});
const settings = { reEntry: { mode: 'once' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] };

describe('flows API', () => {
  let t: TestApi;
  let a: Tenant;
  let b: Tenant;
  let db: Client;

  const url = (tenant: Tenant, path = '') => `/api/sites/${tenant.siteId}/flows${path}`;
  const call = (
    tenant: Tenant,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    role: 'owner' | 'editor' | 'viewer' = 'editor',
  ) => t.request(url(tenant, path), { method, token: tenant.tokens[role], body });

  async function createFlow(tenant: Tenant, name = 'Flow', graph: unknown = simpleGraph()) {
    const created = await call(tenant, 'POST', '', { name });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const saved = await call(tenant, 'PUT', `/${id}/draft`, { revision: 1, graph, settings });
    expect(saved).toMatchObject({ status: 200, body: { revision: 2 } });
    return id;
  }

  beforeAll(async () => {
    t = await startApi();
    [a, b] = await Promise.all([createTenant(t, 'flows-a'), createTenant(t, 'flows-b')]);
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.stop();
  });

  it('creates, lists, gets, renames and deletes a flow', async () => {
    const created = await call(a, 'POST', '', { name: '  Welcome  ' });
    expect(created).toMatchObject({
      status: 201,
      body: {
        name: 'Welcome',
        status: 'draft',
        revision: 1,
        publishedVersion: null,
        draft: { graph: { nodes: [], edges: [] }, settings: { reEntry: { mode: 'once' } } },
      },
    });
    const id = created.body.id as string;
    const list = await call(a, 'GET', '', undefined, 'viewer');
    expect(list.status).toBe(200);
    expect(list.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id,
          name: 'Welcome',
          status: 'draft',
          revision: 1,
          publishedVersion: null,
        }),
      ]),
    );
    expect((list.body as unknown as Json[]).find((f) => f.id === id)).not.toHaveProperty('draft');
    expect((list.body as unknown as Json[]).find((f) => f.id === id)).toMatchObject({
      counts: { entered: 0, converted: 0 },
    });
    // Counts come from the daily run rollups, summed over days and versions.
    await db.query(
      `INSERT INTO analytics_flow_runs (site_id, grain, bucket, flow_id, flow_version, entered, completed, converted, exited, failed)
       VALUES ($1, 'day', '2026-11-01', $2, 1, 7, 3, 2, 0, 0), ($1, 'day', '2026-11-02', $2, 2, 5, 1, 1, 0, 0),
              ($1, 'hour', '2026-11-02 10:00', $2, 2, 5, 1, 1, 0, 0)`,
      [a.siteId, id],
    );
    const counted = await call(a, 'GET', '', undefined, 'viewer');
    expect((counted.body as unknown as Json[]).find((f) => f.id === id)).toMatchObject({
      counts: { entered: 12, converted: 3 },
    });

    const saved = await call(a, 'PUT', `/${id}/draft`, {
      revision: 1,
      graph: simpleGraph(),
      settings,
      name: 'Welcome v2',
    });
    expect(saved).toMatchObject({ status: 200, body: { revision: 2 } });
    const got = await call(a, 'GET', `/${id}`, undefined, 'viewer');
    expect(got.body).toMatchObject({
      name: 'Welcome v2',
      revision: 2,
      draft: { graph: simpleGraph(), settings },
    });
    expect(got.body).toHaveProperty('createdAt');
    expect(got.body).toHaveProperty('updatedAt');

    expect((await call(a, 'DELETE', `/${id}`)).status).toBe(204);
    expect(await call(a, 'GET', `/${id}`)).toMatchObject({ status: 404, body: { code: 'FLOW_NOT_FOUND' } });
    expect((await call(a, 'GET', '/not-a-uuid')).body.code).toBe('FLOW_NOT_FOUND');
  });

  it('creates from every template, and every template publishes', async () => {
    for (const template of FLOW_TEMPLATES) {
      const created = await call(a, 'POST', '', { name: template.name, templateId: template.id });
      expect(created.status).toBe(201);
      expect((created.body.draft as Json).graph).toEqual(template.graph);
      const id = created.body.id as string;
      const published = await call(a, 'POST', `/${id}/publish`, { note: 'from template' });
      // Every kind of reference is checked, so placeholder refs fail (and only as unknown refs).
      const needsRealRefs = (Object.keys(REF_KIND_KEYS) as RefKind[]).some(
        (kind) => (template.placeholderRefs[REF_KIND_KEYS[kind]] as string[]).length > 0,
      );
      if (needsRealRefs) {
        expect(published.status).toBe(422);
        for (const e of published.body.errors as Json[]) expect(e.code).toMatch(/^UNKNOWN_/);
      } else {
        expect({ template: template.id, ...published }).toMatchObject({
          template: template.id,
          status: 201,
          body: { version: 1 },
        });
      }
    }
    const unknown = await call(a, 'POST', '', { name: 'x', templateId: 'nope' });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'UNKNOWN_TEMPLATE', path: 'templateId' } });
  });

  it('lists templates publicly, with their graphs', async () => {
    const res = await t.request('/api/flow-templates');
    expect(res.status).toBe(200);
    const templates = res.body as unknown as Json[];
    expect(templates.map((x) => x.id)).toEqual(FLOW_TEMPLATES.map((x) => x.id));
    expect(templates[0]).toMatchObject({ name: expect.any(String), description: expect.any(String) });
    expect(templates[0].graph).toEqual(FLOW_TEMPLATES[0].graph);
  });

  it('refuses a stale draft with 409 and the current revision', async () => {
    const id = await createFlow(a);
    const stale = await call(a, 'PUT', `/${id}/draft`, {
      revision: 1,
      graph: simpleGraph('other'),
      settings,
    });
    expect(stale).toMatchObject({ status: 409, body: { code: 'REVISION_CONFLICT', currentRevision: 2 } });
    expect(((await call(a, 'GET', `/${id}`)).body.draft as Json).graph).toEqual(simpleGraph());
    const missing = await call(a, 'PUT', `/00000000-0000-4000-8000-000000000000/draft`, {
      revision: 1,
      graph: simpleGraph(),
      settings,
    });
    expect(missing.status).toBe(404);
  });

  it('lets exactly one of two concurrent writers with the same revision win', async () => {
    const id = await createFlow(a);
    for (let round = 0; round < 5; round++) {
      const revision = (await call(a, 'GET', `/${id}`)).body.revision as number;
      const results = await Promise.all(
        ['x', 'y'].map((event) =>
          call(a, 'PUT', `/${id}/draft`, { revision, graph: simpleGraph(event), settings }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!;
      const loser = results.find((r) => r.status === 409)!;
      expect(winner.body.revision).toBe(revision + 1);
      expect(loser.body.currentRevision).toBe(revision + 1);
    }
  });

  it('accepts an invalid draft but not a malformed or oversized one', async () => {
    const id = await createFlow(a);
    const invalidGraph = {
      nodes: [{ id: 'lonely', type: 'condition', config: { nonsense: true } }],
      edges: [],
    };
    const saved = await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph: invalidGraph, settings });
    expect(saved).toMatchObject({ status: 200, body: { revision: 3 } });
    const malformed = await call(a, 'PUT', `/${id}/draft`, {
      revision: 3,
      graph: { nodes: [{ type: 'exit' }] },
      settings,
    });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const tooMany = await call(a, 'PUT', `/${id}/draft`, {
      revision: 3,
      graph: {
        nodes: Array.from({ length: 501 }, (_, i) => ({ id: `n${i}`, type: 'exit', config: {} })),
        edges: [],
      },
      settings,
    });
    expect(tooMany).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const huge = 'x'.repeat(100_000);
    const big = await call(a, 'PUT', `/${id}/draft`, {
      revision: 3,
      graph: {
        nodes: Array.from({ length: 4 }, (_, i) => ({ id: `n${i}`, type: 'exit', config: { huge } })),
        edges: [],
      },
      settings,
    });
    expect(big).toMatchObject({ status: 413, body: { code: 'FLOW_TOO_LARGE' } });
    const tooBigForHttp = await call(a, 'PUT', `/${id}/draft`, {
      revision: 3,
      graph: { nodes: [{ id: 'n', type: 'exit', config: { huge: 'x'.repeat(600_000) } }], edges: [] },
      settings,
    });
    expect(tooBigForHttp.status).toBe(413);
  });

  it('refuses to publish an invalid flow and points at the offending nodes', async () => {
    const id = await createFlow(a);
    const graph = {
      nodes: [
        { id: 'start', type: 'trigger_event', config: { event: 'signup', filters: [] } },
        { id: 'check', type: 'condition', config: { nonsense: true } },
        { id: 'orphan', type: 'exit', config: {} },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'check' }],
    };
    await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph, settings });
    const validation = await call(a, 'POST', `/${id}/validate`, {}, 'viewer');
    expect(validation.status).toBe(200);
    const errors = validation.body.errors as Json[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'INVALID_CONFIG', nodeId: 'check' }),
        expect.objectContaining({ code: 'UNREACHABLE_NODE', nodeId: 'orphan' }),
      ]),
    );
    const published = await call(a, 'POST', `/${id}/publish`, {});
    expect(published).toMatchObject({ status: 422, body: { code: 'FLOW_INVALID' } });
    expect((published.body.errors as Json[]).map((e) => e.nodeId)).toEqual(
      expect.arrayContaining(['check', 'orphan']),
    );
    const flow = await call(a, 'GET', `/${id}`);
    expect(flow.body).toMatchObject({ status: 'draft', publishedVersion: null });
    expect((await call(a, 'GET', `/${id}/versions`)).body).toEqual([]);
  });

  it('checks referenced resources of the same site when the resource table exists', async () => {
    const { rows } = await db.query(`SELECT to_regclass('public.webhook_endpoints') IS NOT NULL AS exists`);
    const id = await createFlow(a);
    const graph = {
      nodes: [
        ...simpleGraph().nodes.slice(0, 1),
        {
          id: 'hook',
          type: 'send_webhook',
          config: { endpointId: '00000000-0000-4000-8000-00000000abcd', bodyTemplate: '{}' },
        },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'hook' }],
    };
    const saved = await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph, settings });
    expect(saved.status).toBe(200);
    const validation = await call(a, 'POST', `/${id}/validate`, {});
    const unknownRefs = (validation.body.errors as Json[]).filter(
      (e) => e.code === 'UNKNOWN_WEBHOOK_ENDPOINT',
    );
    if (rows[0].exists) expect(unknownRefs).toEqual([expect.objectContaining({ nodeId: 'hook' })]);
    else expect(unknownRefs).toEqual([]);
  });

  it('publishes immutable versions, and the database refuses to change one', async () => {
    const id = await createFlow(a);
    const first = await call(a, 'POST', `/${id}/publish`, { note: 'first' });
    expect(first).toMatchObject({ status: 201, body: { version: 1 } });
    expect((await call(a, 'GET', `/${id}`)).body).toMatchObject({ status: 'live', publishedVersion: 1 });
    await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph: simpleGraph('purchase'), settings });
    const second = await call(a, 'POST', `/${id}/publish`);
    expect(second).toMatchObject({ status: 201, body: { version: 2 } });

    const versions = await call(a, 'GET', `/${id}/versions`, undefined, 'viewer');
    expect(versions.body).toEqual([
      expect.objectContaining({ version: 2, note: null, publishedAt: expect.any(String) }),
      expect.objectContaining({
        version: 1,
        note: 'first',
        publishedBy: expect.objectContaining({ name: expect.any(String) }),
      }),
    ]);
    const v1 = await call(a, 'GET', `/${id}/versions/1`, undefined, 'viewer');
    expect(v1).toMatchObject({ status: 200, body: { version: 1, graph: simpleGraph(), settings } });
    expect((await call(a, 'GET', `/${id}/versions/9`)).body.code).toBe('VERSION_NOT_FOUND');
    expect((await call(a, 'GET', `/${id}/versions/abc`)).body.code).toBe('VERSION_NOT_FOUND');

    await expect(
      db.query(
        `UPDATE flow_versions SET note = 'changed' WHERE site_id = $1 AND flow_id = $2 AND version = 1`,
        [a.siteId, id],
      ),
    ).rejects.toThrow(/immutable/);
    await expect(
      db.query(`UPDATE flow_versions SET graph = '{}' WHERE site_id = $1 AND flow_id = $2`, [a.siteId, id]),
    ).rejects.toThrow(/immutable/);
    const after = await call(a, 'GET', `/${id}/versions/1`);
    expect(after.body).toMatchObject({ note: 'first', graph: simpleGraph() });

    // Editing the draft never touches a published version.
    await call(a, 'PUT', `/${id}/draft`, { revision: 3, graph: simpleGraph('changed'), settings });
    expect((await call(a, 'GET', `/${id}/versions/2`)).body.graph).toEqual(simpleGraph('purchase'));
  });

  it('diffs two versions and a version against the draft', async () => {
    const id = await createFlow(a);
    await call(a, 'POST', `/${id}/publish`);
    const edited = {
      nodes: [
        { ...simpleGraph('purchase').nodes[0] },
        { id: 'extra', type: 'update_visitor', config: { addTags: ['buyer'] } },
        { ...simpleGraph().nodes[1], position: { x: 50, y: 50 } },
      ],
      edges: [
        { id: 'e1', source: 'start', sourceHandle: 'next', target: 'extra' },
        { id: 'e2', source: 'extra', sourceHandle: 'next', target: 'done' },
      ],
    };
    await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph: edited, settings });
    const toDraft = await call(a, 'GET', `/${id}/versions/1/diff/draft`, undefined, 'viewer');
    expect(toDraft.status).toBe(200);
    expect((toDraft.body.nodes as Json).added).toEqual([expect.objectContaining({ id: 'extra' })]);
    expect((toDraft.body.nodes as Json).changed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'start', fields: ['config'] }),
        expect.objectContaining({ id: 'done', fields: ['position'] }),
      ]),
    );
    expect((toDraft.body.edges as Json).added).toEqual([expect.objectContaining({ id: 'e2' })]);
    expect((toDraft.body.edges as Json).changed).toEqual([
      expect.objectContaining({ id: 'e1', fields: ['target'] }),
    ]);
    expect(toDraft.body).toMatchObject({ identical: false, layoutOnly: false });

    expect((await call(a, 'POST', `/${id}/publish`)).body).toEqual({ version: 2 });
    const between = await call(a, 'GET', `/${id}/versions/2/diff/1`);
    expect((between.body.nodes as Json).removed).toEqual([expect.objectContaining({ id: 'extra' })]);
    const same = await call(a, 'GET', `/${id}/versions/2/diff/draft`);
    expect(same.body).toMatchObject({ identical: true });
    expect((await call(a, 'GET', `/${id}/versions/7/diff/1`)).status).toBe(404);
  });

  it('rolls back by publishing an old version as a new one and resetting the draft', async () => {
    const id = await createFlow(a);
    await call(a, 'POST', `/${id}/publish`);
    await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph: simpleGraph('v2'), settings });
    await call(a, 'POST', `/${id}/publish`);
    const rolled = await call(a, 'POST', `/${id}/versions/1/rollback`);
    expect(rolled).toMatchObject({ status: 201, body: { version: 3, revision: 4 } });
    const v3 = await call(a, 'GET', `/${id}/versions/3`);
    expect(v3.body).toMatchObject({ graph: simpleGraph(), note: 'Rollback to version 1' });
    const flow = await call(a, 'GET', `/${id}`);
    expect(flow.body).toMatchObject({
      status: 'live',
      publishedVersion: 3,
      revision: 4,
      draft: { graph: simpleGraph() },
    });
    // An editor still on the pre-rollback draft gets a conflict instead of overwriting it.
    const stale = await call(a, 'PUT', `/${id}/draft`, { revision: 3, graph: simpleGraph('v2'), settings });
    expect(stale).toMatchObject({ status: 409, body: { currentRevision: 4 } });
    expect((await call(a, 'POST', `/${id}/versions/9/rollback`)).status).toBe(404);
  });

  it('pauses, resumes, archives (storing exitRuns) and refuses what does not apply', async () => {
    const id = await createFlow(a);
    expect(await call(a, 'POST', `/${id}/pause`)).toMatchObject({
      status: 409,
      body: { code: 'FLOW_NOT_PUBLISHED' },
    });
    await call(a, 'POST', `/${id}/publish`);
    expect(await call(a, 'POST', `/${id}/pause`)).toMatchObject({ status: 200, body: { status: 'paused' } });
    expect(await call(a, 'POST', `/${id}/resume`)).toMatchObject({ status: 200, body: { status: 'live' } });
    const archived = await call(a, 'POST', `/${id}/archive`, { exitRuns: true });
    expect(archived).toMatchObject({ status: 200, body: { status: 'archived', archivedExitRuns: true } });
    const { rows } = await db.query(`SELECT archived_exit_runs FROM flows WHERE site_id = $1 AND id = $2`, [
      a.siteId,
      id,
    ]);
    expect(rows[0].archived_exit_runs).toBe(true);
    expect((await call(a, 'POST', `/${id}/resume`)).body.code).toBe('FLOW_ARCHIVED');
    expect((await call(a, 'POST', `/${id}/publish`)).body.code).toBe('FLOW_ARCHIVED');
    expect((await call(a, 'POST', `/${id}/archive`)).body).toMatchObject({ archivedExitRuns: false });
  });

  it('serves the live versions the runtime loads (status live only)', async () => {
    const id = await createFlow(a);
    await call(a, 'POST', `/${id}/publish`);
    const live = async () =>
      (
        await db.query(
          `SELECT v.version FROM flows f JOIN flow_versions v
              ON v.site_id = f.site_id AND v.flow_id = f.id AND v.version = f.published_version
            WHERE f.site_id = $1 AND f.id = $2 AND f.status = 'live'`,
          [a.siteId, id],
        )
      ).rows;
    expect(await live()).toEqual([{ version: 1 }]);
    await call(a, 'POST', `/${id}/pause`);
    expect(await live()).toEqual([]);
  });

  it('duplicates a flow as a new draft', async () => {
    const id = await createFlow(a, 'Original');
    await call(a, 'POST', `/${id}/publish`);
    const copy = await call(a, 'POST', `/${id}/duplicate`);
    expect(copy).toMatchObject({
      status: 201,
      body: {
        name: 'Original (copy)',
        status: 'draft',
        revision: 1,
        publishedVersion: null,
        draft: { graph: simpleGraph() },
      },
    });
    expect(copy.body.id).not.toBe(id);
    const named = await call(a, 'POST', `/${id}/duplicate`, { name: 'Named' });
    expect(named.body.name).toBe('Named');
    expect((await call(a, 'GET', `/${copy.body.id as string}/versions`)).body).toEqual([]);
  });

  it('exports a flow and imports it on another site equal apart from ids', async () => {
    const template = FLOW_TEMPLATES[0];
    const created = await call(a, 'POST', '', { name: 'Portable', templateId: template.id });
    const id = created.body.id as string;
    const exported = await call(a, 'GET', `/${id}/export`, undefined, 'viewer');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/application\/json/);
    const parsed = parseFlowDocument(exported.raw);
    expect(parsed.ok).toBe(true);
    expect(exported.body).toMatchObject({ schemaVersion: 1, name: 'Portable', graph: template.graph });

    const imported = await t.request(`/api/sites/${b.siteId}/flows/import`, {
      method: 'POST',
      token: b.tokens.editor,
      body: exported.raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(imported).toMatchObject({ status: 201, body: { name: 'Portable', status: 'draft', revision: 1 } });
    const importedId = imported.body.id as string;
    expect(importedId).not.toBe(id);
    const again = await t.request(`/api/sites/${b.siteId}/flows/${importedId}/export`, {
      token: b.tokens.viewer,
    });
    expect(again.raw).toBe(exported.raw);
    const [src, dst] = await Promise.all([
      call(a, 'GET', `/${id}`),
      t.request(`/api/sites/${b.siteId}/flows/${importedId}`, { token: b.tokens.viewer }),
    ]);
    const strip = (f: Json) => {
      const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = f;
      return rest;
    };
    expect(strip(dst.body)).toEqual(strip(src.body));
    // Site A never sees B's copy.
    expect((await call(a, 'GET', `/${importedId}`)).status).toBe(404);
  });

  it('exports a published version, and refuses invalid documents on import', async () => {
    const id = await createFlow(a);
    await call(a, 'POST', `/${id}/publish`);
    await call(a, 'PUT', `/${id}/draft`, { revision: 2, graph: simpleGraph('later'), settings });
    const v1 = await call(a, 'GET', `/${id}/export?version=1`);
    expect(v1.body.graph).toEqual(simpleGraph());

    const wrongVersion = await call(a, 'POST', '/import', { ...v1.body, schemaVersion: 99 });
    expect(wrongVersion).toMatchObject({ status: 400, body: { code: 'FLOW_DOCUMENT_INVALID' } });
    expect((wrongVersion.body.errors as Json[])[0].code).toBe('UNSUPPORTED_SCHEMA_VERSION');
    const badShape = await call(a, 'POST', '/import', {
      schemaVersion: 1,
      name: 'x',
      settings,
      graph: { nodes: 1 },
    });
    expect(badShape).toMatchObject({ status: 400, body: { code: 'FLOW_DOCUMENT_INVALID' } });
    const unpublishable = await call(a, 'POST', '/import', {
      schemaVersion: 1,
      name: 'Unreachable',
      settings,
      graph: {
        nodes: [...simpleGraph().nodes, { id: 'orphan', type: 'exit', config: {} }],
        edges: simpleGraph().edges,
      },
    });
    expect(unpublishable).toMatchObject({ status: 422, body: { code: 'FLOW_INVALID' } });
    expect((unpublishable.body.errors as Json[]).map((e) => e.nodeId)).toContain('orphan');
  });

  it('lets viewers read and refuses them every write (403)', async () => {
    const id = await createFlow(a);
    await call(a, 'POST', `/${id}/publish`);
    for (const [path, method] of [
      ['', 'GET'],
      [`/${id}`, 'GET'],
      [`/${id}/versions`, 'GET'],
      [`/${id}/versions/1`, 'GET'],
      [`/${id}/versions/1/diff/draft`, 'GET'],
      [`/${id}/export`, 'GET'],
    ] as const) {
      expect({ path, status: (await call(a, method, path, undefined, 'viewer')).status }).toEqual({
        path,
        status: 200,
      });
    }
    const writes: Array<[string, 'POST' | 'PUT' | 'DELETE', unknown]> = [
      ['', 'POST', { name: 'x' }],
      ['/import', 'POST', { schemaVersion: 1, name: 'x', settings, graph: simpleGraph() }],
      [`/${id}/draft`, 'PUT', { revision: 2, graph: simpleGraph(), settings }],
      [`/${id}/publish`, 'POST', {}],
      [`/${id}/pause`, 'POST', {}],
      [`/${id}/resume`, 'POST', {}],
      [`/${id}/archive`, 'POST', {}],
      [`/${id}/duplicate`, 'POST', {}],
      [`/${id}/versions/1/rollback`, 'POST', {}],
      [`/${id}`, 'DELETE', undefined],
    ];
    for (const [path, method, body] of writes) {
      const res = await call(a, method, path, body, 'viewer');
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN_ROLE',
      });
    }
    expect((await call(a, 'GET', `/${id}`)).body).toMatchObject({ status: 'live', revision: 2 });
    // A secret site key acts as an editor (flows as code from CI).
    const viaKey = await t.request(url(a), { method: 'POST', token: a.secretKey, body: { name: 'From CI' } });
    expect(viaKey.status).toBe(201);
  });

  it('refuses to delete a flow with live runs when the runtime has runs', async () => {
    const { rows } = await db.query(`SELECT to_regclass('public.runs') IS NOT NULL AS exists`);
    const id = await createFlow(a);
    if (!rows[0].exists) {
      expect((await call(a, 'DELETE', `/${id}`)).status).toBe(204);
      return;
    }
    await call(a, 'POST', `/${id}/publish`);
    const { rows: cols } = await db.query<{
      column_name: string;
      is_nullable: string;
      column_default: string | null;
    }>(
      `SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'runs'`,
    );
    const required = cols
      .filter((c) => c.is_nullable === 'NO' && c.column_default === null)
      .map((c) => c.column_name);
    const sample: Record<string, unknown> = {
      site_id: a.siteId,
      flow_id: id,
      flow_version: 1,
      visitor_id: '00000000-0000-4000-8000-000000000001',
      trigger_event_id: 1,
      trigger_node_id: 'start',
      trigger_event: '{}',
      status: 'waiting',
    };
    if (!required.every((c) => c in sample)) return; // the runtime's schema moved on; its tests own this
    const names = required.concat(['status'].filter((c) => !required.includes(c)));
    await db.query(
      `INSERT INTO runs (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      names.map((n) => sample[n]),
    );
    expect(await call(a, 'DELETE', `/${id}`)).toMatchObject({ status: 409, body: { code: 'FLOW_HAS_RUNS' } });
    await db.query(`DELETE FROM runs WHERE site_id = $1 AND flow_id = $2`, [a.siteId, id]);
  });
});
