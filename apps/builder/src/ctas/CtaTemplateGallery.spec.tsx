/** @jest-environment jsdom */
import { fireEvent, render, screen, within } from '@testing-library/react';
import { CtaTemplateGallery } from './CtaTemplateGallery';
import type { CtaTemplate } from './cta-templates';

describe('CtaTemplateGallery', () => {
  it('has a tab per kind and shows that kind’s templates', () => {
    render(<CtaTemplateGallery onPick={() => undefined} />);
    const tabs = screen.getByRole('tablist', { name: 'CTA kinds' });
    expect(
      within(tabs)
        .getAllByRole('tab')
        .map((t) => t.textContent),
    ).toEqual(['Popup', 'Sticky bar', 'Slide-in', 'Inline form', 'Welcome mat']);
    expect(screen.getByRole('list', { name: 'Popup templates' })).toBeTruthy();
    fireEvent.click(within(tabs).getByRole('tab', { name: 'Sticky bar' }));
    const bars = screen.getByRole('list', { name: 'Sticky bar templates' });
    expect(within(bars).getAllByRole('listitem').length).toBeGreaterThan(0);
    expect(screen.queryByRole('list', { name: 'Popup templates' })).toBeNull();
  });

  it('hands the chosen template, with its defaults, to the caller', () => {
    const picked: CtaTemplate[] = [];
    render(<CtaTemplateGallery onPick={(t) => picked.push(t)} />);
    fireEvent.click(screen.getByRole('tab', { name: 'Welcome mat' }));
    fireEvent.click(screen.getByRole('button', { name: 'Use template First-visit welcome mat' }));
    expect(picked).toHaveLength(1);
    expect(picked[0].config.kind).toBe('modal');
    expect(picked[0].config.targeting.visitorType).toBe('new');
    expect(picked[0].config.variants[0].style.width).toBe(2000);
  });

  it('moves between kinds with the arrow keys', () => {
    render(<CtaTemplateGallery onPick={() => undefined} />);
    const tabs = screen.getByRole('tablist', { name: 'CTA kinds' });
    within(tabs).getByRole('tab', { name: 'Popup' }).focus();
    fireEvent.keyDown(tabs, { key: 'ArrowRight' });
    expect(document.activeElement?.textContent).toBe('Sticky bar');
    expect(screen.getByRole('list', { name: 'Sticky bar templates' })).toBeTruthy();
    fireEvent.keyDown(tabs, { key: 'ArrowLeft' });
    fireEvent.keyDown(tabs, { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'Welcome mat' }).getAttribute('aria-selected')).toBe('true');
  });

  it('disables the choice while a CTA is being created', () => {
    render(<CtaTemplateGallery busy onPick={() => undefined} />);
    for (const button of screen.getAllByRole('button', { name: /^Use template / })) {
      expect((button as HTMLButtonElement).disabled).toBe(true);
    }
  });
});
