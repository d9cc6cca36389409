// npm run bench -- builder   (after `npm run build`; BENCH_RUNS=3 page loads per flow by default)
//
// In one run, on loopback, against the real API serving apps/builder/dist: a generated, valid
// 300-node flow and — the baseline — the same kind of flow with 10 nodes are opened in the editor in
// headless Chromium. For each: time from navigation until the canvas is interactive (nodes drawn and
// a drag on the pane moves the viewport) and rAF frame times during a bounded pan. Also prints the
// initial JS (entry chunks of index.html) and the editor's lazy chunks, gzipped. Bounded: a fixed
// number of loads, fixed pans, and a hard deadline. Prints the machine's load average too: on a shared,
// loaded machine every number here grows with it.
// Scale and targets: BENCH_NODES (300), BENCH_RUNS (3), BENCH_DEADLINE_MS (180000), BENCH_DATABASE_URL
// (…/nudgeflow_bench, created and migrated if missing), BENCH_REDIS_URL (redis://127.0.0.1:6379/3).
// Diagnosis: BENCH_TRACE=1 prints the last load's requests, paints and marks (pane and first node in the
// DOM, the drag's pointerdown/up); BENCH_PROFILE=DIR writes a CPU profile of every load (navigation to
// interactive) as DIR/builder-<nodes>-<time>.cpuprofile (build with `vite build --minify false` to read it).
/* global window, document, location, requestAnimationFrame, getComputedStyle, MutationObserver, addEventListener -- used inside page.evaluate callbacks */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { freePort, loadAverage, percentile, prepareDatabase, root } from './lib.mjs';

const dist = resolve(root, 'apps/builder/dist');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG = Number(process.env.BENCH_NODES ?? 300);
const SMALL = 10;
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 180_000);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const PASSWORD = 'bench-password-1234';
const TARGET_INTERACTIVE_MS = 1500;
const TARGET_INITIAL_JS_KB = 400;
// The same flags as libs/embed/test/browser.ts (launchBrowser), which TypeScript tests share.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const cleanups = [];
const deadline = setTimeout(() => {
  console.error(`builder bench: gave up after ${DEADLINE_MS} ms`);
  void shutdown(1);
}, DEADLINE_MS);

async function shutdown(code) {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  clearTimeout(deadline);
  process.exit(code);
}

