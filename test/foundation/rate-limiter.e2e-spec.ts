import fc from 'fast-check';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LEASE_SHARE, LeasedRateCounter } from '../../apps/api/src/redis/lease-counter';
import { TEST_REDIS_URL } from '../support/test-env';

/**
 * The rate limiter's leases against a real Redis, as two API replicas use it: two limiters, each with
 * its own connection, hit one counter in bursts (hits of one burst arrive in one turn of the event
 * loop). A window long enough that no run crosses one (a run that does is not judged).
 */
const WINDOW_SECONDS = 1_000_000;

describe('rate limiter (leases of a shared fixed window)', () => {
  const clients: Redis[] = [];
  let replicas: LeasedRateCounter[];

  beforeAll(() => {
    for (let i = 0; i < 2; i++) clients.push(new Redis(TEST_REDIS_URL, { enableAutoPipelining: true }));
    replicas = clients.map((c) => new LeasedRateCounter(c));
  });
  afterAll(() => Promise.all(clients.map((c) => c.quit())));

  const windowNow = () => Math.floor(Date.now() / 1000 / WINDOW_SECONDS);

  /** Sends the bursts in order (each burst's hits at once, on its replica); counts the allowed hits. */
  async function play(key: string, limit: number, bursts: { replica: number; hits: number }[]) {
    let allowed = 0;
    let remainingSeen = Number.POSITIVE_INFINITY;
    for (const b of bursts) {
      const decisions = await Promise.all(
        Array.from({ length: b.hits }, () => replicas[b.replica].hit(key, limit, WINDOW_SECONDS)),
      );
      for (const d of decisions) {
        if (d.allowed) allowed += 1;
        expect(d.remaining).toBeGreaterThanOrEqual(0);
        expect(d.remaining).toBeLessThanOrEqual(limit);
        expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        remainingSeen = Math.min(remainingSeen, d.remaining);
      }
    }
    return { allowed, remainingSeen };
  }

  const bursts = (replicas: number) =>
    fc.array(
      fc.record({
        replica: fc.integer({ min: 0, max: replicas - 1 }),
        hits: fc.integer({ min: 1, max: 40 }),
      }),
      {
        minLength: 1,
        maxLength: 25,
      },
    );

  /** Plays generated bursts on `replicas` limiters and checks `(allowed, hits, limit)` (runs within one window). */
  const playsAs = (replicas: number, check: (allowed: number, hits: number, limit: number) => void) =>
    fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 400 }), bursts(replicas), async (limit, plan) => {
        const window = windowNow();
        const { allowed } = await play(`prop:${randomUUID()}`, limit, plan);
        if (windowNow() !== window) return;
        check(
          allowed,
          plan.reduce((n, b) => n + b.hits, 0),
          limit,
        );
      }),
      { numRuns: 60 },
    );

  it('one replica allows exactly min(hits, limit) in a window, whatever the bursts', () =>
    playsAs(1, (allowed, hits, limit) => expect(allowed).toBe(Math.min(hits, limit))));

  it('one replica allows exactly min(hits, limit) when its bursts overlap (counts in flight together)', () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 25 }),
        async (limit, plan) => {
          const key = `overlap:${randomUUID()}`;
          const window = windowNow();
          // Each burst in its own turn of the event loop, without waiting for the previous one's
          // answer: leases and plain counts of one window are on their way to Redis at once.
          const pending: Promise<{ allowed: boolean }>[] = [];
          for (const hits of plan) {
            for (let i = 0; i < hits; i++) pending.push(replicas[0].hit(key, limit, WINDOW_SECONDS));
            await new Promise((r) => setImmediate(r));
          }
          const allowed = (await Promise.all(pending)).filter((d) => d.allowed).length;
          if (windowNow() !== window) return;
          expect(allowed).toBe(
            Math.min(
              limit,
              plan.reduce((n, h) => n + h, 0),
            ),
          );
        },
      ),
      { numRuns: 60 },
    ));

  it('two replicas never allow more than the limit, and hold back at most one lease each', () =>
    playsAs(2, (allowed, hits, limit) => {
      expect(allowed).toBeLessThanOrEqual(limit);
      const heldBack = limit * LEASE_SHARE >= 1 ? 2 * Math.floor(limit * LEASE_SHARE) : 0;
      expect(allowed).toBeGreaterThanOrEqual(Math.min(hits, limit) - heldBack);
    }));

  it('a busy counter asks Redis a few dozen times, not once per hit', async () => {
    const key = `busy:${randomUUID()}`;
    const counts = jest.spyOn(clients[0] as unknown as { nfRateHit: () => Promise<number> }, 'nfRateHit');
    let allowed = 0;
    for (let i = 0; i < 100; i++) {
      const decisions = await Promise.all(
        Array.from({ length: 50 }, () => replicas[0].hit(key, 5_000, WINDOW_SECONDS)),
      );
      allowed += decisions.filter((d) => d.allowed).length;
    }
    const calls = counts.mock.calls.length;
    counts.mockRestore();
    expect(allowed).toBe(5_000);
    // 5,000 hits in 100 turns of 50: leases of 1, 2, 4 … 250 tokens; once a lease covers a turn, a
    // count serves several turns (one per turn would be 100, one per hit 5,000).
    expect(calls).toBeLessThan(50);
    expect(calls).toBeGreaterThan(5);
  });

  it('many live keys keep the lease table bounded, and a dropped lease only refuses early, never late', async () => {
    const counter = new LeasedRateCounter(clients[0]);
    const keys = Array.from({ length: 12_000 }, () => `many:${randomUUID()}`);
    for (let i = 0; i < keys.length; i += 1000)
      await Promise.all(keys.slice(i, i + 1000).map((k) => counter.hit(k, 40, WINDOW_SECONDS)));
    const size = (counter as unknown as { leases: Map<string, unknown> }).leases.size;
    expect(size).toBeLessThanOrEqual(10_001);
    expect(size).toBeGreaterThan(0);
    // Every key (its lease kept or dropped) still allows its limit less what its lease held back.
    const window = windowNow();
    const allowed = await Promise.all(
      keys.slice(0, 20).map(async (k) => {
        let n = 1; // the first hit above
        for (let i = 0; i < 60; i++) if ((await counter.hit(k, 40, WINDOW_SECONDS)).allowed) n += 1;
        return n;
      }),
    );
    if (windowNow() !== window) return;
    for (const n of allowed) {
      expect(n).toBeLessThanOrEqual(40);
      expect(n).toBeGreaterThanOrEqual(40 - Math.floor(40 * LEASE_SHARE));
    }
  });

  it('small limits lease nothing: the counter in Redis is exactly the hits', async () => {
    const key = `small:${randomUUID()}`;
    const window = windowNow();
    await play(key, 5, [
      { replica: 0, hits: 2 },
      { replica: 1, hits: 1 },
    ]);
    const redis = new Redis(TEST_REDIS_URL);
    const count = Number(await redis.get(`rl:${key}:${window}`));
    const ttl = await redis.ttl(`rl:${key}:${window}`);
    await redis.quit();
    expect(count).toBe(3);
    expect(ttl).toBeGreaterThan(0);
  });
});
