/** Small pieces of the webhooks pages' look, shared by their tabs. */
import { type Tone } from './webhook-view';

export const TONE_BADGE: Record<Tone, string> = {
  ok: 'badge badge--live',
  warning: 'badge badge--paused',
  error: 'badge badge--error',
  muted: 'badge badge--archived',
};

export const time = (iso: string) => new Date(iso).toLocaleString();