async function startApi() {
  const port = await freePort();
  const proc = spawn(process.execPath, [resolve(root, 'apps/api/dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: DB_URL,
      REDIS_URL,
      QUEUE_PREFIX: `nfbenchb${randomUUID().slice(0, 6)}`,
      SCHEDULE_MAINTENANCE: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  cleanups.push(async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  });
  const url = `http://127.0.0.1:${port}`;
  for (const start = Date.now(); ;) {
    if (proc.exitCode !== null) throw new Error(`api exited:\n${out}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200 || r.status === 503,
      () => false,
    );
    if (ok) return url;
    if (Date.now() - start > 30_000) throw new Error(`api did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(url, path, { method = 'GET', token, body } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * A valid flow of `count` nodes: one event trigger, then a chain of "update visitor" steps with a
 * wait every fifth step, ending in an exit; laid out as a snake on a 12-column grid.
 */
function generateGraph(count) {
  const columns = 12;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / columns);
    const col = row % 2 === 0 ? i % columns : columns - 1 - (i % columns);
    const position = { x: col * 300, y: row * 170 };
    const id = `n${i}`;
    if (i === 0) {
      nodes.push({ id, type: 'trigger_event', position, config: { event: 'add_to_cart', filters: [] } });
    } else if (i === count - 1) {
      nodes.push({ id, type: 'exit', position, config: {} });
    } else if (i % 5 === 0) {
      nodes.push({
        id,
        type: 'wait',
        position,
        config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } },
      });
    } else {
      nodes.push({
        id,
        type: 'update_visitor',
        label: `Tag step ${i}`,
        position,
        config: { setTraits: [], unsetTraits: [], addTags: [`step-${i}`], removeTags: [] },
      });
    }
  }
  const edges = nodes.slice(1).map((node, i) => ({
    id: `e${i}`,
    source: nodes[i].id,
    sourceHandle: 'next',
    target: node.id,
  }));
  return { nodes, edges };
}

async function createFlow(url, token, siteId, count) {
  const flow = await call(url, `/api/sites/${siteId}/flows`, {
    method: 'POST',
    token,
    body: { name: `Bench ${count} nodes` },
  });
  await call(url, `/api/sites/${siteId}/flows/${flow.id}/draft`, {
    method: 'PUT',
    token,
    body: { revision: flow.revision, graph: generateGraph(count), settings: flow.draft.settings },
  });
  const { errors } = await call(url, `/api/sites/${siteId}/flows/${flow.id}/validate`, {
    method: 'POST',
    token,
    body: {},
  });
  if (errors.length) throw new Error(`generated ${count}-node flow is invalid: ${JSON.stringify(errors[0])}`);
  return flow.id;
}

/** The entry chunks index.html loads before anything else (script + modulepreload + CSS aside). */
function initialJs() {
  const html = readFileSync(resolve(dist, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
  ].map((m) => m[1]);
  return [...new Set(files)].map((f) => ({ file: f, ...sizes(f) }));
}

function sizes(file) {
  const buf = readFileSync(resolve(dist, file.replace(/^\//, '')));
  return { raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const median = (values) => percentile(values, 50);

/**
 * Opens the editor on a fresh navigation; "interactive" is when nodes are drawn and a drag on the
 * empty pane has moved the viewport, measured in the page from navigation start.
 */
async function openAndMeasure(page, url, siteId, flowId, count) {
  await page.goto('about:blank');
  const jsFiles = new Set();
  const onResponse = (res) => {
    const path = new URL(res.url()).pathname;
    if (path.endsWith('.js')) jsFiles.add(path);
  };
  page.on('response', onResponse);
  // BENCH_PROFILE=DIR: a CPU profile of the page from navigation to interactive, per load.
  const cdp = process.env.BENCH_PROFILE ? await page.context().newCDPSession(page) : undefined;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  await page.goto(`${url}/sites/${siteId}/flows/${flowId}`, { waitUntil: 'commit' });
  await page.waitForSelector('.react-flow__node', { timeout: 20_000 });
  const pane = await page.locator('.react-flow__pane').boundingBox();
  const readTransform = () =>
    page.$eval('.react-flow__viewport', (el) => getComputedStyle(el).transform || el.style.transform);
  const before = await readTransform();
  const x = pane.x + pane.width - 40;
  const y = pane.y + pane.height - 40;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x - 30, y - 20, { steps: 3 });
  await page.mouse.up();
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector('.react-flow__viewport');
      return el && (getComputedStyle(el).transform || el.style.transform) !== prev;
    },
    before,
    { timeout: 10_000 },
  );
  const interactiveMs = await page.evaluate(() => performance.now());
  page.off('response', onResponse);
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(process.env.BENCH_PROFILE, { recursive: true });
    writeFileSync(
      join(process.env.BENCH_PROFILE, `builder-${count}-${Date.now()}.cpuprofile`),
      JSON.stringify(profile),
    );
    await cdp.detach();
  }
  // BENCH_TRACE=1: where the time went (navigation, each request's start and end, first paints).
  const trace = process.env.BENCH_TRACE
    ? await page.evaluate(() =>
        [
          ...performance.getEntriesByType('navigation'),
          ...performance.getEntriesByType('resource'),
          ...performance.getEntriesByType('paint'),
          ...performance.getEntriesByType('mark'),
        ].map((e) => ({
          name: e.name.replace(location.origin, ''),
          start: Math.round(e.startTime),
          end: Math.round(e.responseEnd ?? e.startTime + e.duration),
        })),
      )
    : undefined;
  const rendered = await page.locator('[data-testid^="node-"]').count();

  // Frame times over a bounded pan: 120 mouse steps, 900 px left and back.
  await page.evaluate(() => {
    const w = window;
    w.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      w.__frames.push(t - last);
      last = t;
      if (w.__frames.length < 2000 && !w.__stop) requestAnimationFrame(tick);
    };
    w.__stop = false;
    requestAnimationFrame(tick);
  });
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 60; i++) await page.mouse.move(x - i * 15, y - i * 4);
  for (let i = 59; i >= 0; i--) await page.mouse.move(x - i * 15, y - i * 4);
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    window.__stop = true;
    return window.__frames.slice(1);
  });
  // A big flow opens on its start (only the steps in view are drawn): also time "Fit view", which draws
  // every step (zoomed far out, without summaries), until all are in the DOM and two frames went by.
  const fitStart = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Fit view', exact: true }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="node-"]').length >= n, count, {
    timeout: 20_000,
  });
  const fitAllMs =
    (await page.evaluate(
      () =>
        new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))),
    )) - fitStart;
  return { interactiveMs, rendered, frames, fitAllMs, jsFiles: [...jsFiles], trace };
}

