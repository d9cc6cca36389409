import { api, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type Site = Schema<'Site'>;
export type SiteKey = Schema<'SiteKey'>;
export type CreateSiteInput = RequestBody<'/api/sites', 'post'>;

export const sitesApi = {
  list: () => api.get<Site[]>('/api/sites'),
  get: (siteId: string) => api.get<Site>(`/api/sites/${enc(siteId)}`),
  create: (input: CreateSiteInput) => api.post<Schema<'CreatedSite'>>('/api/sites', input),
  update: (siteId: string, input: RequestBody<'/api/sites/{siteId}', 'patch'>) =>
    api.patch<Site>(`/api/sites/${enc(siteId)}`, input),
  remove: (siteId: string) => api.delete(`/api/sites/${enc(siteId)}`),
  keys: (siteId: string) => api.get<SiteKey[]>(`/api/sites/${enc(siteId)}/keys`),
  createKey: (siteId: string, input: RequestBody<'/api/sites/{siteId}/keys', 'post'>) =>
    api.post<SiteKey>(`/api/sites/${enc(siteId)}/keys`, input),
  rotateKey: (siteId: string, keyId: string) =>
    api.post<SiteKey>(`/api/sites/${enc(siteId)}/keys/${enc(keyId)}/rotate`),
  revokeKey: (siteId: string, keyId: string) => api.delete(`/api/sites/${enc(siteId)}/keys/${enc(keyId)}`),
};

export function embedSnippet(writeKey: string, origin = window.location.origin): string {
  return `<script async src="${origin}/embed.js" data-write-key="${writeKey}"></script>`;
}
