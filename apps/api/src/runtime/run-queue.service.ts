import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueueService } from '../jobs/job-queue.service';
import { JobName, JobPayloadMap, QueueName } from '../jobs/job.types';
import { queueConcurrency } from '../jobs/queue-concurrency';
import { REDIS } from '../redis/redis.module';
import { runJobId } from './engine-event';

/** How often a job refused a site slot asks again while it waits (see `acquireSlot`). */
const SLOT_RETRY_MS = 20;

/** Runs of a site whose wake-up times fall in one slice this long are woken by one job. */
export const WAKE_SLICE_MS = 100;

/** Retries and retention of the steps queue's jobs (run steps and wake-ups). */
const STEP_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: { age: 3600, count: 10_000 },
} as const;

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2_097_151;

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[4])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Deletes an in-flight marker unless a newer enqueue (a later due time) replaced it meanwhile. */
const SETTLE = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and tonumber(v) <= tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

/**
 * One HSCAN step over an in-flight hash that deletes the markers due before a cutoff (jobs that failed
 * for good never settle theirs). Returns the next cursor and how many went.
 */
const PRUNE = `
local page = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[3])
local fields = page[2]
local pruned = 0
for i = 1, #fields, 2 do
  if tonumber(fields[i + 1]) < tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], fields[i])
    pruned = pruned + 1
  end
end
return {page[1], pruned}`;

export type InflightKind = 'runs' | 'handoffs';

export interface RunJob {
  siteId: string;
  runId: string;
  jobId: string;
  delayMs?: number;
}

/**
 * Enqueues runtime jobs after commit, fairly: a job's BullMQ priority is the number of jobs its site
 * enqueued in the last two seconds, so a flooding site queues behind itself while a quiet site's job
 * goes to the front (start-time fair queuing by site). A per-site concurrency budget in Redis caps
 * how many of one site's steps run at once across all workers.
 */
@Injectable()
export class RunQueueService {
  private readonly logger = new Logger(RunQueueService.name);
  private readonly leases = new Map<string, NodeJS.Timeout>();
  private readonly pruneCursors: Record<InflightKind, string> = { runs: '0', handoffs: '0' };

