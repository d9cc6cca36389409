import { randomUUID } from 'node:crypto';
import type { Role } from '../../apps/api/src/common/roles';
import type { TestApi } from './processes';

export interface Tenant {
  accountId: string;
  siteId: string;
  tokens: Record<Role, string>;
  emails: Record<Role, string>;
  writeKey: string;
  secretKey: string;
  secretKeyId: string;
}

export const PASSWORD = 'correct-horse-battery';

async function signup(t: TestApi, email: string, name: string) {
  const res = await t.request('/api/auth/signup', {
    method: 'POST',
    body: { email, password: PASSWORD, name },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.raw}`);
  return res.body as { accessToken: string; accountId: string; user: { id: string } };
}

/**
 * One account with a site, a user of each role, a write key and a secret key. Two of these make the
 * tenant-isolation harness: everything one can reach, the other must not.
 *
 * Identity verification is off unless asked for: most suites send userIds with the write key, as a
 * site without a backend does (test/onsite/identity.e2e-spec.ts covers the default-on path).
 */
export async function createTenant(
  t: TestApi,
  label: string,
  opts: { identityVerification?: boolean } = {},
): Promise<Tenant> {
  const tag = `${label}-${randomUUID().slice(0, 8)}`;
  const emails = {
    owner: `owner-${tag}@example.com`,
    editor: `editor-${tag}@example.com`,
    viewer: `viewer-${tag}@example.com`,
  };
  const owner = await signup(t, emails.owner, `Owner ${label}`);
  const editor = await signup(t, emails.editor, `Editor ${label}`);
  const viewer = await signup(t, emails.viewer, `Viewer ${label}`);
  for (const [email, role] of [
    [emails.editor, 'editor'],
    [emails.viewer, 'viewer'],
  ]) {
    const res = await t.request(`/api/accounts/${owner.accountId}/members`, {
      method: 'POST',
      token: owner.accessToken,
      body: { email, role },
    });
    if (res.status !== 201) throw new Error(`add member failed: ${res.status} ${res.raw}`);
  }
  const site = await t.request('/api/sites', {
    method: 'POST',
    token: owner.accessToken,
    body: {
      name: `Site ${tag}`,
      domain: `${tag}.example.com`,
      timezone: 'Europe/Paris',
      identityVerification: opts.identityVerification ?? false,
    },
  });
  if (site.status !== 201) throw new Error(`create site failed: ${site.status} ${site.raw}`);
  const siteId = site.body.id as string;
  const secret = await t.request(`/api/sites/${siteId}/keys`, {
    method: 'POST',
    token: owner.accessToken,
    body: { kind: 'secret', name: 'server' },
  });
  return {
    accountId: owner.accountId,
    siteId,
    tokens: { owner: owner.accessToken, editor: editor.accessToken, viewer: viewer.accessToken },
    emails,
    writeKey: site.body.writeKey as string,
    secretKey: secret.body.key as string,
    secretKeyId: secret.body.id as string,
  };
}
