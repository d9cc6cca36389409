import { parseTemplate } from './template-syntax';

describe('parseTemplate', () => {
  it('parses values and sections', () => {
    const result = parseTemplate('Hi {{visitor.traits.name}}{{#event}}!{{/event}}{{^x}}?{{/x}}');
    expect(result).toEqual({
      ok: true,
      nodes: [
        { kind: 'text', text: 'Hi ' },
        { kind: 'value', name: 'visitor.traits.name', inJsonString: false },
        { kind: 'section', name: 'event', inverted: false, children: [{ kind: 'text', text: '!' }] },
        { kind: 'section', name: 'x', inverted: true, children: [{ kind: 'text', text: '?' }] },
      ],
    });
  });

  it('reports syntax errors, unescaped output and partials', () => {
    expect(parseTemplate('{{#a}}open').ok).toBe(false);
    expect(parseTemplate('{{{raw}}}').ok).toBe(false);
    expect(parseTemplate('{{&raw}}').ok).toBe(false);
    expect(parseTemplate('{{>partial}}').ok).toBe(false);
  });

  it('marks JSON string context and checks the JSON shape', () => {
    const result = parseTemplate('{"name": "{{a}}", "count": {{b}}, "q": "say \\"{{c}}\\""}', 'json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const values = result.nodes.filter((node) => node.kind === 'value');
    expect(values.map((node) => node.kind === 'value' && node.inJsonString)).toEqual([true, false, true]);
    expect(parseTemplate('{"name": {{a}}', 'json').ok).toBe(false);
    expect(parseTemplate('{"name": "{{a}}}', 'json').ok).toBe(false);
    expect(parseTemplate('{"a": "{{#s}}"{{/s}}"}', 'json').ok).toBe(false);
  });
});
