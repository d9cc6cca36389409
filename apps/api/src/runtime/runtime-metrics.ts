import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';

/**
 * Worker-side metrics. The worker has no HTTP API, so it serves its own registry on a small
 * loopback port (`WORKER_METRICS_PORT`, off when 0) for Prometheus to scrape next to the API's
 * /metrics (which has the queue depths). One scrape target per worker replica, as usual.
 */
@Injectable()
export class RuntimeMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RuntimeMetrics.name);
  readonly registry = new Registry();
  readonly stepDuration = new Histogram({
    name: 'nudgeflow_run_step_duration_seconds',
    help: 'Flow run step latency (engine transition or one action) by phase/node kind',
    labelNames: ['phase'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'nudgeflow_run_step_failures_total',
    help: 'Failed action attempts by node kind (final = the run was failed)',
    labelNames: ['node_kind', 'final'],
    registers: [this.registry],
  });
  readonly enrolled = new Counter({
    name: 'nudgeflow_runs_enrolled_total',
    help: 'Runs created by trigger matching',
    registers: [this.registry],
  });
  readonly triggerToEffect = new Histogram({
    name: 'nudgeflow_trigger_to_first_step_seconds',
    help: 'From event receipt to the run first advancing',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private server?: Server;

  constructor(@Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig) {
    collectDefaultMetrics({ register: this.registry, prefix: 'nudgeflow_worker_' });
  }

  onModuleInit(): void {
    if (!this.cfg.WORKER_METRICS_PORT) return;
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    this.server.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'worker metrics port unavailable'),
    );
    this.server.listen(this.cfg.WORKER_METRICS_PORT, this.cfg.WORKER_METRICS_HOST);
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }
}
