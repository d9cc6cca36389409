import { useQuery } from '@tanstack/react-query';
import { visitorsApi } from '../api/visitors';

const POLL_MS = 2_000;

/**
 * Whether the site has received its first event (a visitor exists once the first page view is folded):
 * polls every two seconds until it has, then stops.
 */
export function useInstallCheck(siteId: string | undefined) {
  const query = useQuery({
    queryKey: ['install-check', siteId],
    queryFn: () => visitorsApi.latest(siteId ?? ''),
    enabled: !!siteId,
    refetchInterval: (q) => ((q.state.data?.items.length ?? 0) > 0 ? false : POLL_MS),
  });
  return {
    received: (query.data?.items.length ?? 0) > 0,
    checking: query.isPending,
    error: query.error,
  };
}
