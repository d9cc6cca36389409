import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { failStartup, preflight } from './bootstrap/preflight';
import { exitGracefully } from './bootstrap/shutdown';
import { createRootLogger, PinoNestLogger } from './common/logger';
import { WorkerModule } from './worker.module';

async function main() {
  const cfg = await preflight();
  const logger = createRootLogger(cfg.LOG_LEVEL, 'worker');
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: new PinoNestLogger(logger),
  });
  await app.init();
  // SIGTERM: BullMQ workers stop taking jobs, finish the running ones, then pools close.
  exitGracefully(app, logger);
  logger.info('worker started');
}

main().catch((err) => failStartup(err, 'worker'));
