import { api, enc, request, type TokenResponse } from './client';
import type { RequestBody, Schema } from './contract';

export type Role = Schema<'Member'>['role'];
export type Me = Schema<'Me'>;
export type SignupInput = RequestBody<'/api/auth/signup', 'post'>;
export type Member = Schema<'Member'>;

export const authApi = {
  signup: (input: SignupInput) =>
    request<TokenResponse>('POST', '/api/auth/signup', { body: input, anonymous: true }),
  login: (input: RequestBody<'/api/auth/login', 'post'>) =>
    request<TokenResponse>('POST', '/api/auth/login', { body: input, anonymous: true }),
  logout: () => api.post<void>('/api/auth/logout'),
  me: () => api.get<Me>('/api/me'),
};

export const membersApi = {
  list: (accountId: string) => api.get<Member[]>(`/api/accounts/${enc(accountId)}/members`),
  add: (accountId: string, input: { email: string; role: Role }) =>
    api.post<Member>(`/api/accounts/${enc(accountId)}/members`, input),
  changeRole: (accountId: string, userId: string, role: Role) =>
    api.patch<Schema<'MemberRole'>>(`/api/accounts/${enc(accountId)}/members/${enc(userId)}`, {
      role,
    }),
  remove: (accountId: string, userId: string) =>
    api.delete(`/api/accounts/${enc(accountId)}/members/${enc(userId)}`),
};

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
