import { api, enc, request, type TokenResponse } from './client';

export type Role = 'owner' | 'editor' | 'viewer';

export interface Me {
  user: { id: string; email: string; name: string };
  accounts: { id: string; name: string; role: Role }[];
  sites: { id: string; accountId: string; name: string; domain: string; role: Role }[];
}

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  accountName?: string;
}

export const authApi = {
  signup: (input: SignupInput) =>
    request<TokenResponse>('POST', '/api/auth/signup', { body: input, anonymous: true }),
  login: (input: { email: string; password: string }) =>
    request<TokenResponse>('POST', '/api/auth/login', { body: input, anonymous: true }),
  logout: () => api.post<void>('/api/auth/logout'),
  me: () => api.get<Me>('/api/me'),
};

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  since?: string;
}

export const membersApi = {
  list: (accountId: string) => api.get<Member[]>(`/api/accounts/${enc(accountId)}/members`),
  add: (accountId: string, input: { email: string; role: Role }) =>
    api.post<Member>(`/api/accounts/${enc(accountId)}/members`, input),
  changeRole: (accountId: string, userId: string, role: Role) =>
    api.patch<{ userId: string; role: Role }>(`/api/accounts/${enc(accountId)}/members/${enc(userId)}`, {
      role,
    }),
  remove: (accountId: string, userId: string) =>
    api.delete(`/api/accounts/${enc(accountId)}/members/${enc(userId)}`),
};

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
