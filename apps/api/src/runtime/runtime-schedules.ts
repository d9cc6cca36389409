import { JobName } from '../jobs/job.types';
import { loadRuntimeConfig } from './runtime-config';

/** Repeatable runtime maintenance, listed in `workerSchedules` (worker-schedules.ts). */
export function runtimeSchedules(): { id: string; name: JobName; everyMs: number }[] {
  const cfg = loadRuntimeConfig();
  return [
    { id: 'runs-reconcile', name: JobName.RunsReconcile, everyMs: cfg.RUNTIME_RECONCILE_EVERY_MS },
    { id: 'runs-reap', name: JobName.RunsReap, everyMs: cfg.RUNTIME_REAP_EVERY_MS },
  ];
}
