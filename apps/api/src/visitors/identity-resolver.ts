import type { ProfileEvent } from './profile-event';
import {
  applyEvent,
  EventFacts,
  mergeTraits,
  mergeVisitor,
  newVisitor,
  TraitChange,
  VisitorState,
} from './visitor-profile';

export type IdentityKind = 'anon' | 'user';

export interface IdentityRow {
  siteId: string;
  kind: IdentityKind;
  value: string;
  visitorId: string;
}

export const identityKey = (siteId: string, kind: IdentityKind, value: string) =>
  `${siteId}|${kind}|${value}`;
export const visitorKey = (siteId: string, id: string) => `${siteId}|${id}`;

const parseIdentityKey = (key: string, visitorId: string): IdentityRow => {
  const [siteId, kind] = key.split('|', 2);
  return { siteId, kind: kind as IdentityKind, value: key.slice(siteId.length + kind.length + 2), visitorId };
};

/** The identity keys an event may touch (so they can be loaded in one query before resolving). */
export function identityKeysOf(siteId: string, e: ProfileEvent): [string, IdentityKind, string][] {
  const keys: [string, IdentityKind, string][] = [];
  if (e.anonymousId) keys.push([siteId, 'anon', e.anonymousId]);
  if (e.userId) keys.push([siteId, 'user', e.userId]);
  if (e.previousId) keys.push([siteId, 'anon', e.previousId], [siteId, 'user', e.previousId]);
  return keys;
}

/**
 * Resolves events to visitors in order, creating, identifying and merging profiles in memory; the
 * caller loaded every identity and visitor the events reference (under the site lock) and writes
 * back what changed. Pure apart from `newId`.
 */
export class IdentityResolver {
  readonly dirty = new Map<string, VisitorState>();
  readonly identityWrites = new Map<string, IdentityRow>();
  readonly merges: { siteId: string; from: string; into: string }[] = [];

  constructor(
    private readonly identities: Map<string, string>,
    private readonly visitors: Map<string, VisitorState>,
    private readonly newId: () => string,
  ) {}

  resolve(siteId: string, e: ProfileEvent, f: EventFacts): { visitor: VisitorState; changes: TraitChange[] } {
    let v: VisitorState;
    if (e.type === 'alias') v = this.alias(siteId, e.previousId as string, e.userId as string, f.ts);
    else v = this.identify(siteId, e.anonymousId, e.userId, f.ts);
    applyEvent(v, f);
    const changes = e.type === 'identify' ? mergeTraits(v, e.traits) : [];
    this.touch(v);
    return { visitor: v, changes };
  }

  private lookup(siteId: string, kind: IdentityKind, value: string | null): VisitorState | undefined {
    if (!value) return undefined;
    const id = this.identities.get(identityKey(siteId, kind, value));
    if (!id) return undefined;
    const v = this.visitors.get(visitorKey(siteId, id));
    if (!v) throw new Error(`identity ${kind}:${value} points at a visitor that was not loaded`);
    return v;
  }

  private create(siteId: string, ts: Date): VisitorState {
    const v = newVisitor(siteId, this.newId(), ts);
    this.visitors.set(visitorKey(siteId, v.id), v);
    return v;
  }

  private link(v: VisitorState, kind: IdentityKind, value: string): void {
    const key = identityKey(v.siteId, kind, value);
    if (this.identities.get(key) !== v.id) {
      this.identities.set(key, v.id);
      this.identityWrites.set(key, { siteId: v.siteId, kind, value, visitorId: v.id });
    }
    if (kind === 'anon' && !v.anonymousIds.includes(value)) v.anonymousIds.push(value);
    if (kind === 'user') v.userId = value;
    this.touch(v);
  }

  private touch(v: VisitorState): void {
    this.dirty.set(visitorKey(v.siteId, v.id), v);
  }

  private merge(from: VisitorState, into: VisitorState): void {
    mergeVisitor(into, from);
    for (const a of from.anonymousIds) this.link(into, 'anon', a);
    // Any other loaded identity naming `from` (a user id aliased into it) follows it too; the store
    // re-points the ones not loaded here.
    for (const [key, id] of this.identities) {
      if (id !== from.id) continue;
      const w = this.identityWrites.get(key) ?? parseIdentityKey(key, into.id);
      this.identities.set(key, into.id);
      this.identityWrites.set(key, { ...w, visitorId: into.id });
    }
    this.merges.push({ siteId: into.siteId, from: from.id, into: into.id });
    this.touch(from);
    this.touch(into);
  }

  /** Any call carrying a userId identifies; an anonymous profile is merged into the known one. */
  private identify(
    siteId: string,
    anonymousId: string | null,
    userId: string | null,
    ts: Date,
  ): VisitorState {
    const byAnon = this.lookup(siteId, 'anon', anonymousId);
    const byUser = this.lookup(siteId, 'user', userId);
    if (!userId) {
      const v = byAnon ?? this.create(siteId, ts);
      this.link(v, 'anon', anonymousId as string);
      return v;
    }
    if (byUser) {
      if (byAnon && byAnon.id !== byUser.id) {
        if (byAnon.userId === null) this.merge(byAnon, byUser);
        else this.link(byUser, 'anon', anonymousId as string); // a shared device: the anon id moves on
      } else if (anonymousId) this.link(byUser, 'anon', anonymousId);
      return byUser;
    }
    if (byAnon && (byAnon.userId === null || byAnon.userId === userId)) {
      this.link(byAnon, 'user', userId);
      return byAnon;
    }
    const v = this.create(siteId, ts);
    this.link(v, 'user', userId);
    if (anonymousId) this.link(v, 'anon', anonymousId);
    return v;
  }

  /** alias(previousId -> userId): the previous identity's profile becomes (or joins) the user's. */
  private alias(siteId: string, previousId: string, userId: string, ts: Date): VisitorState {
    const prev = this.lookup(siteId, 'user', previousId) ?? this.lookup(siteId, 'anon', previousId);
    const byUser = this.lookup(siteId, 'user', userId);
    if (!prev) return this.identify(siteId, previousId, userId, ts);
    if (!byUser) {
      this.link(prev, 'user', userId);
      return prev;
    }
    if (prev.id !== byUser.id) {
      if (prev.userId) {
        this.identities.delete(identityKey(siteId, 'user', prev.userId));
        this.link(byUser, 'user', userId);
        this.identityWrites.set(identityKey(siteId, 'user', prev.userId), {
          siteId,
          kind: 'user',
          value: prev.userId,
          visitorId: byUser.id,
        });
        this.identities.set(identityKey(siteId, 'user', prev.userId), byUser.id);
      }
      this.merge(prev, byUser);
    }
    return byUser;
  }
}
