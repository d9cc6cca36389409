import { z } from 'zod';
import { contract, isoDate } from '../common/api-contract';
import { SYSTEM_EVENT_TYPES } from './webhook-events';

export const WebhookEndpoint = contract(
  'WebhookEndpoint',
  z.object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    /** `manual`, `gone` (the receiver answered 410) or `failing` (failed for too long); null when enabled. */
    disabledReason: z.string().nullable(),
    eventTypes: z.array(z.enum(SYSTEM_EVENT_TYPES)),
    headers: z.record(z.string(), z.string()),
    /** Secret header values are write-only: only their names come back. */
    secretHeaderNames: z.array(z.string()),
    failingSince: isoDate().nullable(),
    /** While set, the previous secret still signs alongside the new one. */
    secretRotatedUntil: isoDate().nullable(),
    createdAt: isoDate(),
    updatedAt: isoDate(),
  }),
);

/** At creation and rotation only: the signing secret, shown once. */
export const WebhookEndpointWithSecret = contract(
  'WebhookEndpointWithSecret',
  WebhookEndpoint.extend({ secret: z.string() }),
);

export const WebhookEndpointSecret = contract(
  'WebhookEndpointSecret',
  z.object({ secret: z.string(), previousSecret: z.string().nullable() }),
);

export const WebhookMessageId = contract('WebhookMessageId', z.object({ messageId: z.string() }));

export const WebhookRequeued = contract('WebhookRequeued', z.object({ requeued: z.number() }));

export const WebhookAttempt = contract(
  'WebhookAttempt',
  z.object({
    attempt: z.number(),
    webhookId: z.string(),
    at: isoDate(),
    status: z.number().nullable(),
    error: z.string().nullable(),
    latencyMs: z.number().nullable(),
    response: z.string().nullable(),
    /** HTTP tries of this attempt: more than one after a re-send (a crash mid-send). */
    tries: z.number(),
  }),
);

export const WebhookMessage = contract(
  'WebhookMessage',
  z.object({
    id: z.string(),
    endpointId: z.string(),
    eventType: z.string(),
    webhookId: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attemptCount: z.number(),
    nextAttemptAt: isoDate().nullable(),
    lastStatus: z.number().nullable(),
    lastError: z.string().nullable(),
    createdAt: isoDate(),
    payload: z.unknown(),
    attempts: z.array(WebhookAttempt),
  }),
);

export const WebhookMessagePage = contract(
  'WebhookMessagePage',
  z.object({ data: z.array(WebhookMessage), nextBefore: isoDate().nullable() }),
);

export const WebhookNotice = contract(
  'WebhookNotice',
  z.object({
    id: z.string(),
    endpointId: z.string(),
    kind: z.string(),
    message: z.string(),
    createdAt: isoDate(),
  }),
);

export const InboundHook = contract(
  'InboundHook',
  z.object({
    id: z.string(),
    name: z.string(),
    eventPath: z.string(),
    visitorPath: z.string(),
    defaultEvent: z.string().nullable(),
    verified: z.boolean(),
    /** Masked; the whole path is shown once, at creation. */
    token: z.string(),
    createdAt: isoDate(),
  }),
);

/** At creation only: the hook's whole path and, when generated, its `whsec_` secret. */
export const CreatedInboundHook = contract(
  'CreatedInboundHook',
  InboundHook.extend({ path: z.string(), secret: z.string().optional() }),
);
