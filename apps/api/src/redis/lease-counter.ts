import type Redis from 'ioredis';
import { TickBatcher } from '../common/tick-batcher';

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

interface Hit {
  /** The rate key (the counter's Redis key is `rl:<key>:<window>`). */
  key: string;
  limit: number;
  window: number;
  windowSeconds: number;
}

/** Hits this process may still allow in one window without asking Redis (tokens it has counted there). */
interface Lease {
  redisKey: string;
  tokens: number;
  /** The shared count after this process's last INCRBY (its own unused tokens included). */
  count: number;
  /** Tokens to take with the next INCRBY: doubles per lease within a window, up to the cap. */
  next: number;
  /** Epoch ms when its window ends. */
  endsAt: number;
}

type RateRedis = Redis & { nfRateHit(key: string, n: number, ttlSeconds: number): Promise<number> };

/** Largest lease, as a share of the limit: the most a replica can hold back from the others. */
export const LEASE_SHARE = 1 / 20;

/**
 * Fixed-window counter in Redis, shared by every API replica, handed out in leases. A hit that finds
 * no token of its window left asks Redis, and takes a lease of tokens with it: INCRBY counts the hits
 * and the lease together, so the shared count never passes the limit by anything but refused hits.
 * Later hits of the window spend the tokens without a round trip. A lease starts at one token and
 * doubles per lease in the window, up to `LEASE_SHARE` of the limit (limits under 20 lease nothing:
 * exact, as one INCR a hit). So: never more than the limit is allowed in a window across all
 * replicas; a replica may hold back at most 5 % of it, which the others then refuse early. At 5,000
 * requests/s of one site a process asks Redis about 25 times a second instead of once per tick.
 *
 * Hits on the same counter that arrive in the same turn of the event loop share one INCRBY (the
 * reply numbers them, count − n + 1 … count). The count is one script call (INCRBY, and EXPIRE when
 * the window's key is new): a MULTI of INCRBY and EXPIRE is four commands.
 */
export class LeasedRateCounter {
  private readonly hits = new TickBatcher<Hit, RateDecision>((redisKey, hits) => this.count(redisKey, hits));
  /** Per rate key (without its window): the lease of the current window. */
  private readonly leases = new Map<string, Lease>();
  /** Window keys whose lease is on its way: one lease at a time, so a replica holds back one at most. */
  private readonly leasing = new Set<string>();
  /**
   * While Redis is away: the same fixed windows counted in this process only (so N replicas allow up
   * to N times the limit). PostgreSQL, not Redis, decides whether an event is stored, so an outage of
   * the fast path must not refuse ingestion.
   */
  private readonly local = new Map<string, { count: number; expiresAt: number }>();
  private degradedSince: number | null = null;

