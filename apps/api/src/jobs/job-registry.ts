import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { JOB_HANDLER } from './job-handler.decorator';
import { handlerCoverageProblems } from './handler-coverage';
import { JobName, JobPayloadMap } from './job.types';

type Handler = (data: unknown, ctx: JobContext) => Promise<unknown>;

export interface JobContext {
  jobId: string | undefined;
  attemptsMade: number;
  queue: string;
}

export class JobRegistryError extends Error {}

/** Finds `@OnJob` handlers at start-up; the worker refuses to start if a job has no handler or two. */
@Injectable()
export class JobRegistry implements OnModuleInit {
  private readonly handlers = new Map<JobName, Handler>();
  private ready = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    if (this.ready) return;
    const owners = new Map<JobName, string[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER, fn as () => unknown);
        if (!name) continue;
        owners.set(name, [...(owners.get(name) ?? []), `${wrapper.name as string}.${method}`]);
        this.handlers.set(name, (fn as Handler).bind(instance));
      }
    }
    const problems = handlerCoverageProblems(owners);
    if (problems.length) throw new JobRegistryError(`job registry: ${problems.join('; ')}`);
    this.ready = true;
  }

  async dispatch<N extends JobName>(name: N, data: JobPayloadMap[N], ctx: JobContext): Promise<unknown> {
    // BullMQ's workers start in an earlier module's init hook: a job already waiting in Redis can
    // arrive before this registry's own hook ran (every provider exists by then).
    if (!this.ready) this.onModuleInit();
    const handler = this.handlers.get(name);
    if (!handler) throw new JobRegistryError(`no handler for job ${name}`);
    return handler(data, ctx);
  }
}
