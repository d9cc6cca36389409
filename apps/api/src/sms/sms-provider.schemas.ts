import { z } from 'zod';

export const putSmsProviderSchema = z.strictObject({
  /** The provider's API origin, e.g. https://api.twilio.com (checked against the outbound guard). */
  baseUrl: z
    .string()
    .trim()
    .max(2048)
    .regex(/^https?:\/\/[^/?#]+\/?$/i, 'must be an http(s) origin such as https://api.twilio.com'),
  accountSid: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"'),
  /** Stored encrypted; omit it to keep the stored one. */
  authToken: z.string().min(1).max(256).optional(),
  fromNumber: z
    .string()
    .trim()
    .regex(
      /^(\+[1-9]\d{6,14}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/,
      'an E.164 number (+15005550006) or an alphanumeric sender id (up to 11 characters, with a letter)',
    ),
});
export type PutSmsProviderInput = z.output<typeof putSmsProviderSchema>;
