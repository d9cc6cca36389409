import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
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

/** POSTs signed bodies through one keep-alive agent whose every connection is SSRF-vetted. */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  readonly allowlist: Allowlist;
  readonly resolve: Resolver;
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    this.allowlist = new Allowlist(cfg.WEBHOOK_ALLOWLIST);
    this.resolve = makeResolver(parseStaticHosts(cfg.WEBHOOK_RESOLVE));
    this.timeoutMs = cfg.WEBHOOK_TIMEOUT_MS;
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

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // The whole exchange (connect, headers, body) within the timeout. undici takes an EventEmitter
    // as its abort signal; an AbortSignal.timeout costs a third of a loopback request's CPU.
    const deadline = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.emit('abort');
    }, this.timeoutMs);
    try {
      // IP literals skip the connection's lookup, so they are vetted here; names are vetted in lookup.
      const { host } = targetHost(url);
      await vetLiteral(host, this.allowlist);
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Nudgeflow-Webhooks/1', ...headers },
        body,
        dispatcher: this.agent,
        signal: deadline,
      });
      const responseBody = await readPrefix(res.body, RESPONSE_LOG_BYTES);
      const retryAfter = res.headers['retry-after'];
      return {
        statusCode: res.statusCode,
        error: res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`,
        latencyMs: elapsed(),
        responseBody,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        refused: false,
      };
    } catch (err) {
      const ssrf = findSsrf(err);
      return {
        statusCode: null,
        error: ssrf ? `refused: ${ssrf.message}` : timedOut ? 'timeout' : describe(err),
        latencyMs: elapsed(),
        responseBody: null,
        retryAfter: undefined,
        refused: !!ssrf,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}

async function vetLiteral(host: string, allowlist: Allowlist): Promise<void> {
  if (isIP(host)) assertAddressAllowed(host, host, allowlist);
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

/** Keeps the first `limit` bytes of a response and discards the rest without buffering it. */
async function readPrefix(
  body: AsyncIterable<Buffer> & { destroy?: () => void },
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (size < limit) {
      chunks.push(chunk);
      size += chunk.length;
    }
    if (seen > 64 * 1024) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
