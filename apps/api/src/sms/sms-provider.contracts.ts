import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';

/** The site's SMS provider; the auth token is never returned. */
export const SmsProvider = contract(
  'SmsProvider',
  z.object({
    baseUrl: z.string(),
    accountSid: z.string(),
    fromNumber: z.string(),
    authTokenSet: z.boolean(),
    updatedAt: isoDate(),
  }),
);
