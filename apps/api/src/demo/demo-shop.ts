import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { parseKeyToken } from '../sites/key-token';
import { DEMO_SHOP_PATH, demoShopPage, renderDemoShopPage } from './demo-shop-pages';

/** What the demo's webhook receiver has seen (in memory: it is a demo). */
interface ReceivedHook {
  at: string;
  webhookId: string;
  type: string;
}

const KEEP = 50;

/**
 * The living demo's pages on the API's own port, only when `DEMO_WRITE_KEY` is set (`npm run demo`):
 * the demo shop, a webhook receiver the demo's endpoint points at (answers 204, so deliveries succeed),
 * and `status.json`, which the builder reads to show its demo banner.
 */
export function mountDemoShop(app: NestFastifyApplication, cfg: AppConfig): void {
  const writeKey = cfg.DEMO_WRITE_KEY;
  if (!writeKey) return;
  const siteId = parseKeyToken(writeKey)?.siteId;
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const received: ReceivedHook[] = [];
  let count = 0;
  const origin = (req: FastifyRequest) =>
    cfg.PUBLIC_URL?.replace(/\/$/, '') ?? `${req.protocol}://${req.host}`;

  fastify.get(`${DEMO_SHOP_PATH}/status.json`, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({
      siteId,
      traffic: cfg.DEMO_TRAFFIC,
      stop: 'To stop them, stop the demo (Ctrl+C) and start it with npm run demo -- --no-traffic',
    }),
  );
  fastify.post(`${DEMO_SHOP_PATH}/webhook`, async (req, reply) => {
    count++;
    const body = (req.body ?? {}) as { type?: unknown };
    received.unshift({
      at: new Date().toISOString(),
      webhookId: String(req.headers['webhook-id'] ?? ''),
      type: typeof body.type === 'string' ? body.type : '',
    });
    received.length = Math.min(received.length, KEEP);
    return reply.status(204).send();
  });
  fastify.get(`${DEMO_SHOP_PATH}/webhook`, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ received: count, latest: received }),
  );
  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const found = demoShopPage(req.url);
    if (!found) {
      return reply
        .status(404)
        .send({ statusCode: 404, code: 'ROUTE_NOT_FOUND', message: `Cannot GET ${req.url}` });
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(renderDemoShopPage(found, origin(req), writeKey));
  };
  fastify.get(DEMO_SHOP_PATH, async (_req, reply) => reply.redirect(`${DEMO_SHOP_PATH}/`));
  fastify.get(`${DEMO_SHOP_PATH}/`, page);
  fastify.get(`${DEMO_SHOP_PATH}/*`, page);
}
