/** The SMS provider API (`apps/api/src/sms`): the site's Twilio-compatible account for send-SMS nodes. */
import { api, ApiError, enc } from './client';
import type { RequestBody, Schema } from './contract';

export type SmsProvider = Schema<'SmsProvider'>;
export type SmsProviderInput = RequestBody<'/api/sites/{siteId}/sms-provider', 'put'>;

const base = (siteId: string) => `/api/sites/${enc(siteId)}/sms-provider`;

export const smsProviderApi = {
  /** The site's provider, or null when none is set up (the API answers 404). */
  get: async (siteId: string): Promise<SmsProvider | null> => {
    try {
      return await api.get<SmsProvider>(base(siteId));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  put: (siteId: string, input: SmsProviderInput) => api.put<SmsProvider>(base(siteId), input),
  remove: (siteId: string) => api.delete(base(siteId)),
};
