import { useQuery } from '@tanstack/react-query';
import { flowsApi } from '../api/flows';

export const LIVE_COUNTS_INTERVAL_MS = 5000;

/** Per-node counts for the canvas overlay, polled while the flow has a published version. */
export function useLiveCounts(siteId: string, flowId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['flow-stats', siteId, flowId],
    queryFn: ({ signal }) => flowsApi.stats(siteId, flowId, signal),
    enabled,
    refetchInterval: LIVE_COUNTS_INTERVAL_MS,
    refetchIntervalInBackground: false,
    retry: false,
  });
}
