/**
 * What each action kind asks the runtime to do, once the engine rendered its templates. Keyed by the
 * node type that produces it (an action's effect kind is its node type); the engine's `EngineEffect`
 * is this map joined as a discriminated union on `kind`.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type TraitValue = string | number | boolean | null;

export interface EffectPayloads {
  show_cta: { ctaId: string; priority: number };
  send_webhook: { endpointId: string; body: JsonValue };
  update_visitor: {
    setTraits: Record<string, TraitValue>;
    unsetTraits: string[];
    addTags: string[];
    removeTags: string[];
  };
  send_email: { senderId: string; to: string; subject: string; html: string | null; text: string | null };
  notify: { endpointId: string; text: string };
  /** `to` is an E.164 number (`+4915112345678`) read from a visitor trait. */
  send_sms: { to: string; body: string };
}

export type EffectKind = keyof EffectPayloads;

/** Every effect kind, in the order the registry lists them (checked against `EffectPayloads`). */
export const EFFECT_KINDS = [
  'show_cta',
  'send_webhook',
  'update_visitor',
  'send_email',
  'notify',
  'send_sms',
] as const satisfies readonly EffectKind[];

// A kind added to EffectPayloads but not to EFFECT_KINDS fails to compile here.
type MissingEffectKind = Exclude<EffectKind, (typeof EFFECT_KINDS)[number]>;
const effectKindsComplete: [MissingEffectKind] extends [never] ? true : MissingEffectKind = true;
void effectKindsComplete;

export function isEffectKind(type: string): type is EffectKind {
  return (EFFECT_KINDS as readonly string[]).includes(type);
}
