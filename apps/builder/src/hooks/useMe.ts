import { useQuery } from '@tanstack/react-query';
import { authApi } from '../api/auth';
import { useAuthStore } from '../state/auth-store';

export const ME_KEY = ['me'] as const;

export function useMe() {
  const signedIn = useAuthStore((state) => state.status === 'signed-in');
  return useQuery({ queryKey: ME_KEY, queryFn: authApi.me, enabled: signedIn });
}
