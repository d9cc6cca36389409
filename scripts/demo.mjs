// `npm run demo` after install, build, migrate: seeds the demo site (`npm run seed`), starts the API and
// the worker (as `npm start` does) with the demo shop and a local mail sink, puts the demo content on
// the site through the marketer API, then runs the traffic simulator until Ctrl+C.
// `npm run demo -- --no-traffic` runs everything but the simulator.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const traffic = !process.argv.includes('--no-traffic');
const port = Number(process.env.PORT ?? 3000);
const apiUrl = `http://127.0.0.1:${port}`;
const node = (entry, args = [], env = process.env) =>
  spawn(process.execPath, ['--enable-source-maps', entry, ...args], { stdio: 'inherit', env });

// 1. The demo user, account, site and write key (idempotent).
const seeded = execFileSync(process.execPath, ['apps/api/dist/database/seed.js'], { encoding: 'utf8' });
process.stdout.write(seeded);
const writeKey = /nf_wk_[A-Za-z0-9_-]+/.exec(seeded)?.[0];
if (!writeKey) throw new Error('the seed printed no write key');

// 2. A mail sink on loopback, so the flows' emails are sent somewhere (their subjects are printed).
const { SMTPServer } = require('smtp-server');
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, done) {
    let raw = '';
    stream.on('data', (c) => (raw += c.toString()));
    stream.on('end', () => {
      const subject = /^Subject:\s*(.*)$/im.exec(raw)?.[1] ?? '';
      if (process.env.DEMO_PRINT_MAIL) console.log(`demo mail sink: ${subject}`);
      done();
    });
  },
});
await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = smtp.server.address().port;

// 3. API + worker, with the demo shop on and loopback webhooks allowed (the demo's receiver).
const env = {
  ...process.env,
  DEMO_WRITE_KEY: writeKey,
  DEMO_TRAFFIC: String(traffic),
  WEBHOOK_ALLOWLIST: process.env.WEBHOOK_ALLOWLIST ?? '127.0.0.1,::1',
  SMTP_URL: process.env.SMTP_URL ?? `smtp://127.0.0.1:${smtpPort}`,
};
const procs = [node('apps/api/dist/main.js', [], env), node('apps/api/dist/worker.js', [], env)];
let simulator;
let stopping = false;
const stop = (code = 0) => {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const p of [...procs, simulator]) if (p && p.exitCode === null) p.kill('SIGTERM');
  smtp.close();
};
for (const p of procs) p.on('exit', (code) => stop(code ?? 1));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const deadline = Date.now() + 60_000;
for (;;) {
  const up = await fetch(`${apiUrl}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (up || stopping) break;
  if (Date.now() > deadline) {
    console.error('demo: the API did not answer /health within 60 s');
    stop(1);
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}

// 4. Flows, CTAs, the webhook endpoint and funnels, through the marketer API; then the visitors.
if (!stopping) {
  execFileSync(process.execPath, ['apps/api/dist/demo/demo-seed-cli.js', '--api', apiUrl], {
    stdio: 'inherit',
  });
  const shop = `${process.env.PUBLIC_URL ?? `http://localhost:${port}`}/demo-shop/`;
  console.log(`\nDemo shop (the embed snippet live): ${shop}`);
  if (traffic) {
    console.log('Simulated visitors are on (npm run demo -- --no-traffic turns them off).\n');
    simulator = node('apps/api/dist/demo/simulate-cli.js', [
      '--write-key',
      writeKey,
      '--api',
      apiUrl,
      '--duration',
      '0',
      '--visitors',
      process.env.DEMO_VISITORS ?? '500',
      '--rate',
      process.env.DEMO_RATE ?? '30',
    ]);
    simulator.on('exit', () => (simulator = undefined));
  } else console.log('No simulated traffic (--no-traffic).\n');
}
