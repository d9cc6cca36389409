import { z } from 'zod';

/** One header line: no CR/LF (header injection), no angle brackets or quotes in a display name. */
const HeaderText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\r\n<>"]*$/, 'no line breaks, angle brackets or double quotes');

export const createEmailSenderSchema = z.strictObject({
  name: HeaderText(120),
  fromName: HeaderText(120),
  fromAddress: z.email().max(254),
  replyTo: z.email().max(254).optional(),
});
export type CreateEmailSenderInput = z.output<typeof createEmailSenderSchema>;
