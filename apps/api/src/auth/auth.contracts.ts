import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';
import { ROLES } from '../common/roles';

const role = z.enum(ROLES);
const user = z.object({ id: z.string(), email: z.string(), name: z.string() });

export const TokenResponse = contract(
  'TokenResponse',
  z.object({
    user,
    accessToken: z.string(),
    refreshToken: z.string(),
    /** Seconds until the access token expires. */
    expiresIn: z.number(),
    /** Sign-up only: the account created with the user. */
    accountId: z.string().optional(),
  }),
);

export const Me = contract(
  'Me',
  z.object({
    /** Absent only if the user was deleted after the token was issued. */
    user: user.optional(),
    accounts: z.array(z.object({ id: z.string(), name: z.string(), role })),
    sites: z.array(
      z.object({ id: z.string(), accountId: z.string(), name: z.string(), domain: z.string(), role }),
    ),
  }),
);

export const Member = contract(
  'Member',
  z.object({
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    role,
    since: isoDate().optional(),
  }),
);

export const MemberRole = contract('MemberRole', z.object({ userId: z.string(), role }));
