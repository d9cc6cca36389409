import { create } from 'zustand';

export type AuthStatus = 'unknown' | 'signed-in' | 'signed-out';

interface AuthState {
  /** Kept in memory only; the refresh token lives in an http-only cookie. */
  accessToken: string | null;
  status: AuthStatus;
  setAccessToken: (token: string) => void;
  clear: () => void;
}

export const useAuthStore = create<AuthState>((set) => ({
  accessToken: null,
  status: 'unknown',
  setAccessToken: (accessToken) => set({ accessToken, status: 'signed-in' }),
  clear: () => set({ accessToken: null, status: 'signed-out' }),
}));
