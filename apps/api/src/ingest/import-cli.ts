import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/app-config';
import { createDataSource } from '../database/data-source';
import { runCli } from '../database/run-cli';
import { siteIsLive } from '../sites/live-sites';
import { eventFacts } from '../visitors/visitor-facts';
import { normalizeEvent } from './event-normalize';
import { EventStore, IngestItem } from './event-store.repository';
import { parseCsvLine, rowToEvent } from './import-format';

/**
 * `npm run import -- --site <siteId> <file.ndjson|csv>`: streams the file through the same validation,
 * dedupe and group-commit write as the API, 1,000 rows per transaction. A row without messageId gets
 * one derived from its content, and a checkpoint (`<file>.import-<site>.json`, byte offset after the
 * last committed row) lets a re-run resume; both together make a re-run safe.
 */
const CHUNK_ROWS = 1000;
const READ_BYTES = 1 << 20;

function parseArgs(argv: string[]): { siteId: string; file: string } {
  let siteId = '';
  let file = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--site') siteId = argv[++i] ?? '';
    else if (!argv[i].startsWith('--')) file = argv[i];
  }
  if (!/^[0-9a-f-]{36}$/i.test(siteId) || !file) {
    throw new Error('usage: npm run import -- --site <siteId> <file.ndjson|file.csv>');
  }
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  return { siteId: siteId.toLowerCase(), file };
}

function* lines(file: string, start: number): Generator<{ line: string; end: number }> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(READ_BYTES);
    let carry = Buffer.alloc(0);
    let pos = start;
    let base = start;
    for (;;) {
      const n = readSync(fd, buf, 0, READ_BYTES, pos);
      if (n === 0) break;
      pos += n;
      let data = Buffer.concat([carry, buf.subarray(0, n)]);
      let nl: number;
      while ((nl = data.indexOf(10)) >= 0) {
        base += nl + 1;
        yield { line: data.subarray(0, nl).toString('utf8').replace(/\r$/, ''), end: base };
        data = data.subarray(nl + 1);
      }
      carry = Buffer.from(data);
    }
    if (carry.length) yield { line: carry.toString('utf8'), end: base + carry.length };
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const { siteId, file } = parseArgs(process.argv.slice(2));
  const cfg = loadConfig();
  const db = createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DB_POOL_SIZE: 2 });
  await db.initialize();
  const store = new EventStore(db);
  if (!(await siteIsLive(db, siteId))) throw new Error(`site ${siteId} not found`);

  const csv = /\.csv$/i.test(file);
  const checkpointFile = `${file}.import-${siteId}.json`;
  const total = statSync(file).size;
  let offset = 0;
  let rows = 0;
  if (existsSync(checkpointFile)) {
    ({ offset, rows } = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { offset: number; rows: number });
    process.stderr.write(`resuming after row ${rows} (byte ${offset})\n`);
  }
  let header: string[] | undefined;
  if (csv) {
    const first = lines(file, 0).next();
    if (first.done) throw new Error(`${file}: empty`);
    header = parseCsvLine(first.value.line);
    if (offset === 0) offset = first.value.end;
  }

  const started = Date.now();
  const startOffset = offset;
  let stored = 0;
  let duplicates = 0;
  let rejected = 0;
  let chunk: IngestItem[] = [];
  let chunkEnd = offset;
  const progress = () => {
    const secs = (Date.now() - started) / 1000;
    const rate = (chunkEnd - startOffset) / Math.max(secs, 0.001);
    const eta = rate > 0 ? (total - chunkEnd) / rate : 0;
    const pct = total ? Math.floor((chunkEnd / total) * 100) : 100;
    process.stderr.write(
      `\r${pct}% · ${rows.toLocaleString('en-US')} rows · ${Math.round(rows / Math.max(secs, 0.001)).toLocaleString('en-US')} rows/s · ETA ${Math.ceil(eta)}s · stored ${stored}, duplicates ${duplicates}, rejected ${rejected}   `,
    );
  };
  const flush = async () => {
    if (chunk.length) {
      const outcomes = await store.commit(chunk);
      stored += outcomes.filter((o) => o === 'stored').length;
      duplicates += outcomes.filter((o) => o === 'duplicate').length;
    }
    chunk = [];
    writeFileSync(checkpointFile, JSON.stringify({ offset: chunkEnd, rows }));
    progress();
  };

  for (const { line, end } of lines(file, offset)) {
    chunkEnd = end;
    if (!line.trim()) continue;
    rows += 1;
    let raw: unknown;
    try {
      raw = csv ? rowToEvent(header as string[], parseCsvLine(line)) : JSON.parse(line);
    } catch {
      rejected += 1;
      process.stderr.write(`\nrow ${rows}: INVALID_JSON\n`);
      continue;
    }
    const receivedAt = new Date();
    const derivedId = `import-${createHash('sha256').update(`${siteId}\n${line}`).digest('hex').slice(0, 32)}`;
    const r = normalizeEvent(raw, { receivedAt, newMessageId: () => derivedId || randomUUID() });
    if (!r.ok) {
      rejected += 1;
      process.stderr.write(`\nrow ${rows}: ${r.code} ${r.reason}\n`);
      continue;
    }
    chunk.push({
      siteId,
      event: r.event,
      facts: eventFacts(r.event, { userAgent: null, country: null }),
      receivedAt,
    });
    if (chunk.length >= CHUNK_ROWS) await flush();
  }
  await flush();
  process.stderr.write('\n');
  console.log(JSON.stringify({ rows, stored, duplicates, rejected }));
  await db.destroy();
}

runCli(main);
