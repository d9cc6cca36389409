import type { Json } from './visitor-profile';

/**
 * An event as the profile rules read it (identity resolution, event facts). Ingest's
 * `NormalizedEvent` is one: ingest depends on this feature, never the other way round.
 */
export interface ProfileEvent {
  type: 'track' | 'page' | 'identify' | 'alias';
  name: string;
  messageId: string;
  anonymousId: string | null;
  userId: string | null;
  /** alias only: the id that becomes `userId`. */
  previousId: string | null;
  properties: Json;
  traits: Json;
  context: Json;
  /** Event time after skew correction. */
  ts: Date;
}
