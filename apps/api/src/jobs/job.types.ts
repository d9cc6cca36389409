/** One typed map of every queue and job (immich-style): names are enums, payloads carry ids only. */
export enum QueueName {
  Triggers = 'triggers',
  Steps = 'steps',
  Webhooks = 'webhooks',
  Maintenance = 'maintenance',
  Backtests = 'backtests',
}

export enum JobName {
  TriggersMatchEvents = 'TriggersMatchEvents',
  RunStep = 'RunStep',
  RunsWake = 'RunsWake',
  RunsReconcile = 'RunsReconcile',
  RunsReap = 'RunsReap',
  SessionsPurgeExpired = 'SessionsPurgeExpired',
  EventsPartitionsEnsure = 'EventsPartitionsEnsure',
  DedupeWindowSeal = 'DedupeWindowSeal',
  WebhookMessageDeliver = 'WebhookMessageDeliver',
  WebhookMessagesQueueDue = 'WebhookMessagesQueueDue',
  RollupsAdvance = 'RollupsAdvance',
  BacktestRun = 'BacktestRun',
}

export interface JobPayloadMap {
  /** Event ids (bigint as text) handed off by ingestion's outbox, all of one site. */
  /** `tsRange`: the events' `ts` bounds (ISO), absent on hand-offs of the previous release. */
  [JobName.TriggersMatchEvents]: {
    siteId: string;
    handoffId: string;
    eventIds: string[];
    tsRange?: [string, string] | null;
  };
  /** Advance whatever is due for the run (start, inbox events, timer, pending actions). */
  [JobName.RunStep]: { siteId: string; runId: string };
  /** Advance the site's waiting runs whose wake-up time has come; one job per site and slice of time. */
  [JobName.RunsWake]: { siteId: string; dueAt: number };
  [JobName.RunsReconcile]: Record<string, never>;
  [JobName.RunsReap]: Record<string, never>;
  [JobName.SessionsPurgeExpired]: Record<string, never>;
  [JobName.EventsPartitionsEnsure]: Record<string, never>;
  /** Seal, clean and expire every site's messageId dedupe window (ingest/dedupe-window.ts). */
  [JobName.DedupeWindowSeal]: Record<string, never>;
  /**
   * `attempt` = attempts already made; a stale duplicate job finds the message moved on and skips.
   * `others`: more messages of the site due at the same time, sent by the same job.
   */
  [JobName.WebhookMessageDeliver]: {
    siteId: string;
    messageId: string;
    attempt: number;
    others?: { id: string; attempt: number }[];
  };
  [JobName.WebhookMessagesQueueDue]: Record<string, never>;
  /** Roll the next watermark window of events and the run ledger into the analytics buckets. */
  [JobName.RollupsAdvance]: Record<string, never>;
  /** Replay the next slice of a backtest's visitors; the job re-enqueues itself until done (fair to other sites). */
  [JobName.BacktestRun]: { siteId: string; backtestId: string };
}

/** Which queue carries each job; a missing entry is a compile error. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.TriggersMatchEvents]: QueueName.Triggers,
  [JobName.RunStep]: QueueName.Steps,
  [JobName.RunsWake]: QueueName.Steps,
  [JobName.RunsReconcile]: QueueName.Maintenance,
  [JobName.RunsReap]: QueueName.Maintenance,
  [JobName.SessionsPurgeExpired]: QueueName.Maintenance,
  [JobName.EventsPartitionsEnsure]: QueueName.Maintenance,
  [JobName.DedupeWindowSeal]: QueueName.Maintenance,
  [JobName.WebhookMessageDeliver]: QueueName.Webhooks,
  [JobName.WebhookMessagesQueueDue]: QueueName.Maintenance,
  [JobName.RollupsAdvance]: QueueName.Maintenance,
  [JobName.BacktestRun]: QueueName.Backtests,
};

export type JobPayload<N extends JobName> = JobPayloadMap[N];

export type AnyJob = { [N in JobName]: { name: N; data: JobPayloadMap[N] } }[JobName];
