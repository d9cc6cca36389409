import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import { mountQueueBoard } from '../admin/queue-board';
import { AppModule } from '../app.module';
import { toErrorBody } from '../common/http-error.filter';
import { createRootLogger, PinoNestLogger } from '../common/logger';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { mountStaticAssets } from '../web/static-assets';
import { mountDemoShop } from '../demo/demo-shop';
import { apiDocument } from './openapi';

export const MAX_BODY_BYTES = 512 * 1024;

/** Builds the HTTP app (used by main.ts and by the e2e tests, so both run the same wiring). */
export async function createHttpApp(cfg: AppConfig): Promise<NestFastifyApplication> {
  const logger = createRootLogger(cfg.LOG_LEVEL, 'api');
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Trusting every peer's X-Forwarded-For would let a client pick its own address per request.
    trustProxy: cfg.TRUST_PROXY,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(fastifyCookie);

  // Errors raised before Nest's pipeline (body too large, bad JSON) get the same {code, message} shape.
  fastify.setErrorHandler((err, req, reply) => {
    const { body, headers } = toErrorBody(err);
    if (body.statusCode >= 500) req.log.error({ err }, 'unhandled error');
    if (headers) void reply.headers(headers);
    void reply.status(body.statusCode).send(body);
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, seconds);
    if (reply.statusCode >= 400 || cfg.LOG_LEVEL === 'debug') {
      req.log.info(
        { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
    }
  });
  fastify.addHook('onSend', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  SwaggerModule.setup('docs', app, () => apiDocument(app));
  await mountQueueBoard(app);
  mountDemoShop(app, cfg);
  await mountStaticAssets(app, cfg);
  return app;
}
