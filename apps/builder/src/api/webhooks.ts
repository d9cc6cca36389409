/**
 * Every call of the webhooks API (issue #8: endpoints, delivery log, resend, recover, notices, inbound
 * hooks) lives here, so contract changes touch one file. Shapes follow apps/api/src/webhooks.
 */
import { api, enc } from './client';
import type { RequestBody, Schema } from './contract';

type CreateEndpointBody = RequestBody<'/api/sites/{siteId}/webhooks/endpoints', 'post'>;

/** System events an endpoint can subscribe to without a flow: the API's list, in its order. */
export type SystemEventType = NonNullable<CreateEndpointBody['eventTypes']>[number];

/** Every system event type once; the compiler fails here when the API adds or drops one. */
const SYSTEM_EVENT_TYPE_SET: { [T in SystemEventType]: true } = {
  'cta.converted': true,
  'visitor.identified': true,
  'run.completed': true,
  'run.failed': true,
  'endpoint.disabled': true,
};
export const SYSTEM_EVENT_TYPES = Object.keys(SYSTEM_EVENT_TYPE_SET) as SystemEventType[];

export type WebhookEndpoint = Schema<'WebhookEndpoint'>;
/** What the endpoint form sends (secret header values only when changed: they are write-only). */
export type EndpointInput = Required<Omit<CreateEndpointBody, 'secretHeaders'>> &
  Pick<CreateEndpointBody, 'secretHeaders'>;
export type WebhookAttempt = Schema<'WebhookAttempt'>;
export type WebhookMessage = Schema<'WebhookMessage'>;
export type MessageStatus = WebhookMessage['status'];

export interface MessageFilter {
  endpointId?: string;
  status?: MessageStatus;
  before?: string;
  limit?: number;
}

export type WebhookNotice = Schema<'WebhookNotice'>;
export type InboundHook = Schema<'InboundHook'>;
export type InboundHookInput = RequestBody<'/api/sites/{siteId}/inbound-hooks', 'post'>;

/** The query string of the delivery log; empty filters are left out. */
export function messagesQuery(filter: MessageFilter): string {
  const params = new URLSearchParams();
  if (filter.endpointId) params.set('endpointId', filter.endpointId);
  if (filter.status) params.set('status', filter.status);
  if (filter.before) params.set('before', filter.before);
  if (filter.limit) params.set('limit', String(filter.limit));
  const query = params.toString();
  return query ? `?${query}` : '';
}

const base = (siteId: string) => `/api/sites/${enc(siteId)}/webhooks`;
const endpoint = (siteId: string, id: string) => `${base(siteId)}/endpoints/${enc(id)}`;

export const webhooksApi = {
  list: (siteId: string) => api.get<WebhookEndpoint[]>(`${base(siteId)}/endpoints`),
  create: (siteId: string, input: EndpointInput) =>
    api.post<Schema<'WebhookEndpointWithSecret'>>(`${base(siteId)}/endpoints`, input),
  update: (
    siteId: string,
    id: string,
    input: RequestBody<'/api/sites/{siteId}/webhooks/endpoints/{endpointId}', 'patch'>,
  ) => api.patch<WebhookEndpoint>(endpoint(siteId, id), input),
  remove: (siteId: string, id: string) => api.delete(endpoint(siteId, id)),
  rotateSecret: (siteId: string, id: string, overlapSeconds: number) =>
    api.post<Schema<'WebhookEndpointWithSecret'>>(`${endpoint(siteId, id)}/rotate-secret`, {
      overlapSeconds,
    }),
  sendTest: (siteId: string, id: string) =>
    api.post<Schema<'WebhookMessageId'>>(`${endpoint(siteId, id)}/test`, {}),
  /** Every failed message of the endpoint created since `since` goes out again. */
  recover: (siteId: string, id: string, since: string) =>
    api.post<Schema<'WebhookRequeued'>>(`${endpoint(siteId, id)}/recover`, { since }),
  messages: (siteId: string, filter: MessageFilter, signal?: AbortSignal) =>
    api.get<Schema<'WebhookMessagePage'>>(`${base(siteId)}/messages${messagesQuery(filter)}`, signal),
  resend: (siteId: string, messageId: string) =>
    api.post<Schema<'WebhookMessageId'>>(`${base(siteId)}/messages/${enc(messageId)}/resend`),
  notices: (siteId: string) => api.get<WebhookNotice[]>(`${base(siteId)}/notices`),

  inboundHooks: (siteId: string) => api.get<InboundHook[]>(`/api/sites/${enc(siteId)}/inbound-hooks`),
  createInboundHook: (siteId: string, input: InboundHookInput) =>
    api.post<Schema<'CreatedInboundHook'>>(`/api/sites/${enc(siteId)}/inbound-hooks`, input),
  removeInboundHook: (siteId: string, id: string) =>
    api.delete(`/api/sites/${enc(siteId)}/inbound-hooks/${enc(id)}`),
};
