import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobName } from '../jobs/job.types';
import { runJobId } from './engine-event';
import { RunJob, RunQueueService } from './run-queue.service';
import { EffectPort } from './effect-port';
import { RunEnrolmentRepository } from './run-enrolment.repository';
import { OnRunsEnded, RunMaintenanceRepository } from './run-maintenance.repository';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';

const RECONCILE_BATCH = 5000;
/**
 * Overdue work whose job Redis still holds is a backlog, not a loss; it is re-sent only when its
 * in-flight marker is this many grace periods past due (the job failed for good, or the marker
 * outlived a crash).
 */
const STALE_MARKER_GRACES = 20;

/** Sites one maintenance pass works on (each a few single-shard statements); the rest wait a pass. */
const SITES_PER_PASS = 500;

/** Claims per site, in discovery order, until `limit` rows in all. */
async function perSite<T>(
  sites: string[],
  limit: number,
  claim: (siteId: string, limit: number) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (const siteId of sites) {
    if (out.length >= limit) break;
    out.push(...(await claim(siteId, limit - out.length)));
  }
  return out;
}

/** Reconciler (PostgreSQL → BullMQ) and reaper: no run is lost, none ends silently. */
@Injectable()
export class RuntimeMaintenance {
  private readonly logger = new Logger(RuntimeMaintenance.name);

  constructor(
    private readonly runs: RunMaintenanceRepository,
    private readonly handoffs: RunEnrolmentRepository,
    private readonly queue: RunQueueService,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
    private readonly effects: EffectPort,
  ) {}

  /** webhooks: run.failed for reaped runs, run.completed for runs an archived flow exited. */
  private readonly notifyEnded: OnRunsEnded = async (tx, rows, status) => {
    for (const r of rows) await this.effects.runEnded(tx, r, status, r.seq, r.error);
  };

  /**
   * Promotes waits entering the timer horizon into delayed jobs and re-enqueues overdue runs whose
   * job Redis no longer holds (see `RunQueueService.lost`). Job
   * ids are deterministic per run transition (and per grace bucket for rescues), so a run already in
   * Redis is not added twice; a duplicate that slips through finds nothing due under the row lock.
   */
  @OnJob(JobName.RunsReconcile)
  async reconcile(): Promise<{ promoted: number; rescued: number; handoffs: number }> {
    const { RUNTIME_TIMER_HORIZON_MS: horizon, RUNTIME_RECONCILE_EVERY_MS: every } = this.cfg;
    const grace = this.cfg.RUNTIME_RESCUE_GRACE_MS;
    const at = new Date();
    const now = at.getTime();
    const bucket = Math.floor(now / grace);
    const promoted = await this.runs.enteringHorizon(at, horizon, Math.max(2 * every, 1000), RECONCILE_BATCH);
    // Found across the cluster (read-only), claimed per site: no lock spans shards.
    const candidates = await perSite(
      await this.runs.sitesWithOverdue(new Date(now - grace), new Date(now - 4 * grace), SITES_PER_PASS),
      RECONCILE_BATCH,
      (siteId, limit) => this.runs.claimOverdue(siteId, at, grace, limit),
    );
    const stale = grace * STALE_MARKER_GRACES;
    const lostRuns = await this.queue.lost(
      'runs',
      candidates.map((r) => r.id),
      stale,
    );
    const overdue = candidates.filter((r) => lostRuns.has(r.id));
    const rescued = overdue.length;
    // Waits entering the horizon get wake-ups (one job per site and slice, like fresh waits).
    const wakes = new Map<string, { runId: string; dueAt: number }[]>();
    for (const r of promoted)
      wakes.set(r.site_id, [
        ...(wakes.get(r.site_id) ?? []),
        { runId: r.id, dueAt: r.next_step_at.getTime() },
      ]);
    for (const [siteId, list] of wakes) await this.queue.enqueueWakes(siteId, list);
    const jobs: RunJob[] = overdue.map((r) => ({
      siteId: r.site_id,
      runId: r.id,
      jobId: runJobId.rescue(r.id, r.seq, bucket),
    }));
    await this.queue.enqueueRuns(jobs);
    const staleBefore = new Date(now - grace);
    const staleHandoffs = await perSite(
      await this.handoffs.sitesWithStaleHandoffs(staleBefore, SITES_PER_PASS),
      RECONCILE_BATCH,
      (siteId, limit) => this.handoffs.claimStaleHandoffs(siteId, staleBefore, at, limit),
    );
    const lostHandoffs = await this.queue.lost(
      'handoffs',
      staleHandoffs.map((h) => RunQueueService.handoffField(h.site_id, h.id)),
      stale,
    );
    const handoffs = staleHandoffs.filter((h) =>
      lostHandoffs.has(RunQueueService.handoffField(h.site_id, h.id)),
    );
    for (const h of handoffs)
      await this.queue.enqueueTriggers(
        { siteId: h.site_id, handoffId: h.id, eventIds: h.event_ids, tsRange: h.ts_range },
        bucket,
      );
    // Markers of jobs that failed for good are never settled: drop those long past due.
    await this.queue.prune('runs', stale);
    await this.queue.prune('handoffs', stale);
    if (rescued || handoffs.length)
      this.logger.log({ rescued, handoffs: handoffs.length }, 'reconciler re-enqueued lost work');
    return { promoted: promoted.length, rescued, handoffs: handoffs.length };
  }

  /** Fails runs stuck past the deadline with a reason, and exits runs of flows archived with "exit runs". */
  @OnJob(JobName.RunsReap)
  async reap(): Promise<{ reaped: number; archivedExited: number }> {
    const at = new Date();
    const stuckMs = this.cfg.RUNTIME_STUCK_MS;
    const stuckSites = await this.runs.sitesWithStuck(new Date(at.getTime() - stuckMs), SITES_PER_PASS);
    let reaped = 0;
    for (const siteId of stuckSites)
      reaped += (await this.runs.reapStuck(siteId, at, stuckMs, this.notifyEnded)).length;
    if (reaped) this.logger.warn({ reaped }, 'reaper failed stuck runs');
    let archivedExited = 0;
    try {
      for (const siteId of await this.runs.sitesWithArchivedRuns(SITES_PER_PASS))
        archivedExited += await this.runs.exitArchivedRuns(siteId, at, this.notifyEnded);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'archived-flow exit pass failed');
    }
    return { reaped, archivedExited };
  }
}
