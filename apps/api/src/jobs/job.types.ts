/** One typed map of every queue and job (immich-style): names are enums, payloads carry ids only. */
export enum QueueName {
  Triggers = 'triggers',
  Steps = 'steps',
  Webhooks = 'webhooks',
  Maintenance = 'maintenance',
}

export enum JobName {
  SessionsPurgeExpired = 'SessionsPurgeExpired',
}

export interface JobPayloadMap {
  [JobName.SessionsPurgeExpired]: Record<string, never>;
}

/** Which queue carries each job; a missing entry is a compile error. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.SessionsPurgeExpired]: QueueName.Maintenance,
};

export type JobPayload<N extends JobName> = JobPayloadMap[N];

export type AnyJob = { [N in JobName]: { name: N; data: JobPayloadMap[N] } }[JobName];
