import { z } from 'zod';

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Paris');

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be a host name like shop.example.com',
  );

export const createSiteSchema = z.object({
  accountId: z.uuid().optional(),
  name: z.string().trim().min(1).max(100),
  domain,
  timezone: timezone.default('UTC'),
  /** On unless turned off: browser userIds must carry a valid hash (see site-identity.service.ts). */
  identityVerification: z.boolean().default(true),
});
export type CreateSiteInput = z.infer<typeof createSiteSchema>;

export const updateSiteSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    domain,
    timezone,
    retentionDays: z.number().int().min(1).max(3650),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');
export type UpdateSiteInput = z.infer<typeof updateSiteSchema>;

export const createKeySchema = z.object({
  kind: z.enum(['write', 'secret']),
  name: z.string().trim().min(1).max(100),
});

export const identitySettingsSchema = z.object({ enabled: z.boolean() });

export const rotateIdentitySecretSchema = z.object({
  /** How long hashes made with the old secret keep verifying (0: not at all). */
  graceHours: z.number().int().min(0).max(720).default(24),
});
