import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';

export const EmailSender = contract(
  'EmailSender',
  z.object({
    id: z.string(),
    name: z.string(),
    fromName: z.string(),
    fromAddress: z.string(),
    replyTo: z.string().nullable(),
    createdAt: isoDate(),
  }),
);
