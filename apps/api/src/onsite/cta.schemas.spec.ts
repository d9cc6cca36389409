import { CtaButtonSchema, isAllowedCtaUrl } from './cta.schemas';

describe('CTA URLs are checked as a browser reads them', () => {
  it.each([
    '/\\evil.com',
    '/\\\\evil.com',
    '\\\\evil.com',
    '\\/evil.com',
    '//evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\\evil.com',
    'javascript:alert(1)',
    'data:text/html,x',
    'evil.com/path',
    'ftp://evil.com',
    'https://',
    'http:/\\',
  ])('refuses %j', (url) => {
    expect(isAllowedCtaUrl(url)).toBe(false);
    expect(CtaButtonSchema.safeParse({ label: 'Go', action: 'url', url }).success).toBe(false);
  });

  it.each([
    '/pricing',
    '/pricing?plan=pro#top',
    '/a/b/../c',
    '/%5Cevil.com',
    'https://example.com/x',
    'HTTP://Example.com',
  ])('accepts %j', (url) => {
    expect(isAllowedCtaUrl(url)).toBe(true);
    expect(CtaButtonSchema.safeParse({ label: 'Go', action: 'url', url }).success).toBe(true);
  });
});
