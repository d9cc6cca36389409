import { api, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type Site = Schema<'Site'>;
export type SiteKey = Schema<'SiteKey'>;
export type CreateSiteInput = RequestBody<'/api/sites', 'post'>;

/** `GET /api/sites/:id/identity` (editors and owners). */
export interface SiteIdentity {
  enabled: boolean;
  secret: string;
  previousSecretValidUntil: string | null;
}

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
  identity: (siteId: string) => api.get<SiteIdentity>(`/api/sites/${enc(siteId)}/identity`),
  setIdentity: (siteId: string, enabled: boolean) =>
    api.patch<SiteIdentity>(`/api/sites/${enc(siteId)}/identity`, { enabled }),
  rotateIdentity: (siteId: string, graceHours: number) =>
    api.post<SiteIdentity>(`/api/sites/${enc(siteId)}/identity/rotate`, { graceHours }),
};

export const SERVER_LANGUAGES = ['Node', 'PHP', 'Python', 'Ruby'] as const;
export type ServerLanguage = (typeof SERVER_LANGUAGES)[number];

/**
 * What the site's server runs for a signed-in user: the HMAC-SHA256 of the user id under the site's
 * identity secret, printed into the page for `nudgeflow.identify(userId, traits, {userHash})`. The
 * secret is read from the environment, never written into a page.
 */
export function serverIdentifySnippet(language: ServerLanguage): string {
  const page = `// In the page: nudgeflow.identify(userId, { email }, { userHash });`;
  switch (language) {
    case 'Node':
      return `const { createHmac } = require('node:crypto');
const userHash = createHmac('sha256', process.env.NUDGEFLOW_IDENTITY_SECRET)
  .update(String(user.id)).digest('hex');
${page}`;
    case 'PHP':
      return `<?php $userHash = hash_hmac('sha256', (string) $user->id, getenv('NUDGEFLOW_IDENTITY_SECRET')); ?>
<script>nudgeflow.identify(<?= json_encode((string) $user->id) ?>, {}, { userHash: '<?= $userHash ?>' });</script>`;
    case 'Python':
      return `import hashlib, hmac, os
user_hash = hmac.new(os.environ["NUDGEFLOW_IDENTITY_SECRET"].encode(),
                     str(user.id).encode(), hashlib.sha256).hexdigest()
${page.replace('//', '#')}`;
    case 'Ruby':
      return `require "openssl"
user_hash = OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("NUDGEFLOW_IDENTITY_SECRET"), user.id.to_s)
${page.replace('//', '#')}`;
  }
}

export function embedSnippet(writeKey: string, origin = window.location.origin): string {
  return `<script async src="${origin}/embed.js" data-write-key="${writeKey}"></script>`;
}