  constructor(
    private readonly queues: JobQueueService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  private key(kind: string, siteId: string): string {
    return `${this.cfg.QUEUE_PREFIX}:rt:${kind}:${siteId}`;
  }

  /** Priorities for `count` jobs of a site; Redis trouble only costs fairness, never the enqueue. */
  async priorities(siteId: string, count: number): Promise<number[]> {
    const sec = Math.floor(Date.now() / 1000);
    let base = 0;
    try {
      const res = await this.redis
        .multi()
        .incrby(this.key(`rate:${sec}`, siteId), count)
        .pexpire(this.key(`rate:${sec}`, siteId), 3000)
        .get(this.key(`rate:${sec - 1}`, siteId))
        .exec();
      const now = Number(res?.[0]?.[1] ?? count);
      const prev = Number(res?.[2]?.[1] ?? 0);
      base = now - count + prev;
    } catch {
      base = 0;
    }
    return Array.from({ length: count }, (_, i) => Math.min(MAX_PRIORITY, 1 + base + i));
  }

  /**
   * In-flight markers: a Redis hash per kind, field = run id (or `site/handoff`), value = the due time
   * of its newest job. The reconciler rescues only work whose marker is missing (Redis lost it, or the
   * enqueuer died between commit and enqueue) or long overdue, so a backlog is never mistaken for lost
   * work and flooded with duplicates. Written after the job: a crash in between leaves no marker,
   * which reads as lost (a harmless duplicate), never the other way round.
   */
  private async mark(kind: InflightKind, entries: [string, number][]): Promise<void> {
    if (!entries.length) return;
    await this.redis
      .hset(this.inflightKey(kind), ...entries.flatMap(([f, due]) => [f, String(due)]))
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'in-flight marker not written'));
  }

  private inflightKey(kind: InflightKind): string {
    return `${this.cfg.QUEUE_PREFIX}:rt:inflight:${kind}`;
  }

  static handoffField(siteId: string, handoffId: string): string {
    return `${siteId}/${handoffId}`;
  }

  /** A job that started at `startedAt` finished its work: its marker goes unless a newer job replaced it. */
  async settle(kind: InflightKind, field: string, startedAt: number): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.inflightKey(kind), field, startedAt).catch(() => undefined);
  }

  /**
   * Of the overdue candidates, those Redis no longer holds a job for: no marker, or a marker due more
   * than `staleMs` ago (its job failed for good, or its marker outlived a crash). Redis trouble
   * answers "all lost": duplicates are harmless, lost work is not.
   */
  async lost(kind: InflightKind, fields: string[], staleMs: number): Promise<Set<string>> {
    if (!fields.length) return new Set();
    try {
      const due = await this.redis.hmget(this.inflightKey(kind), ...fields);
      const cutoff = Date.now() - staleMs;
      return new Set(fields.filter((_, i) => due[i] === null || Number(due[i]) < cutoff));
    } catch {
      return new Set(fields);
    }
  }

  /**
   * Deletes markers due more than `staleMs` ago, one HSCAN step (about `count` fields) per call,
   * resuming where the last call stopped. `lost` already reads such a marker as lost, so dropping it
   * changes no decision; it only keeps the hash from growing with jobs that failed for good.
   */
  async prune(kind: InflightKind, staleMs: number, count = 1000): Promise<number> {
    try {
      const [cursor, pruned] = (await this.redis.eval(
        PRUNE,
        1,
        this.inflightKey(kind),
        this.pruneCursors[kind],
        Date.now() - staleMs,
        count,
      )) as [string, number];
      this.pruneCursors[kind] = cursor;
      return pruned;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'in-flight marker prune failed');
      return 0;
    }
  }

  async enqueueRuns(jobs: RunJob[]): Promise<void> {
    if (!jobs.length) return;
    const now = Date.now();
    const bySite = new Map<string, RunJob[]>();
    for (const j of jobs) bySite.set(j.siteId, [...(bySite.get(j.siteId) ?? []), j]);
    for (const [siteId, list] of bySite) {
      const prio = await this.priorities(siteId, list.length);
      await this.queues.enqueueBulk(
        JobName.RunStep,
        list.map((j, i) => ({
          data: { siteId: j.siteId, runId: j.runId },
          opts: {
            jobId: j.jobId,
            priority: prio[i],
            ...(j.delayMs && j.delayMs > 0 ? { delay: Math.ceil(j.delayMs) } : {}),
            ...STEP_JOB_OPTIONS,
          },
        })),
      );
      await this.mark(
        'runs',
        list.map((j) => [j.runId, now + Math.max(0, Math.ceil(j.delayMs ?? 0))]),
      );
    }
  }

  /**
   * Wake-ups of a site's waiting runs: one delayed job per site and WAKE_SLICE_MS of wake-up times
   * (deterministic id, so runs due in the same slice share it), which advances all of them together
   * (`RunExecutor.wake`). Each run is marked in flight until its wake-up time.
   */
  async enqueueWakes(siteId: string, runs: { runId: string; dueAt: number }[]): Promise<void> {
    if (!runs.length) return;
    await this.addWakeJobs(siteId, [
      ...new Set(runs.map((r) => Math.ceil(r.dueAt / WAKE_SLICE_MS) * WAKE_SLICE_MS)),
    ]);
    await this.mark(
      'runs',
      runs.map((r) => [r.runId, r.dueAt]),
    );
  }

  /** One more wake job for the site at `at`, under a fresh id (the slice's own job may be the one running). */
  async requeueWake(siteId: string, at: number): Promise<void> {
    await this.addWakeJobs(siteId, [at], `_c${Date.now()}`);
  }

  private async addWakeJobs(siteId: string, slices: number[], suffix = ''): Promise<void> {
    const prio = await this.priorities(siteId, slices.length);
    const now = Date.now();
    await this.queues.enqueueBulk(
      JobName.RunsWake,
      slices.map((at, i) => ({
        data: { siteId, dueAt: at },
        opts: {
          jobId: `${runJobId.wake(siteId, at)}${suffix}`,
          priority: prio[i],
          ...(at > now ? { delay: Math.ceil(at - now) } : {}),
          ...STEP_JOB_OPTIONS,
        },
      })),
    );
  }

  async enqueueDue(siteId: string, runId: string, seq: number, delayMs = 0): Promise<void> {
    await this.enqueueRuns([{ siteId, runId, jobId: runJobId.due(runId, seq), delayMs }]);
  }

  /** `attempt` > 0 marks a reconciler re-send, so it does not dedupe against a finished job id. */
  async enqueueTriggers(
    handoff: JobPayloadMap[JobName.TriggersMatchEvents],
    attempt: number | string = 0,
    delayMs = 0,
  ): Promise<void> {
    const { siteId, handoffId } = handoff;
    const [priority] = await this.priorities(siteId, 1);
    await this.queues.enqueue(JobName.TriggersMatchEvents, handoff, {
      jobId: runJobId.handoff(siteId, handoffId, attempt),
      ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}),
      priority,
      attempts: 10,
      backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
      removeOnComplete: true,
      removeOnFail: { age: 86_400, count: 10_000 },
    });
    await this.mark('handoffs', [
      [RunQueueService.handoffField(siteId, handoffId), Date.now() + Math.max(0, Math.ceil(delayMs))],
    ]);
  }

  /**
   * Takes one of the site's concurrency slots; `false` means the site stayed at its budget. Slots are
   * leases (a killed worker's slots expire), so the budget is soft for steps longer than the lease.
   *
   * A refused job keeps trying for up to `patienceMs` before giving up: while one site floods, every
   * worker slot but the one kept for other sites is busy with its short steps, so the job in that last
   * slot would otherwise be refused, re-enqueued and replaced by the flood's next job in a tight loop
   * (five round trips each time, over half the worker's work in the runtime bench). Waiting bounds that
   * loop to one refusal per `patienceMs`; another site's job, first in line by priority, still gets the
   * next worker slot that frees up.
   */
  async acquireSlot(
    siteId: string,
    token: string,
    limit: number,
    kind: 'slots' | 'tslots' = 'slots',
    leaseMs = 10_000,
    patienceMs = 100,
  ): Promise<boolean> {
    // One site never holds every slot of this worker's queue: a quiet site's job, already at the
    // front by priority, always finds a free slot instead of waiting for a long batch to end.
    const queueSlots = queueConcurrency(kind === 'slots' ? QueueName.Steps : QueueName.Triggers, this.cfg);
    const budget = Math.max(1, Math.min(limit, queueSlots - 1));
    const giveUpAt = Date.now() + patienceMs;
    for (;;) {
      let got: unknown;
      try {
        got = await this.redis.eval(ACQUIRE, 1, this.key(kind, siteId), Date.now(), token, budget, leaseMs);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'site budget unavailable, running unthrottled');
        return true;
      }
      if (got === 1) {
        this.keepAlive(this.key(kind, siteId), token, leaseMs);
        return true;
      }
      if (Date.now() >= giveUpAt) return false;
      await new Promise((r) => setTimeout(r, SLOT_RETRY_MS));
    }
  }

  /**
   * Renews a held slot's lease while its job runs: a batch longer than the lease must not let its
   * site take more slots than the budget (only a killed worker's leases may expire).
   */
  private keepAlive(key: string, token: string, leaseMs: number): void {
    const timer = setInterval(
      () =>
        void this.redis
          .multi()
          .zadd(key, 'XX', Date.now(), token)
          .pexpire(key, leaseMs) // the key too: it expires when no other job of the site acquires
          .exec()
          .catch(() => undefined),
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    this.leases.set(token, timer);
  }

  /** Stops renewing a slot's lease (`keepAlive`). */
  private endLease(token: string): void {
    clearInterval(this.leases.get(token));
    this.leases.delete(token);
  }

  /** `settle` and `releaseSlot` of a step that finished its work, in one round trip. */
  async settleAndRelease(runId: string, startedAt: number, siteId: string, token: string): Promise<void> {
    this.endLease(token);
    await this.redis
      .pipeline()
      .eval(SETTLE, 1, this.inflightKey('runs'), runId, startedAt)
      .zrem(this.key('slots', siteId), token)
      .exec()
      .catch(() => undefined);
  }

  async releaseSlot(siteId: string, token: string, kind: 'slots' | 'tslots' = 'slots'): Promise<void> {
    this.endLease(token);
    await this.redis.zrem(this.key(kind, siteId), token).catch(() => undefined);
  }
}
