import { ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { applyTestEnv } from './test-env';

const ROOT = resolve(__dirname, '../..');

/**
 * NestJS 12 ships ES modules only, which jest's CommonJS runtime cannot load on Node 20; so the e2e
 * tests run the real built processes (`npm test` builds first) and talk to them over loopback.
 */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the loopback port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RunningProcess {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export function runNode(entry: string, env: Record<string, string | undefined> = {}): RunningProcess {
  applyTestEnv();
  let out = '';
  const proc = spawn(process.execPath, [resolve(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    proc,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown> & { code?: string; message?: string; path?: string };
  headers: Headers;
  raw: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestApi extends RunningProcess {
  url: string;
  request: (path: string, opts?: RequestOptions) => Promise<ApiResponse>;
}

export async function request(base: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
  const res = await fetch(`${base}${path}`, {
    method: opts.method ?? 'GET',
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body:
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body),
  });
  const raw = await res.text();
  let body: ApiResponse['body'] = {};
  try {
    body = raw ? (JSON.parse(raw) as ApiResponse['body']) : {};
  } catch {
    body = {};
  }
  return { status: res.status, body, headers: res.headers, raw };
}

/** Starts `apps/api/dist/main.js` on a free loopback port and waits until /health answers. */
export async function startApi(
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<TestApi> {
  const port = await freePort();
  const running = runNode('apps/api/dist/main.js', {
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_APPLICATION_NAME: 'nudgeflow-api',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (running.proc.exitCode !== null) throw new Error(`api exited early:\n${running.output()}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200 || res.status === 503) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.stop('SIGKILL');
      throw new Error(`api did not start in ${timeoutMs} ms:\n${running.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...running, url, request: (path, opts) => request(url, path, opts) };
}

/** Starts `apps/api/dist/worker.js` and waits for its "worker started" log line. */
export async function startWorker(
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<RunningProcess> {
  const running = runNode('apps/api/dist/worker.js', {
    LOG_LEVEL: 'info',
    DB_APPLICATION_NAME: 'nudgeflow-worker',
    ...env,
  });
  const deadline = Date.now() + timeoutMs;
  while (!running.output().includes('worker started')) {
    if (running.proc.exitCode !== null) throw new Error(`worker exited early:\n${running.output()}`);
    if (Date.now() > deadline) {
      await running.stop('SIGKILL');
      throw new Error(`worker did not start in ${timeoutMs} ms:\n${running.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return running;
}
