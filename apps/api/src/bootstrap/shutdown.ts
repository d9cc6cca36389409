import type { INestApplicationContext } from '@nestjs/common';
import type { BaseLogger } from 'pino';

/**
 * SIGTERM/SIGINT: stop taking work, let in-flight requests and jobs finish (app.close runs every
 * shutdown hook: HTTP server, BullMQ workers, pools), then exit 0. A second signal or a stuck
 * close after `graceMs` exits 1.
 */
export function exitGracefully(
  app: INestApplicationContext,
  logger: Pick<BaseLogger, 'info' | 'error'>,
  graceMs = 25_000,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long');
      process.exit(1);
    }, graceMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
