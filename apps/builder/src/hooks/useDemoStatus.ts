import { useQuery } from '@tanstack/react-query';

export interface DemoStatus {
  siteId: string;
  traffic: boolean;
  stop: string;
}

/**
 * `npm run demo` serves `/demo-shop/status.json` (the demo site, whether simulated visitors run); any
 * other deployment answers 404 there, and the builder shows no demo banner.
 */
export function useDemoStatus() {
  return useQuery({
    queryKey: ['demo-status'],
    queryFn: async (): Promise<DemoStatus | null> => {
      const res = await fetch('/demo-shop/status.json', { headers: { accept: 'application/json' } });
      if (!res.ok || !res.headers.get('content-type')?.includes('json')) return null;
      return (await res.json()) as DemoStatus;
    },
    staleTime: Infinity,
    retry: false,
  });
}
