import { z } from 'zod';
import { SYSTEM_EVENT_TYPES } from './webhook-events';

// Header names a customer may set; signing, framing and hop-by-hop headers stay ours.
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name')
  .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is reserved');
const headerValue = z
  .string()
  .max(2048)
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must not contain control characters');
const headers = z
  .record(headerName, headerValue)
  .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers');

const url = z
  .string()
  .trim()
  .max(2048)
  .regex(/^https?:\/\//i, 'must be an http(s) URL');

export const createEndpointSchema = z.object({
  url,
  description: z.string().trim().max(500).default(''),
  enabled: z.boolean().default(true),
  eventTypes: z.array(z.enum(SYSTEM_EVENT_TYPES)).max(SYSTEM_EVENT_TYPES.length).default([]),
  headers: headers.default({}),
  /** Stored encrypted; only the names are ever returned. */
  secretHeaders: headers.default({}),
});
export type CreateEndpointInput = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z
  .object({
    url,
    description: z.string().trim().max(500),
    enabled: z.boolean(),
    eventTypes: z.array(z.enum(SYSTEM_EVENT_TYPES)).max(SYSTEM_EVENT_TYPES.length),
    headers,
    secretHeaders: headers,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');
export type UpdateEndpointInput = z.infer<typeof updateEndpointSchema>;

export const rotateSecretSchema = z.object({
  /** How long the previous secret keeps signing alongside the new one. */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
});

export const MESSAGE_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export const listMessagesSchema = z.object({
  endpointId: z.uuid().optional(),
  status: z.enum(MESSAGE_STATUSES).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListMessagesQuery = z.infer<typeof listMessagesSchema>;

export const recoverSchema = z.object({ since: z.iso.datetime({ offset: true }) });

export const testMessageSchema = z.object({
  eventType: z.string().trim().min(1).max(100).default('webhook.test'),
  payload: z.record(z.string(), z.unknown()).optional(),
  /** The same key returns the same message (as a retried flow step would). */
  idempotencyKey: z.string().trim().min(1).max(200).optional(),
});
