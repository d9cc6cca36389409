/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { TabbedPage } from './TabbedPage';

const TABS = [
  { id: 'endpoints', label: 'Endpoints' },
  { id: 'log', label: 'Delivery log' },
] as const;

describe('TabbedPage', () => {
  it('heads the page, marks the current tab and labels its panel by it', () => {
    const onSelect = jest.fn();
    render(
      <TabbedPage
        title="Webhooks"
        siteName="Mia shop"
        label="Webhook sections"
        tabs={TABS}
        current="log"
        onSelect={onSelect}
        panelClassName="sections"
      >
        <p>the log</p>
      </TabbedPage>,
    );
    expect(screen.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeTruthy();
    expect(screen.getByText('Mia shop')).toBeTruthy();
    expect(screen.getByRole('tablist', { name: 'Webhook sections' })).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'Delivery log' }).getAttribute('aria-selected')).toBe('true');
    const panel = screen.getByRole('tabpanel', { name: 'Delivery log' });
    expect([panel.id, panel.className, panel.textContent]).toEqual(['panel-log', 'sections', 'the log']);
    fireEvent.click(screen.getByRole('tab', { name: 'Endpoints' }));
    expect(onSelect).toHaveBeenCalledWith('endpoints');
  });

  it('gives the panel no class unless asked', () => {
    render(
      <TabbedPage title="Settings" siteName="s" label="l" tabs={TABS} current="endpoints" onSelect={() => {}}>
        x
      </TabbedPage>,
    );
    expect(screen.getByRole('tabpanel').hasAttribute('class')).toBe(false);
  });
});
