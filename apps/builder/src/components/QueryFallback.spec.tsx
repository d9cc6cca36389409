/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { QueryFallback } from './EmptyState';

describe('QueryFallback', () => {
  it('shows the loading label while the query is pending', () => {
    const refetch = jest.fn(async () => undefined);
    render(<QueryFallback query={{ isError: false, error: null, refetch }} loading="Loading keys…" />);
    expect(screen.getByRole('status').textContent).toContain('Loading keys…');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the error with a retry that refetches once it failed', () => {
    const refetch = jest.fn(async () => undefined);
    render(
      <QueryFallback
        query={{ isError: true, error: new Error('site not found'), refetch }}
        loading="Loading…"
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('site not found');
    expect(screen.queryByRole('status')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(refetch).toHaveBeenCalledTimes(1);
  });
});
