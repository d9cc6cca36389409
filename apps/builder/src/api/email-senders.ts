/** The email senders API (`apps/api/src/email`): the identities a send-email node chooses from. */
import { api, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type EmailSender = Schema<'EmailSender'>;
export type EmailSenderInput = RequestBody<'/api/sites/{siteId}/email-senders', 'post'>;

const base = (siteId: string) => `/api/sites/${enc(siteId)}/email-senders`;

export const emailSendersApi = {
  list: (siteId: string) => api.get<EmailSender[]>(base(siteId)),
  create: (siteId: string, input: EmailSenderInput) => api.post<EmailSender>(base(siteId), input),
  remove: (siteId: string, id: string) => api.delete(`${base(siteId)}/${enc(id)}`),
};
