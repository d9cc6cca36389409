import { newCtaConfig } from '../api/ctas';
import { CTA_TEMPLATES, galleryKindOf, GALLERY_KINDS, templatesOfKind } from './cta-templates';
import { apiProblem, ctaProblems } from './cta-validation';

describe('ctaProblems', () => {
  it('finds nothing wrong with a new CTA or any gallery template', () => {
    expect(ctaProblems('Offer', newCtaConfig())).toEqual({});
    for (const t of CTA_TEMPLATES) expect([t.id, ctaProblems(t.name, t.config)]).toEqual([t.id, {}]);
  });

  it('names each problem by its field', () => {
    const config = newCtaConfig('inline');
    config.display = { trigger: 'click' };
    config.variants[0].weight = 0;
    config.variants[0].content.headline = '';
    config.variants[0].content.body = '';
    config.variants[0].content.imageUrl = 'javascript:alert(1)';
    config.variants[0].content.buttons = [{ label: '', action: 'url', url: 'ftp://x' }];
    config.variants[0].style.background = 'url(x)';
    config.caps.hideAfterCloseDays = 91;
    expect(Object.keys(ctaProblems(' ', config)).sort()).toEqual(
      [
        'caps.hideAfterCloseDays',
        'display.selector',
        'name',
        'selector',
        'variants',
        'variants.0.content.buttons.0.label',
        'variants.0.content.buttons.0.url',
        'variants.0.content.headline',
        'variants.0.content.imageUrl',
        'variants.0.style.background',
      ].sort(),
    );
  });

  it('maps an API validation error to its field', () => {
    expect(
      apiProblem(
        'config.variants.0.content.imageUrl',
        'config.variants.0.content.imageUrl: Use an http(s) URL',
      ),
    ).toEqual({
      'variants.0.content.imageUrl': 'Use an http(s) URL',
    });
    expect(apiProblem(undefined, 'Something broke')).toEqual({ form: 'Something broke' });
  });
});

describe('the gallery', () => {
  it('has templates for every kind, each recognised as its kind', () => {
    for (const { kind } of GALLERY_KINDS) {
      expect([kind, templatesOfKind(kind).length > 0]).toEqual([kind, true]);
      for (const t of templatesOfKind(kind)) expect(galleryKindOf(t.config)).toBe(kind);
    }
  });
});
