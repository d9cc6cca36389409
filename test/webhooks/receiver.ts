import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Which of the given secrets verified it with the standardwebhooks library (empty = none). */
  verifiedWith: string[];
}

export type Responder = (
  d: Delivery,
  nth: number,
) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A webhook receiver on 127.0.0.1: records every request, verifies each with `standardwebhooks`
 * against the secrets the test gives it, and answers per path with a programmable responder.
 */
export class Receiver {
  readonly deliveries: Delivery[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly secrets = new Map<string, string[]>();
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  port = 0;
  /** TCP connections accepted (an SSRF refusal must open none). */
  connections = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, responder: Responder, secrets: string[] = []): void {
    this.responders.set(path, responder);
    this.secrets.set(path, secrets);
  }

  setSecrets(path: string, secrets: string[]): void {
    this.secrets.set(path, secrets);
  }

  for(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path);
  }

  async waitFor(path: string, count: number, timeoutMs = 30_000): Promise<Delivery[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.for(path).length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} deliveries to ${path}, got ${this.for(path).length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.for(path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const path = (req.url ?? '/').split('?')[0];
    const verifiedWith = (this.secrets.get(path) ?? []).filter((s) => verifies(s, body, headers));
    const d: Delivery = { at: Date.now(), path, headers, body, verifiedWith };
    this.deliveries.push(d);
    const responder: Responder = this.responders.get(path) ?? (() => ({ status: 200 }));
    const answer = responder(d, this.for(path).length);
    if (answer === 'hang') {
      this.hanging.add(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
    res.end(answer.body ?? 'ok');
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export function verifies(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}
