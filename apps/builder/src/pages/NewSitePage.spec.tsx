/** @jest-environment jsdom */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import type { Me } from '../api/auth';
import { AppShell } from '../components/AppShell';
import { useAuthStore } from '../state/auth-store';
import { NewSitePage } from './NewSitePage';
import { SiteSetupPage } from './SiteSetupPage';

const me: Me = {
  user: { id: 'u1', email: 'sam@example.com', name: 'Sam' },
  accounts: [{ id: 'a1', name: 'Sam co', role: 'owner' }],
  sites: [{ id: 'old', accountId: 'a1', name: 'Old shop', domain: 'old.example.com', role: 'owner' }],
};

jest.mock('../api/auth', () => ({
  ...jest.requireActual('../api/auth'),
  authApi: { me: jest.fn(async () => ({ ...me, sites: [...me.sites] })), logout: jest.fn() },
}));
jest.mock('../api/sites', () => ({
  ...jest.requireActual('../api/sites'),
  sitesApi: {
    create: jest.fn(async (input: { name: string; domain: string }) => {
      const site = {
        id: 'new',
        accountId: 'a1',
        name: input.name,
        domain: input.domain,
        role: 'owner' as const,
      };
      me.sites.push(site);
      return { ...site, timezone: 'UTC', retentionDays: 90, createdAt: '', writeKey: 'nf_wk_test' };
    }),
    keys: jest.fn(async () => []),
    identity: jest.fn(async () => ({ enabled: true, secret: 'nf_is_test', previousSecretValidUntil: null })),
  },
}));
jest.mock('../api/visitors', () => ({ visitorsApi: { latest: jest.fn(async () => ({ items: [] })) } }));

function Path() {
  return <output aria-label="Path">{useLocation().pathname}</output>;
}

beforeAll(() => {
  // The demo banner's status: not a demo deployment.
  globalThis.fetch = jest.fn(async () => ({
    ok: false,
    status: 404,
    headers: new Headers(),
  })) as unknown as typeof fetch;
  useAuthStore.getState().setAccessToken('token');
});

describe('creating a site', () => {
  it('selects the new site in the sidebar picker and shows its set-up', async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={['/sites/new']}>
          <Routes>
            <Route element={<AppShell />}>
              <Route path="/sites/new" element={<NewSitePage />} />
              <Route path="/sites/:siteId/setup" element={<SiteSetupPage />} />
            </Route>
          </Routes>
          <Path />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const picker = (await screen.findByLabelText('Site')) as HTMLSelectElement;
    await screen.findByRole('option', { name: 'Old shop (old.example.com)' });
    expect(picker.value).toBe('__new__');

    fireEvent.change(await screen.findByLabelText('Site name'), { target: { value: 'Sam shop' } });
    fireEvent.change(screen.getByLabelText('Domain'), { target: { value: 'https://shop.sam.example.com/' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create site' }));

    await screen.findByRole('heading', { name: 'Sam shop is ready' });
    expect(screen.getByLabelText('Path').textContent).toBe('/sites/new/setup');
    expect(picker.value).toBe('new');
    expect(picker.selectedOptions[0]?.textContent).toBe('Sam shop (shop.sam.example.com)');
    expect(screen.getByRole('navigation', { name: 'Site sections' })).toBeTruthy();
    expect(screen.getByLabelText('Embed snippet').textContent).toContain('data-write-key="nf_wk_test"');
    await waitFor(() => expect(screen.getByRole('status', { name: 'Install check' })).toBeTruthy());
  });
});
