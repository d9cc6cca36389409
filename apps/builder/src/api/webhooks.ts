/**
 * Every call of the webhooks API (issue #8: endpoints, delivery log, resend, recover, notices, inbound
 * hooks) lives here, so contract changes touch one file. Shapes follow apps/api/src/webhooks.
 */
import { api, enc } from './client';

/** System events an endpoint can subscribe to without a flow (`SYSTEM_EVENT_TYPES` in the API). */
export const SYSTEM_EVENT_TYPES = [
  'cta.converted',
  'visitor.identified',
  'run.completed',
  'run.failed',
  'endpoint.disabled',
] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  enabled: boolean;
  /** `manual`, `gone` (the receiver answered 410) or `failing` (failed for too long); null when enabled. */
  disabledReason: string | null;
  eventTypes: string[];
  headers: Record<string, string>;
  secretHeaderNames: string[];
  failingSince: string | null;
  /** While set, the previous secret still signs alongside the new one. */
  secretRotatedUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointInput {
  url: string;
  description: string;
  enabled: boolean;
  eventTypes: string[];
  headers: Record<string, string>;
  /** Only sent when changed: values are write-only. */
  secretHeaders?: Record<string, string>;
}

export interface WebhookAttempt {
  attempt: number;
  webhookId: string;
  at: string;
  status: number | null;
  error: string | null;
  latencyMs: number | null;
  response: string | null;
  /** HTTP tries of this attempt: more than one after a re-send (a crash mid-send). */
  tries: number;
}

export type MessageStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookMessage {
  id: string;
  endpointId: string;
  eventType: string;
  webhookId: string;
  status: MessageStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  payload: unknown;
  attempts: WebhookAttempt[];
}

export interface MessageFilter {
  endpointId?: string;
  status?: MessageStatus;
  before?: string;
  limit?: number;
}

export interface WebhookNotice {
  id: string;
  endpointId: string;
  kind: string;
  message: string;
  createdAt: string;
}

export interface InboundHook {
  id: string;
  name: string;
  eventPath: string;
  visitorPath: string;
  defaultEvent: string | null;
  verified: boolean;
  /** Masked; the whole path is shown once, at creation. */
  token: string;
  createdAt: string;
}

export interface InboundHookInput {
  name: string;
  eventPath: string;
  visitorPath: string;
  defaultEvent?: string;
  /** `true` asks the server to generate a `whsec_` secret (returned once). */
  secret?: true | string;
}

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
    api.post<WebhookEndpoint & { secret: string }>(`${base(siteId)}/endpoints`, input),
  update: (siteId: string, id: string, input: Partial<EndpointInput>) =>
    api.patch<WebhookEndpoint>(endpoint(siteId, id), input),
  remove: (siteId: string, id: string) => api.delete(endpoint(siteId, id)),
  rotateSecret: (siteId: string, id: string, overlapSeconds: number) =>
    api.post<WebhookEndpoint & { secret: string }>(`${endpoint(siteId, id)}/rotate-secret`, {
      overlapSeconds,
    }),
  sendTest: (siteId: string, id: string) =>
    api.post<{ messageId: string }>(`${endpoint(siteId, id)}/test`, {}),
  /** Every failed message of the endpoint created since `since` goes out again. */
  recover: (siteId: string, id: string, since: string) =>
    api.post<{ requeued: number }>(`${endpoint(siteId, id)}/recover`, { since }),
  messages: (siteId: string, filter: MessageFilter, signal?: AbortSignal) =>
    api.get<{ data: WebhookMessage[]; nextBefore: string | null }>(
      `${base(siteId)}/messages${messagesQuery(filter)}`,
      signal,
    ),
  resend: (siteId: string, messageId: string) =>
    api.post<{ messageId: string }>(`${base(siteId)}/messages/${enc(messageId)}/resend`),
  notices: (siteId: string) => api.get<WebhookNotice[]>(`${base(siteId)}/notices`),

  inboundHooks: (siteId: string) => api.get<InboundHook[]>(`/api/sites/${enc(siteId)}/inbound-hooks`),
  createInboundHook: (siteId: string, input: InboundHookInput) =>
    api.post<InboundHook & { path: string; secret?: string }>(
      `/api/sites/${enc(siteId)}/inbound-hooks`,
      input,
    ),
  removeInboundHook: (siteId: string, id: string) =>
    api.delete(`/api/sites/${enc(siteId)}/inbound-hooks/${enc(id)}`),
};
