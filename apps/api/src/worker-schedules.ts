import { analyticsSchedules } from './analytics/analytics-config';
import { JobName } from './jobs/job.types';
import { loadRuntimeConfig } from './runtime/runtime-config';
import { runtimeSchedules } from './runtime/runtime-schedules';

export interface Schedule {
  id: string;
  name: JobName;
  everyMs: number;
}

/**
 * Every repeatable job of the worker, in one list: upserted by each worker at start and re-created
 * by `ScheduleWatchdog` whenever Redis has lost one (FLUSHALL, a restart without persistence).
 */
export function workerSchedules(): Schedule[] {
  return [
    { id: 'sessions-purge', name: JobName.SessionsPurgeExpired, everyMs: 3_600_000 },
    { id: 'events-partitions', name: JobName.EventsPartitionsEnsure, everyMs: 3_600_000 },
    { id: 'dedupe-window-seal', name: JobName.DedupeWindowSeal, everyMs: 300_000 },
    // On the reconciler's tick: messages whose delivery job Redis lost are re-queued as soon as runs are.
    {
      id: 'webhooks-queue-due',
      name: JobName.WebhookMessagesQueueDue,
      everyMs: loadRuntimeConfig().RUNTIME_RECONCILE_EVERY_MS,
    },
    ...runtimeSchedules(),
    ...analyticsSchedules(),
  ];
}
