import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RunQueueService } from './run-queue.service';
import { RunRepository } from './run.repository';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';

const BATCH = 200;

/**
 * Relays ingestion's outbox to the `triggers` queue: move rows into `trigger_handoffs` (SKIP LOCKED,
 * so replicas share the work), then enqueue one job per hand-off with a deterministic id. The trigger
 * job deletes its hand-off in the transaction that creates the runs; the reconciler re-sends
 * hand-offs whose job Redis lost.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly runs: RunRepository,
    private readonly queue: RunQueueService,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * One pass; returns how many outbox rows were relayed. Hand-offs commit first and are enqueued
   * after (a job never looks for a hand-off that is not visible yet); if Redis refuses or this
   * process dies in between, the reconciler re-sends the hand-off.
   */
  async relayOnce(): Promise<number> {
    const rows = await this.runs.transaction((tx) => this.runs.claimOutbox(tx, BATCH));
    // All at once: their Redis commands share round trips, so a quiet site's hand-off behind a flood's
    // hundreds is enqueued in about the time of one (priorities keep the sites fair).
    await Promise.all(rows.map((row) => this.queue.enqueueTriggers(row.site_id, row.id, row.event_ids)));
    return rows.length;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let relayed = 0;
      try {
        relayed = await this.relayOnce();
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 50 === 0)
          this.logger.warn({ err: (err as Error).message, failures }, 'outbox relay failed, retrying');
      }
      if (relayed < BATCH) {
        const wait = failures ? Math.min(2000, 100 * failures) : this.cfg.RUNTIME_RELAY_IDLE_MS;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}
