import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';
import { ROLES } from '../common/roles';

export const Site = contract(
  'Site',
  z.object({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    domain: z.string(),
    timezone: z.string(),
    retentionDays: z.number(),
    /** Browser userIds count only with the site server's HMAC (`userHash`). */
    identityVerification: z.boolean(),
    createdAt: isoDate(),
    /** In lists: the caller's role on the site. */
    role: z.enum(ROLES).optional(),
  }),
);

/** A new site with its first write key, so the embed snippet works right away. */
export const CreatedSite = contract('CreatedSite', Site.extend({ writeKey: z.string() }));

export const SiteKey = contract(
  'SiteKey',
  z.object({
    id: z.string(),
    kind: z.enum(['write', 'secret']),
    name: z.string(),
    /** The whole key for write keys and at creation; masked for secret keys afterwards. */
    key: z.string(),
    createdAt: isoDate(),
    revokedAt: isoDate().nullable(),
  }),
);
