import { type Json } from '../visitors/visitor-profile';
import { NormalizedEvent, type EventType } from './event-normalize';

/** The rows the fold reads (`ProfileFold`): outbox rows and their events; and the trait events it writes. */

export interface OutboxRow {
  id: string;
  event_ids: string[];
  ts_min: Date | null;
  ts_max: Date | null;
}

export interface EventRow {
  id: string;
  ts: Date;
  received_at: Date;
  message_id: string;
  type: EventType;
  name: string;
  visitor_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Json;
  traits: Json;
  context: Json;
  is_bot: boolean;
}

/** The event as the write path received it (the fold's resolver input). */
export const toNormalized = (r: EventRow): NormalizedEvent => {
  const { previousId, ...properties } = r.properties;
  return {
    type: r.type,
    name: r.name,
    messageId: r.message_id,
    anonymousId: r.anonymous_id,
    userId: r.user_id,
    previousId: r.type === 'alias' && typeof previousId === 'string' ? previousId : null,
    properties: r.type === 'alias' ? properties : r.properties,
    traits: r.traits,
    context: r.context,
    ts: r.ts,
  };
};

/** `$trait_changed` events as one array per column. */
export class TraitEvents {
  readonly cols: unknown[][] = Array.from({ length: 9 }, () => []);

  get count(): number {
    return this.cols[0].length;
  }

  push(...values: unknown[]): void {
    for (let i = 0; i < values.length; i++) this.cols[i].push(values[i]);
  }
}