async function main() {
  const loadAtStart = loadAverage();
  if (!existsSync(resolve(dist, 'index.html')))
    throw new Error('run `npm run build` first (no apps/builder/dist)');
  await prepareDatabase(DB_URL);
  const url = await startApi();

  const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
  const { accessToken: token } = await call(url, '/api/auth/signup', {
    method: 'POST',
    body: { email, password: PASSWORD, name: 'Bench' },
  });
  const site = await call(url, '/api/sites', {
    method: 'POST',
    token,
    body: { name: 'Bench shop', domain: `${randomUUID().slice(0, 8)}.bench.example.com`, timezone: 'UTC' },
  });
  const small = await createFlow(url, token, site.id, SMALL);
  const big = await createFlow(url, token, site.id, BIG);

  const userDataDir = await mkdtemp(join(tmpdir(), 'nf-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 720 },
  });
  cleanups.push(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  if (process.env.BENCH_TRACE)
    await page.addInitScript(() => {
      const seen = new Set();
      const mark = (name) => {
        if (!seen.has(name)) {
          seen.add(name);
          performance.mark(name);
        }
      };
      new MutationObserver(() => {
        if (document.querySelector('.react-flow__pane')) mark('pane in DOM');
        if (document.querySelector('.react-flow__node')) mark('first node in DOM');
      }).observe(document, { childList: true, subtree: true });
      addEventListener('pointerdown', () => mark('pointerdown'), true);
      addEventListener('pointerup', () => mark('pointerup'), true);
    });
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/sites\//);

  // One warm-up load of each (HTTP cache and V8 code cache warm, as for a returning marketer).
  await openAndMeasure(page, url, site.id, small, SMALL);
  await openAndMeasure(page, url, site.id, big, BIG);
  const results = { [SMALL]: [], [BIG]: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [count, flowId] of [
      [SMALL, small],
      [BIG, big],
    ]) {
      results[count].push(await openAndMeasure(page, url, site.id, flowId, count));
    }
  }

  const initial = initialJs();
  const initialGzip = initial.reduce((sum, f) => sum + f.gzip, 0);
  const editorJs = results[BIG][0].jsFiles
    .filter((f) => !initial.some((i) => i.file === f))
    .map((file) => ({ file, ...sizes(file) }));
  const editorGzip = editorJs.reduce((sum, f) => sum + f.gzip, 0);

  const summary = (count) => {
    const runs = results[count];
    const frames = runs.flatMap((r) => r.frames);
    return {
      interactive: median(runs.map((r) => r.interactiveMs)),
      fitAll: median(runs.map((r) => r.fitAllMs)),
      rendered: runs[0].rendered,
      p50: median(frames),
      p95: percentile(frames, 95),
      max: Math.max(...frames),
      frames: frames.length,
    };
  };
  if (process.env.BENCH_TRACE) {
    for (const count of [SMALL, BIG]) {
      const last = results[count].at(-1);
      console.log(
        `trace of the last ${count}-node load (interactive at ${last.interactiveMs.toFixed(0)} ms):`,
      );
      for (const e of last.trace)
        console.log(`  ${String(e.start).padStart(6)} → ${String(e.end).padStart(6)}  ${e.name}`);
    }
  }
  const s = summary(SMALL);
  const b = summary(BIG);
  console.log(`builder bench — ${RUNS} timed loads per flow after one warm-up, Chromium headless 1280×720`);
  console.log(`machine load average (1/5/15 min): ${loadAtStart} at start, ${loadAverage()} at end`);
  console.log(
    `initial JS (index.html entry chunks), gzipped: ${kb(initialGzip)}  (target < ${TARGET_INITIAL_JS_KB} KB)`,
  );
  for (const f of initial) console.log(`  ${f.file}  ${kb(f.raw)} raw, ${kb(f.gzip)} gzip`);
  console.log(`editor chunks loaded when a flow opens, gzipped: ${kb(editorGzip)}`);
  for (const f of editorJs) console.log(`  ${f.file}  ${kb(f.raw)} raw, ${kb(f.gzip)} gzip`);
  console.log('');
  console.log(
    'flow      interactive   nodes drawn   pan frame p50 / p95 / max (ms)   frames   fit view, all drawn',
  );
  for (const [count, r] of [
    [SMALL, s],
    [BIG, b],
  ]) {
    console.log(
      `${String(count).padStart(3)} nodes  ${r.interactive.toFixed(0).padStart(7)} ms   ${String(r.rendered).padStart(11)}   ` +
        `${r.p50.toFixed(1)} / ${r.p95.toFixed(1)} / ${r.max.toFixed(1)}`.padEnd(33) +
        `${String(r.frames).padEnd(9)}${r.fitAll.toFixed(0).padStart(6)} ms`,
    );
  }
  console.log('');
  console.log(
    `ratio ${BIG}/${SMALL} nodes: interactive ×${(b.interactive / s.interactive).toFixed(2)}, pan frame p95 ×${(b.p95 / s.p95).toFixed(2)}`,
  );
  const okInteractive = b.interactive < TARGET_INTERACTIVE_MS;
  const okJs = initialGzip / 1024 < TARGET_INITIAL_JS_KB;
  console.log(
    `targets: interactive ${b.interactive.toFixed(0)} ms < ${TARGET_INTERACTIVE_MS} ms ${okInteractive ? 'OK' : 'MISSED'}; ` +
      `initial JS ${kb(initialGzip)} < ${TARGET_INITIAL_JS_KB} KB ${okJs ? 'OK' : 'MISSED'}`,
  );
}

main().then(
  () => shutdown(0),
  (error) => {
    console.error(error);
    void shutdown(1);
  },
);
