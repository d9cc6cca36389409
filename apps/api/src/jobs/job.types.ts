/** One typed map of every queue and job (immich-style): names are enums, payloads carry ids only. */
export enum QueueName {
  Triggers = 'triggers',
  Steps = 'steps',
  Webhooks = 'webhooks',
  Maintenance = 'maintenance',
}

export enum JobName {
  SessionsPurgeExpired = 'SessionsPurgeExpired',
  EventsPartitionsEnsure = 'EventsPartitionsEnsure',
  WebhookMessageDeliver = 'WebhookMessageDeliver',
}

export interface JobPayloadMap {
  [JobName.SessionsPurgeExpired]: Record<string, never>;
  [JobName.EventsPartitionsEnsure]: Record<string, never>;
  /** `attempt` = attempts already made; a stale duplicate job finds the message moved on and skips. */
  [JobName.WebhookMessageDeliver]: { siteId: string; messageId: string; attempt: number };
}

/** Which queue carries each job; a missing entry is a compile error. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.SessionsPurgeExpired]: QueueName.Maintenance,
  [JobName.EventsPartitionsEnsure]: QueueName.Maintenance,
  [JobName.WebhookMessageDeliver]: QueueName.Webhooks,
};

export type JobPayload<N extends JobName> = JobPayloadMap[N];

export type AnyJob = { [N in JobName]: { name: N; data: JobPayloadMap[N] } }[JobName];
