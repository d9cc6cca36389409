import 'reflect-metadata';
import { createHttpApp } from './bootstrap/http-app';
import { failStartup, preflight } from './bootstrap/preflight';

async function main() {
  const cfg = await preflight();
  const app = await createHttpApp(cfg);
  await app.listen({ port: cfg.PORT, host: cfg.HOST });
  app
    .getHttpAdapter()
    .getInstance()
    .log.info({ url: await app.getUrl() }, 'api listening');
}

main().catch((err) => failStartup(err, 'api'));
