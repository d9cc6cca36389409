import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { isIP } from 'node:net';
import { Agent, Dispatcher } from 'undici';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  Allowlist,
  assertAddressAllowed,
  parseStaticHosts,
  Resolver,
  SsrfError,
  targetHost,
  vetHost,
} from './ssrf-guard';
import { makeResolver, pinnedLookup } from './pinned-lookup';
import { RESPONSE_LOG_BYTES } from './webhook-events';

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  retryAfter: string | undefined;
  /** The request never left: refused by the SSRF guard. */
  refused: boolean;
}

/** Responses longer than this are cut off (after keeping their first `RESPONSE_LOG_BYTES`). */
const MAX_RESPONSE_READ = 64 * 1024;

/**
 * POSTs signed bodies through one keep-alive agent whose every connection is SSRF-vetted. Each POST
 * goes through undici's dispatch API with a small handler instead of `request()`: no response stream
 * to read back and no abort signal per request (a response stream and a per-request timer with its
 * signal cost more client CPU than signing). One sweep ends requests past their deadline.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  readonly allowlist: Allowlist;
  readonly resolve: Resolver;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly sweepMs: number;
  /** In flight, in start order, which is deadline order (one timeout for all). */
  private readonly inFlight = new Set<Delivery>();
  private sweeper: ReturnType<typeof setInterval> | null = null;
  /** Parsed and vetted targets by URL (IP literals are vetted here; names at connect time). */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    this.allowlist = new Allowlist(cfg.WEBHOOK_ALLOWLIST);
    this.resolve = makeResolver(parseStaticHosts(cfg.WEBHOOK_RESOLVE));
    this.timeoutMs = cfg.WEBHOOK_TIMEOUT_MS;
    this.sweepMs = Math.max(10, Math.min(250, Math.floor(this.timeoutMs / 10)));
    this.agent = new Agent({
      connect: { lookup: pinnedLookup(this.resolve, this.allowlist), timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connections: 64,
    });
  }

  /** Save-time check of a URL (scheme, credentials, and every address its host resolves to). */
  async vetUrl(url: string): Promise<void> {
    const { host } = targetHost(url);
    await vetHost(host, this.resolve, this.allowlist);
  }

  /** Never rejects: refusals, timeouts and connection errors are results. */
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    let target: { origin: string; path: string };
    try {
      target = this.target(url);
    } catch (err) {
      return Promise.resolve(failure(err, false, started));
    }
    return new Promise<SendResult>((resolve) => {
      const delivery = new Delivery(started, started + this.timeoutMs, (result) => {
        this.inFlight.delete(delivery);
        if (this.inFlight.size === 0 && this.sweeper) {
          clearInterval(this.sweeper);
          this.sweeper = null;
        }
        resolve(result);
      });
      this.inFlight.add(delivery);
      if (!this.sweeper) {
        this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
        this.sweeper.unref();
      }
      this.agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Nudgeflow-Webhooks/1', ...headers },
          body,
        },
        delivery,
      );
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.agent.close();
  }

  private target(url: string): { origin: string; path: string } {
    let t = this.targets.get(url);
    if (!t) {
      const { url: parsed, host } = targetHost(url);
      if (isIP(host)) assertAddressAllowed(host, host, this.allowlist);
      t = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (this.targets.size >= 1000) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }

  /** Ends every request past its deadline (they are in deadline order). */
  private sweep(): void {
    const now = performance.now();
    for (const d of this.inFlight) {
      if (d.deadline > now) break;
      d.timeout();
    }
  }
}

/** One POST: keeps the status, `Retry-After` and the first `RESPONSE_LOG_BYTES` of the response. */
class Delivery implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private settled = false;
  private timedOut = false;
  private statusCode = 0;
  private retryAfter: string | undefined;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private seen = 0;

  constructor(
    private readonly started: number,
    readonly deadline: number,
    private readonly done: (result: SendResult) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('webhook request timed out before it started'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.keptBytes < RESPONSE_LOG_BYTES) {
      this.kept.push(chunk);
      this.keptBytes += chunk.length;
    }
    if (this.seen > MAX_RESPONSE_READ) {
      this.succeed();
      controller.abort(new Error('response body too long; the rest is discarded'));
    }
  }

  onResponseEnd(): void {
    this.succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  /** Past the deadline: aborted (its error then settles it), or settled now if it has not started. */
  timeout(): void {
    if (this.settled) return;
    this.timedOut = true;
    if (this.controller) this.controller.abort(new Error('webhook request timed out'));
    else this.fail(new Error('webhook request timed out'));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.done(failure(err, this.timedOut, this.started));
  }

  private succeed(): void {
    if (this.settled) return;
    this.settled = true;
    const ok = this.statusCode >= 200 && this.statusCode < 300;
    this.done({
      statusCode: this.statusCode,
      error: ok ? null : `HTTP ${this.statusCode}`,
      latencyMs: Math.round(performance.now() - this.started),
      responseBody: Buffer.concat(this.kept).subarray(0, RESPONSE_LOG_BYTES).toString('utf8'),
      retryAfter: this.retryAfter,
      refused: false,
    });
  }
}

function failure(err: unknown, timedOut: boolean, started: number): SendResult {
  const ssrf = findSsrf(err);
  return {
    statusCode: null,
    error: ssrf ? `refused: ${ssrf.message}` : timedOut ? 'timeout' : describe(err),
    latencyMs: Math.round(performance.now() - started),
    responseBody: null,
    retryAfter: undefined,
    refused: !!ssrf,
  };
}

function findSsrf(err: unknown): SsrfError | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++)
    if (e instanceof SsrfError) return e;
  return undefined;
}

function describe(err: unknown): string {
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT')
    return 'timeout';
  return `connection error: ${e.cause?.code ?? e.code ?? ''} ${e.cause?.message ?? e.message ?? ''}`.trim();
}
