import { SetMetadata } from '@nestjs/common';
import { JobName } from './job.types';

export const JOB_HANDLER = 'nudgeflow:job-handler';

/** Marks a provider method as the one handler of a job name; the registry refuses duplicates and gaps. */
export const OnJob = (name: JobName) => SetMetadata(JOB_HANDLER, name);
