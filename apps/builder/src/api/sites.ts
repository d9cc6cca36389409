import { api, enc } from './client';

export interface Site {
  id: string;
  accountId: string;
  name: string;
  domain: string;
  timezone: string;
  retentionDays: number;
  createdAt: string;
  role?: string;
}

export interface SiteKey {
  id: string;
  kind: 'write' | 'secret';
  name: string;
  key: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreateSiteInput {
  name: string;
  domain: string;
  timezone: string;
  accountId?: string;
}

export const sitesApi = {
  list: () => api.get<Site[]>('/api/sites'),
  get: (siteId: string) => api.get<Site>(`/api/sites/${enc(siteId)}`),
  create: (input: CreateSiteInput) => api.post<Site & { writeKey: string }>('/api/sites', input),
  update: (siteId: string, input: Partial<Pick<Site, 'name' | 'domain' | 'timezone' | 'retentionDays'>>) =>
    api.patch<Site>(`/api/sites/${enc(siteId)}`, input),
  remove: (siteId: string) => api.delete(`/api/sites/${enc(siteId)}`),
  keys: (siteId: string) => api.get<SiteKey[]>(`/api/sites/${enc(siteId)}/keys`),
  createKey: (siteId: string, input: { kind: SiteKey['kind']; name: string }) =>
    api.post<SiteKey>(`/api/sites/${enc(siteId)}/keys`, input),
  rotateKey: (siteId: string, keyId: string) =>
    api.post<SiteKey>(`/api/sites/${enc(siteId)}/keys/${enc(keyId)}/rotate`),
  revokeKey: (siteId: string, keyId: string) => api.delete(`/api/sites/${enc(siteId)}/keys/${enc(keyId)}`),
};

export function embedSnippet(writeKey: string, origin = window.location.origin): string {
  return `<script async src="${origin}/embed.js" data-write-key="${writeKey}"></script>`;
}
