import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { flowsApi } from '../api/flows';

/** `/sites/:siteId/flows/:flowId`: the flow editor's route. */
export const FLOW_PATH = /^\/sites\/([^/]+)\/flows\/([^/]+)\/?$/;

/**
 * On the editor's route, starts loading the flow as soon as the session is known, in parallel with the
 * user's sites and the editor's code (the editor's own query then finds it in the cache).
 */
export function usePrefetchFlow(pathname: string): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const match = FLOW_PATH.exec(pathname);
    if (!match) return;
    const [, siteId = '', flowId = ''] = match;
    void queryClient.prefetchQuery({
      queryKey: ['flow', siteId, flowId],
      queryFn: () => flowsApi.get(siteId, flowId),
      staleTime: Infinity,
    });
  }, [pathname, queryClient]);
}
