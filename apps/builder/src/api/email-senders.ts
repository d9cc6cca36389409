/** The email senders API (`apps/api/src/email`): the identities a send-email node chooses from. */
import { api, enc } from './client';

export interface EmailSender {
  id: string;
  name: string;
  fromName: string;
  fromAddress: string;
  replyTo: string | null;
  createdAt: string;
}

export const emailSendersApi = {
  list: (siteId: string) => api.get<EmailSender[]>(`/api/sites/${enc(siteId)}/email-senders`),
};
