import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { IngestedEventsRepository } from '../ingest/ingested-events.repository';
import { ProfileFold } from '../ingest/profile-fold';
import { RunQueueService } from './run-queue.service';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';

/** Sites one pass relays (oldest outbox row first); a site's claim is its own short transaction. */
const SITES = 64;
/** Sites claimed at once (pool connections a pass may hold). */
const PARALLEL = 4;

/**
 * Relays ingestion's outbox to the `triggers` queue: find the sites with outbox rows (one read-only
 * cluster-wide statement), then per site move rows into `trigger_handoffs` (SKIP LOCKED, so replicas
 * share the work; single-shard on Citus), then enqueue one job per hand-off with a deterministic id. The trigger
 * job deletes its hand-off in the transaction that creates the runs; the reconciler re-sends
 * hand-offs whose job Redis lost.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly events: IngestedEventsRepository,
    private readonly fold: ProfileFold,
    private readonly queue: RunQueueService,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** Before Redis and the queues close (their `onApplicationShutdown`): a pass in flight enqueues its jobs. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * One pass; returns how many outbox rows were relayed. Hand-offs commit first and are enqueued
   * after (a job never looks for a hand-off that is not visible yet); if Redis refuses or this
   * process dies in between, the reconciler re-sends the hand-off.
   */
  async relayOnce(): Promise<{ relayed: number; more: boolean }> {
    const sites = await this.events.sitesWithOutbox(SITES);
    let relayed = 0;
    let more = sites.length === SITES;
    const next = [...sites];
    let failed: Error | undefined;
    const relaySite = async (): Promise<void> => {
      for (let siteId = next.shift(); siteId; siteId = next.shift()) {
        const id = siteId;
        // The site's fold: its oldest outbox rows become profiles and trigger hand-offs (one
        // single-shard transaction; a bounded batch per site and pass, sites round-robin).
        // One site's failure (logged) does not hold the other sites back; its rows stay for the next pass.
        const result = await this.fold.foldSite(id).catch((err: Error) => {
          failed = err;
          this.logger.warn({ err: err.message, siteId: id }, 'fold of a site failed; retrying next pass');
          return { rows: 0, handoffs: [] };
        });
        const { rows: folded, handoffs: rows } = result;
        if (folded > 0) more = true;
        relayed += folded;
        // All at once: their Redis commands share round trips, so a quiet site's hand-off behind a
        // flood's hundreds is enqueued in about the time of one (priorities keep the sites fair).
        await Promise.all(
          rows.map((row) =>
            this.queue.enqueueTriggers({
              siteId: row.site_id,
              handoffId: row.id,
              eventIds: row.event_ids,
              tsRange: row.ts_range,
            }),
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, sites.length) }, relaySite));
    if (failed && relayed === 0) throw failed;
    return { relayed, more };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let more = false;
      try {
        more = (await this.relayOnce()).more;
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 50 === 0)
          this.logger.warn({ err: (err as Error).message, failures }, 'outbox relay failed, retrying');
      }
      if (!more) {
        const wait = failures ? Math.min(2000, 100 * failures) : this.cfg.RUNTIME_RELAY_IDLE_MS;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}
