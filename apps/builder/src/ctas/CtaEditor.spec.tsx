/** @jest-environment jsdom */
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { newCtaConfig, type CtaConfig } from '../api/ctas';
import { CtaEditor, type CtaDraft } from './CtaEditor';

function setup(config: CtaConfig = newCtaConfig(), canEdit = true) {
  const saves: CtaDraft[] = [];
  const view = render(
    <CtaEditor
      cta={{ id: 'offer', name: 'Spring offer', config }}
      canEdit={canEdit}
      onSave={(draft) => saves.push(draft)}
    />,
  );
  return { saves, ...view };
}

const section = (name: string) => screen.getByRole('region', { name });

describe('CtaEditor', () => {
  it('groups the settings in labelled sections', () => {
    setup();
    for (const name of ['A/B variants', 'Content', 'Design', 'Targeting', 'Frequency']) {
      expect(section(name)).toBeTruthy();
    }
    expect(within(section('Content')).getByLabelText('Headline')).toBeTruthy();
    expect(within(section('Design')).getByLabelText('Type')).toBeTruthy();
    expect(within(section('Targeting')).getByLabelText('Opens')).toBeTruthy();
    expect(within(section('Frequency')).getByLabelText('After a close, hide for (days)')).toBeTruthy();
    expect(within(section('A/B variants')).getByLabelText('Weight')).toBeTruthy();
  });

  it('shows a problem inline, next to its field, and will not save until it is fixed', () => {
    const { saves } = setup();
    const headline = within(section('Content')).getByLabelText('Headline');
    fireEvent.change(headline, { target: { value: '' } });
    fireEvent.change(within(section('Content')).getByLabelText('Body'), { target: { value: '' } });
    expect(headline.getAttribute('aria-invalid')).toBe('true');
    expect(within(section('Content')).getByRole('alert').textContent).toBe('Write a headline or a body');
    expect((screen.getByRole('button', { name: 'Save draft' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('1 problem to fix')).toBeTruthy();

    fireEvent.change(headline, { target: { value: 'Hello {{visitor.traits.first_name}}' } });
    expect(headline.getAttribute('aria-invalid')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(saves).toHaveLength(1);
    expect(saves[0].config.variants[0].content.headline).toBe('Hello {{visitor.traits.first_name}}');
  });

  it('asks for a selector when the CTA goes inline', () => {
    setup();
    fireEvent.change(within(section('Design')).getByLabelText('Type'), { target: { value: 'inline' } });
    const selector = within(section('Design')).getByLabelText(
      'Insert into (CSS selector)',
    ) as HTMLInputElement;
    expect(selector.value).toBe('#newsletter');
    fireEvent.change(selector, { target: { value: '' } });
    expect(within(section('Design')).getByRole('alert').textContent).toMatch(/needs a CSS selector/);
  });

  it('undoes the last change, then the one before', () => {
    setup();
    const undo = screen.getByRole('button', { name: 'Undo' }) as HTMLButtonElement;
    expect(undo.disabled).toBe(true);
    const days = within(section('Frequency')).getByLabelText(
      'After a close, hide for (days)',
    ) as HTMLInputElement;
    fireEvent.change(days, { target: { value: '3' } });
    fireEvent.change(within(section('Targeting')).getByLabelText('Visitors'), { target: { value: 'new' } });
    expect(screen.getByText('Unsaved changes')).toBeTruthy();

    fireEvent.click(undo);
    expect((within(section('Targeting')).getByLabelText('Visitors') as HTMLSelectElement).value).toBe('any');
    expect(days.value).toBe('3');
    fireEvent.click(undo);
    expect(days.value).toBe('7');
    expect(undo.disabled).toBe(true);
    expect(screen.getByText('Saved')).toBeTruthy();
  });

  it('adds an A/B variant and edits it on its own', () => {
    setup();
    const variants = section('A/B variants');
    fireEvent.click(within(variants).getByRole('button', { name: /Add a variant/ }));
    const tabs = within(variants).getAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['A 50%', 'Variant B 50%']);
    expect(tabs[1].getAttribute('aria-selected')).toBe('true');
    fireEvent.change(within(section('Content')).getByLabelText('Headline'), {
      target: { value: 'Variant B says hi' },
    });
    fireEvent.click(tabs[0]);
    expect((within(section('Content')).getByLabelText('Headline') as HTMLInputElement).value).toBe(
      'Get 10% off your first order',
    );
  });

  it('previews on desktop or mobile with the embed renderer', () => {
    setup();
    const device = screen.getByRole('radiogroup', { name: 'Preview device' });
    expect(screen.getByRole('img', { name: 'CTA preview on desktop' })).toBeTruthy();
    act(() => fireEvent.click(within(device).getByRole('radio', { name: 'Mobile' })));
    const frame = screen.getByRole('img', { name: 'CTA preview on mobile' });
    const host = frame.querySelector('.cta-preview__cta');
    // The renderer draws into the host's shadow root; the sample trait fills the token.
    expect(host?.shadowRoot?.textContent).toContain('Get 10% off your first order');
  });

  it('is read only for viewers', () => {
    setup(newCtaConfig(), false);
    expect(screen.queryByRole('button', { name: 'Save draft' })).toBeNull();
    expect(within(section('Content')).getByLabelText('Headline').matches(':disabled')).toBe(true);
  });
});
