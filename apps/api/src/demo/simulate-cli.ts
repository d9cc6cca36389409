import 'reflect-metadata';
import { loadConfig } from '../config/app-config';
import { createDataSource } from '../database/data-source';
import { runCli } from '../database/run-cli';
import { parseKeyToken } from '../sites/key-token';
import { SiteKeyRepository } from '../sites/site-key.repository';
import { TrafficSimulator } from './simulator';

const USAGE = `usage: npm run simulate -- --site <siteId> | --write-key <nf_wk_…>
       [--visitors 200] [--rate 30 (visits per minute)] [--duration 600 (seconds, 0 = until Ctrl+C)]
       [--api http://127.0.0.1:$PORT] [--page-origin <origin of the simulated pages>] [--seed 22]`;

function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}\n${USAGE}`);
    if (m[2] !== undefined) out.set(m[1], m[2]);
    else out.set(m[1], argv[++i] ?? '');
  }
  return out;
}

const num = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0\n${USAGE}`);
  return n;
};

/** The site's first active write key, read through the sites feature's repository, when given --site. */
async function writeKeyOf(siteId: string): Promise<string> {
  const db = createDataSource({ DATABASE_URL: loadConfig().DATABASE_URL, DB_POOL_SIZE: 1 });
  await db.initialize();
  try {
    const key = (await new SiteKeyRepository(db).list(siteId)).find(
      (k) => k.kind === 'write' && !k.revoked_at,
    );
    if (!key?.public_token) throw new Error(`site ${siteId} has no write key (or does not exist)`);
    return key.public_token;
  } finally {
    await db.destroy();
  }
}

/** `npm run simulate -- --site … --visitors … --rate …`: simulated visitors for any site (see simulator.ts). */
runCli(async () => {
  const a = args(process.argv.slice(2));
  const site = a.get('site');
  let writeKey = a.get('write-key');
  if (!writeKey && site) writeKey = await writeKeyOf(site);
  if (!writeKey || !parseKeyToken(writeKey)) throw new Error(`a site id or a write key is needed\n${USAGE}`);
  const apiUrl = a.get('api') ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const sim = new TrafficSimulator({
    apiUrl,
    writeKey,
    pageOrigin: a.get('page-origin'),
    visitors: Math.max(1, Math.floor(num(a.get('visitors'), 200, 'visitors'))),
    ratePerMinute: num(a.get('rate'), 30, 'rate'),
    durationSeconds: num(a.get('duration'), 600, 'duration'),
    seed: num(a.get('seed'), 22, 'seed'),
  });
  const stop = () => sim.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const report = setInterval(() => console.log(`simulator: ${JSON.stringify(sim.stats)}`), 30_000);
  console.log(`simulator: visitors to ${apiUrl} (Ctrl+C stops)`);
  try {
    const stats = await sim.run();
    console.log(`simulator: done ${JSON.stringify(stats)}`);
  } finally {
    clearInterval(report);
  }
});
