/** @jest-environment jsdom */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { SmsProvider } from '../api/sms-provider';
import { smsProviderApi } from '../api/sms-provider';
import { SmsProviderSettings } from './SmsProviderSettings';

jest.mock('../hooks/useCurrentSite', () => ({
  useCurrentSite: () => ({ siteId: 's1', canEdit: true }),
}));
let stored: SmsProvider | null = null;
jest.mock('../api/sms-provider', () => ({
  smsProviderApi: {
    get: jest.fn(async () => stored),
    put: jest.fn(
      async (_site: string, input: { baseUrl: string; accountSid: string; fromNumber: string }) => {
        stored = { ...input, authTokenSet: true, updatedAt: '2026-12-07T08:00:00.000Z' };
        return stored;
      },
    ),
    remove: jest.fn(async () => {
      stored = null;
    }),
  },
}));

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <SmsProviderSettings />
    </QueryClientProvider>,
  );
}

describe('SMS provider settings', () => {
  beforeEach(() => {
    stored = null;
    jest.clearAllMocks();
  });

  it('saves a new provider with its token, then shows it configured', async () => {
    renderPage();
    expect(await screen.findByText(/No SMS provider yet/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('API base URL'), { target: { value: 'http://127.0.0.1:4010' } });
    fireEvent.change(screen.getByLabelText('Account SID'), { target: { value: 'AC1' } });
    fireEvent.change(screen.getByLabelText('Auth token'), { target: { value: 'tok' } });
    fireEvent.change(screen.getByLabelText('From number'), { target: { value: '+15005550006' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save provider' }));
    await waitFor(() =>
      expect(smsProviderApi.put).toHaveBeenCalledWith('s1', {
        baseUrl: 'http://127.0.0.1:4010',
        accountSid: 'AC1',
        authToken: 'tok',
        fromNumber: '+15005550006',
      }),
    );
    expect(
      await screen.findByText(/Sending from \+15005550006 through http:\/\/127.0.0.1:4010/),
    ).toBeTruthy();
  });

  it('keeps the saved token when the field is left empty', async () => {
    stored = {
      baseUrl: 'https://api.twilio.com',
      accountSid: 'AC9',
      fromNumber: '+15005550006',
      authTokenSet: true,
      updatedAt: '2026-12-07T08:00:00.000Z',
    };
    renderPage();
    const from = await screen.findByDisplayValue('+15005550006');
    fireEvent.change(from, { target: { value: '+15005550007' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save provider' }));
    await waitFor(() => expect(smsProviderApi.put).toHaveBeenCalled());
    expect(smsProviderApi.put).toHaveBeenCalledWith('s1', {
      baseUrl: 'https://api.twilio.com',
      accountSid: 'AC9',
      fromNumber: '+15005550007',
    });
  });
});
