import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What arrived at `POST /v1/batch`. */
export interface ReceivedBatch {
  status: number;
  contentType: string;
  /** `no-cors` for sendBeacon, `cors` for fetch */
  fetchMode: string;
  writeKey: string;
  sentAt: string;
  batch: ReceivedEvent[];
}

export interface ReceivedEvent {
  type: 'track' | 'page' | 'identify';
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  userId?: string;
  anonymousId: string;
  messageId: string;
  timestamp: string;
  context: {
    page: { url: string; path: string; referrer: string; title: string; search: string };
    userAgent: string;
    locale: string;
    screen: { width: number; height: number };
    library: { name: string; version: string };
    campaign?: Record<string, string>;
  };
}

export interface CollectorOptions {
  /** CTAs answered by `/v1/decide` */
  ctas: unknown[];
  /** Extra pages served at `/<name>` (HTML). */
  pages: Record<string, string>;
}

/**
 * A loopback stand-in for the API: serves test pages and dist/embed.js, records batches and
 * answers decide/live. The real API's tests replace it later.
 */
export class CollectorServer {
  readonly batches: ReceivedBatch[] = [];
  readonly decides: Record<string, unknown>[] = [];
  /** Answer the next N batch requests with 503. */
  failNextBatches = 0;
  private readonly streams = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => void this.handle(req, res));
  origin = '';
  /** CTAs answered by `/v1/decide`; tests may swap them. */
  ctas: unknown[];

  constructor(private readonly options: CollectorOptions) {
    this.ctas = options.ctas;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Events from batches the collector accepted. */
  get events(): ReceivedEvent[] {
    return this.batches.filter((b) => b.status === 202).flatMap((b) => b.batch);
  }

  /** Pushes a CTA to every open live stream; resolves with how many listened. */
  push(cta: unknown): number {
    for (const s of this.streams) s.write(`event: cta\ndata: ${JSON.stringify(cta)}\n\n`);
    return this.streams.size;
  }

  get liveStreams(): number {
    return this.streams.size;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const page = this.options.pages[url.pathname.slice(1)];
    if (req.method === 'GET' && page !== undefined) {
      return send(res, 200, 'text/html; charset=utf-8', page);
    }
    if (req.method === 'GET' && url.pathname === '/embed.js') {
      const js = readFileSync(join(__dirname, '..', 'dist', 'embed.js'));
      return send(res, 200, 'application/javascript', js);
    }
    if (req.method === 'POST' && url.pathname === '/v1/batch') {
      const body = JSON.parse(await readBody(req)) as Pick<ReceivedBatch, 'writeKey' | 'sentAt' | 'batch'>;
      const status = this.failNextBatches > 0 ? 503 : 202;
      if (status === 503) this.failNextBatches--;
      this.batches.push({
        ...body,
        status,
        contentType: req.headers['content-type'] ?? '',
        fetchMode: String(req.headers['sec-fetch-mode'] ?? ''),
      });
      return send(res, status, 'application/json', '{}');
    }
    if (req.method === 'POST' && url.pathname === '/v1/decide') {
      this.decides.push(JSON.parse(await readBody(req)) as Record<string, unknown>);
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ ctas: this.ctas, live: { url: '/v1/live' } }),
      );
    }
    if (req.method === 'GET' && url.pathname === '/v1/live') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write(': connected\n\n');
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
      return;
    }
    send(res, 404, 'text/plain', 'not found');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
