import { CtaConfigSchema } from './cta.schemas';
import { renderVariant, sanitizeBody } from './cta-render';

describe('CTA rendering', () => {
  it('strips scripts, handlers, styles and unsafe URLs from bodies', () => {
    const html = sanitizeBody(
      '<p style="x" onclick="a()">ok</p><script>alert(1)</script><iframe src="//x"></iframe>' +
        '<a href="javascript:alert(1)">j</a><img src="data:text/html,x" onerror="b()"><a href="https://e.com" target="x">e</a>',
    );
    expect(html).not.toMatch(/script|onclick|onerror|iframe|style=|javascript|data:/i);
    expect(html).toContain('<p>ok</p>');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  it('escapes visitor data in body tokens and keeps headlines as text', () => {
    const config = CtaConfigSchema.parse({
      kind: 'modal',
      variants: [
        {
          id: 'a',
          content: { headline: 'Hi {{visitor.traits.name}}', body: '<b>{{visitor.traits.name}}</b>' },
        },
      ],
    });
    const out = renderVariant('c', config, config.variants[0], {
      visitor: { traits: { name: '<img src=x onerror=alert(1)>' }, tags: [] },
    });
    expect(out.content.body).toBe('<b>&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;</b>');
    expect(out.content.headline).toBe('Hi <img src=x onerror=alert(1)>');
    expect(out).toMatchObject({ id: 'c', variantId: 'a', kind: 'modal' });
  });

  it('sanitises again after filling when a token sits inside a tag', () => {
    const config = CtaConfigSchema.parse({
      kind: 'bar',
      variants: [
        { id: 'a', content: { body: '<a href="{{visitor.traits.site}}">me</a> {{visitor.traits.site}}' } },
      ],
    });
    const out = renderVariant('c', config, config.variants[0], {
      visitor: { traits: { site: 'javascript:alert(1)' }, tags: [] },
    });
    expect(out.content.body).not.toMatch(/href="javascript/i);
    expect(out.content.body).toContain('me');
  });
});
