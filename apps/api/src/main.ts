import 'reflect-metadata';
import { createHttpApp } from './bootstrap/http-app';
import { failStartup, preflight } from './bootstrap/preflight';
import { exitGracefully } from './bootstrap/shutdown';

async function main() {
  const cfg = await preflight();
  const app = await createHttpApp(cfg);
  await app.listen({ port: cfg.PORT, host: cfg.HOST });
  const log = app.getHttpAdapter().getInstance().log;
  log.info({ url: await app.getUrl() }, 'api listening');
  exitGracefully(app, log);
}

main().catch((err) => failStartup(err, 'api'));
