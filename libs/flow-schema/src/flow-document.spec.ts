import { diffGraphs, parseFlowDocument, serializeFlowDocument } from './flow-document';
import { DEFAULT_FLOW_SETTINGS, FlowGraph } from './flow-graph.schema';
import { FLOW_TEMPLATES } from './flow-templates';

describe('flow documents', () => {
  const template = FLOW_TEMPLATES[0]!;
  const document = {
    schemaVersion: 1,
    name: template.name,
    settings: template.settings,
    graph: template.graph,
  };

  it('round-trips through stable JSON', () => {
    const json = serializeFlowDocument(document);
    const parsed = parseFlowDocument(json);
    expect(parsed).toEqual({ ok: true, document });
    expect(serializeFlowDocument(document)).toBe(json);
    expect(json.endsWith('\n')).toBe(true);
  });

  it('applies settings defaults', () => {
    const parsed = parseFlowDocument({
      schemaVersion: 1,
      name: 'x',
      settings: {},
      graph: { nodes: [], edges: [] },
    });
    expect(parsed.ok && parsed.document.settings).toEqual(DEFAULT_FLOW_SETTINGS);
  });

  it('reports bad JSON, versions and shapes with codes', () => {
    expect(parseFlowDocument('{nope')).toMatchObject({ ok: false, errors: [{ code: 'INVALID_JSON' }] });
    expect(parseFlowDocument({ ...document, schemaVersion: 2 })).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_SCHEMA_VERSION', path: ['schemaVersion'] }],
    });
    const broken = parseFlowDocument({
      ...document,
      graph: { nodes: [{ id: 'x', type: 'show_cta', config: {} }], edges: [] },
    });
    expect(broken).toMatchObject({
      ok: false,
      errors: [{ code: 'INVALID_DOCUMENT', path: ['graph', 'nodes', 0, 'config', 'ctaId'] }],
    });
  });
});

describe('diffGraphs', () => {
  const base: FlowGraph = {
    nodes: [
      { id: 't', type: 'trigger_event', config: { event: 'a', filters: [] }, position: { x: 0, y: 0 } },
      { id: 's', type: 'show_cta', config: { ctaId: 'c1' } },
      { id: 'x', type: 'exit', config: {} },
    ],
    edges: [{ id: 'e1', source: 't', sourceHandle: 'next', target: 's' }],
  };

  it('finds nothing between equal graphs, regardless of key order', () => {
    const reordered: FlowGraph = {
      nodes: [...base.nodes].reverse().map((node) => JSON.parse(JSON.stringify(node))),
      edges: base.edges,
    };
    expect(diffGraphs(base, reordered)).toMatchObject({ identical: true, layoutOnly: false });
  });

  it('lists added, removed and changed nodes and edges', () => {
    const next: FlowGraph = {
      nodes: [
        { id: 't', type: 'trigger_event', config: { event: 'b', filters: [] }, position: { x: 5, y: 0 } },
        { id: 's', type: 'show_cta', config: { ctaId: 'c1' }, label: 'Show' },
        { id: 'y', type: 'exit', config: {} },
      ],
      edges: [
        { id: 'e1', source: 't', sourceHandle: 'next', target: 'y' },
        { id: 'e2', source: 's', sourceHandle: 'next', target: 'y' },
      ],
    };
    const diff = diffGraphs(base, next);
    expect(diff.nodes.added.map((n) => n.id)).toEqual(['y']);
    expect(diff.nodes.removed.map((n) => n.id)).toEqual(['x']);
    expect(diff.nodes.changed.map((c) => [c.id, c.fields])).toEqual([
      ['t', ['config', 'position']],
      ['s', ['label']],
    ]);
    expect(diff.edges.added.map((e) => e.id)).toEqual(['e2']);
    expect(diff.edges.changed.map((c) => [c.id, c.fields])).toEqual([['e1', ['target']]]);
    expect(diff.identical).toBe(false);
    expect(diff.layoutOnly).toBe(false);
  });

  it('flags layout-only edits', () => {
    const moved: FlowGraph = { ...base, nodes: base.nodes.map((n) => ({ ...n, position: { x: 9, y: 9 } })) };
    expect(diffGraphs(base, moved)).toMatchObject({ layoutOnly: true, identical: false });
  });
});