  constructor(private readonly redis: Redis) {
    if (!('nfRateHit' in redis)) {
      redis.defineCommand('nfRateHit', {
        numberOfKeys: 1,
        lua: `local c = redis.call('INCRBY', KEYS[1], ARGV[1])
              if c == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
              return c`,
      });
    }
  }

  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const nowSeconds = Date.now() / 1000;
    const window = Math.floor(nowSeconds / windowSeconds);
    const redisKey = `rl:${key}:${window}`;
    const lease = this.leases.get(key);
    if (lease && lease.redisKey === redisKey && lease.tokens > 0) {
      lease.tokens -= 1;
      return Promise.resolve({
        allowed: true,
        remaining: Math.max(0, limit - lease.count + lease.tokens),
        retryAfterSeconds: Math.max(1, Math.ceil((window + 1) * windowSeconds - nowSeconds)),
      });
    }
    return this.hits.add(redisKey, { key, limit, window, windowSeconds });
  }

  /** Since when limits are counted per process because Redis does not answer (null: Redis is fine). */
  get fallbackSince(): Date | null {
    return this.degradedSince === null ? null : new Date(this.degradedSince);
  }

  private async count(redisKey: string, hits: Hit[]): Promise<RateDecision[]> {
    const { key, limit, window, windowSeconds } = hits[0];
    const previous = this.leases.get(key);
    const current = previous?.redisKey === redisKey ? previous : undefined;
    const cap = Math.max(1, Math.floor(limit * LEASE_SHARE));
    // Tokens left from this window's lease (hits that raced its reply) are spent first.
    const fromLease = Math.min(current?.tokens ?? 0, hits.length);
    const asked = hits.length - fromLease;
    // Limits under 20 a window lease nothing: every hit is counted in Redis, as one INCR each.
    const take =
      asked > 0 && limit * LEASE_SHARE >= 1 && !this.leasing.has(redisKey)
        ? Math.min(current?.next ?? 1, cap)
        : 0;
    let count: number;
    let shared = true;
    if (current) current.tokens -= fromLease;
    if (asked === 0) {
      count = current?.count ?? 0;
    } else {
      if (take > 0) this.leasing.add(redisKey);
      try {
        count = await (this.redis as RateRedis).nfRateHit(redisKey, asked + take, windowSeconds + 1);
        if (this.degradedSince !== null) {
          this.degradedSince = null;
          this.local.clear();
          this.onShared();
        }
      } catch (err) {
        shared = false;
        this.leases.delete(key);
        count = this.countLocally(redisKey, asked, (window + 1) * windowSeconds * 1000, err as Error);
      } finally {
        if (take > 0) this.leasing.delete(redisKey);
      }
    }
    // Numbers of the asking hits: first … first + asked − 1; the lease's tokens follow them.
    const first = shared ? count - take - asked + 1 : count - asked + 1;
    if (shared && take > 0) {
      const lease = this.leases.get(key);
      const granted = Math.max(0, Math.min(count, limit) - (first + asked - 1));
      if (lease && lease.redisKey === redisKey) {
        lease.tokens += granted;
        lease.count = Math.max(lease.count, count);
        lease.next = Math.min(cap, lease.next * 2);
      } else {
        if (this.leases.size > 10_000) this.sweepLeases();
        const endsAt = (window + 1) * windowSeconds * 1000;
        this.leases.set(key, { redisKey, tokens: granted, count, next: Math.min(cap, 2), endsAt });
      }
    }
    const left = this.leases.get(key);
    const own = left?.redisKey === redisKey ? left : undefined;
    const retryAfterSeconds = Math.max(1, (window + 1) * windowSeconds - Math.floor(Date.now() / 1000));
    return hits.map((h, i) => {
      if (i < fromLease) {
        return {
          allowed: true,
          remaining: Math.max(0, h.limit - count + (left?.tokens ?? 0)),
          retryAfterSeconds,
        };
      }
      const n = first + (i - fromLease);
      if (n > h.limit && own && own.tokens > 0) {
        // Counted past the limit, but this process still holds tokens of the window (a lease whose
        // reply came while this count was on its way): they are this hit's, so the limit is reached
        // exactly, not refused early by a lease nobody spends.
        own.tokens -= 1;
        return { allowed: true, remaining: own.tokens, retryAfterSeconds };
      }
      return { allowed: n <= h.limit, remaining: Math.max(0, h.limit - n), retryAfterSeconds };
    });
  }

  /** Redis failed a count: limits are counted in this process until it answers again. */
  protected onDegraded(err: Error): void {
    void err;
  }

  /** Redis answers again after `onDegraded`. */
  protected onShared(): void {}

  /**
   * Past 10,000 keys: drops the ended windows' leases, then the oldest down to 5,000 (so many live keys,
   * e.g. one per client address, cost a sweep per 5,000 new keys, not one per hit). A dropped lease's
   * tokens stay counted in Redis, unused: its key refuses a little early, never late.
   */
  private sweepLeases(): void {
    const now = Date.now();
    for (const [k, lease] of this.leases) if (lease.endsAt <= now) this.leases.delete(k);
    for (const k of this.leases.keys()) {
      if (this.leases.size <= 5_000) break;
      this.leases.delete(k);
    }
  }

  private countLocally(redisKey: string, n: number, expiresAt: number, err: Error): number {
    const now = Date.now();
    if (this.degradedSince === null) {
      this.degradedSince = now;
      this.onDegraded(err);
    }
    if (this.local.size > 10_000)
      for (const [k, v] of this.local) if (v.expiresAt <= now) this.local.delete(k);
    const entry = this.local.get(redisKey);
    if (entry && entry.expiresAt > now) {
      entry.count += n;
      return entry.count;
    }
    this.local.set(redisKey, { count: n, expiresAt });
    return n;
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    this.local.delete(`rl:${key}:${window}`);
    this.leases.delete(key);
    await this.redis.del(`rl:${key}:${window}`).catch(() => undefined);
  }
}
