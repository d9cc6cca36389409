import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueueService } from '../jobs/job-queue.service';
import { JobName } from '../jobs/job.types';
import { REDIS } from '../redis/redis.module';
import { runJobId } from './engine-event';

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2_097_151;

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[4])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

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

  async enqueueRuns(jobs: RunJob[]): Promise<void> {
    if (!jobs.length) return;
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
            attempts: 10,
            backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
            removeOnComplete: true,
            removeOnFail: { age: 3600, count: 10_000 },
          },
        })),
      );
    }
  }

  async enqueueDue(siteId: string, runId: string, seq: number, delayMs = 0): Promise<void> {
    await this.enqueueRuns([{ siteId, runId, jobId: runJobId.due(runId, seq), delayMs }]);
  }

  /** `attempt` > 0 marks a reconciler re-send, so it does not dedupe against a finished job id. */
  async enqueueTriggers(
    siteId: string,
    handoffId: string,
    eventIds: string[],
    attempt: number | string = 0,
    delayMs = 0,
  ): Promise<void> {
    const [priority] = await this.priorities(siteId, 1);
    await this.queues.enqueue(
      JobName.TriggersMatchEvents,
      { siteId, handoffId, eventIds },
      {
        jobId: runJobId.handoff(siteId, handoffId, attempt),
        ...(delayMs > 0 ? { delay: Math.ceil(delayMs) } : {}),
        priority,
        attempts: 10,
        backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
        removeOnComplete: true,
        removeOnFail: { age: 86_400, count: 10_000 },
      },
    );
  }

  /**
   * Takes one of the site's concurrency slots; `false` means the site is at its budget. Slots are
   * leases (a killed worker's slots expire), so the budget is soft for steps longer than the lease.
   */
  async acquireSlot(
    siteId: string,
    token: string,
    limit: number,
    kind: 'slots' | 'tslots' = 'slots',
    leaseMs = 10_000,
  ): Promise<boolean> {
    try {
      const got = await this.redis.eval(
        ACQUIRE,
        1,
        this.key(kind, siteId),
        Date.now(),
        token,
        limit,
        leaseMs,
      );
      return got === 1;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'site budget unavailable, running unthrottled');
      return true;
    }
  }

  async releaseSlot(siteId: string, token: string, kind: 'slots' | 'tslots' = 'slots'): Promise<void> {
    await this.redis.zrem(this.key(kind, siteId), token).catch(() => undefined);
  }
}
