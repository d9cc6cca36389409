import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InvalidationBus } from '../redis/invalidation-bus';
import { VisitorRepository } from '../visitors/visitor.repository';
import { DecideService } from './decide.service';
import { InvalidationTopic } from '../common/invalidation-topics';

/** Topic the worker announces a committed show_cta message on: `siteId:visitorId`. */
const HEARTBEAT_MS = 25_000;

interface Conn {
  siteId: string;
  anonymousId: string;
  res: ServerResponse;
}

/**
 * The live connections (SSE) this process holds, by site and anonymous id. A flow's show_cta is
 * announced by the worker over Redis pub/sub; only the process holding one of the visitor's
 * connections looks the message up and pushes it. One timer beats every connection, so an idle
 * connection costs a socket and a small object.
 */
@Injectable()
export class LiveHub implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveHub.name);
  private readonly byVisitor = new Map<string, Set<Conn>>();
  private readonly perSite = new Map<string, number>();
  private count = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly bus: InvalidationBus,
    private readonly decide: DecideService,
    private readonly visitors: VisitorRepository,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.cfg.LIVE_MAX_CONNECTIONS;
  }

  onModuleInit(): void {
    this.bus.on(InvalidationTopic.OnsitePush, (message) => void this.onAnnounce(message));
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Live connections would hold graceful shutdown open; the script reconnects (or polls) elsewhere. */
  beforeApplicationShutdown(): void {
    for (const set of this.byVisitor.values()) for (const c of set) c.res.end();
    this.byVisitor.clear();
  }

  hasRoom(): boolean {
    return this.count < this.cfg.LIVE_MAX_CONNECTIONS;
  }

  add(siteId: string, anonymousId: string, res: ServerResponse): void {
    const conn: Conn = { siteId, anonymousId, res };
    const key = `${siteId}|${anonymousId}`;
    let set = this.byVisitor.get(key);
    if (!set) this.byVisitor.set(key, (set = new Set()));
    set.add(conn);
    this.count += 1;
    this.perSite.set(siteId, (this.perSite.get(siteId) ?? 0) + 1);
    res.on('close', () => {
      if (!set.delete(conn)) return;
      if (set.size === 0 && this.byVisitor.get(key) === set) this.byVisitor.delete(key);
      this.count -= 1;
      const n = (this.perSite.get(siteId) ?? 1) - 1;
      if (n > 0) this.perSite.set(siteId, n);
      else this.perSite.delete(siteId);
    });
    // Messages queued before the connection opened (decide raced the flow) go out at once.
    void this.push(siteId, anonymousId);
  }

  private beat(): void {
    for (const set of this.byVisitor.values()) for (const c of set) c.res.write(':\n\n');
  }

  private async onAnnounce(message: string): Promise<void> {
    const [siteId, visitorId] = message.split(':', 2);
    if (!siteId || !visitorId || !this.perSite.has(siteId)) return;
    try {
      const anonymousIds = await this.visitors.anonymousIds(siteId, visitorId);
      await Promise.all(
        anonymousIds.filter((a) => this.byVisitor.has(`${siteId}|${a}`)).map((a) => this.push(siteId, a)),
      );
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, siteId }, 'live push failed');
    }
  }

  private async push(siteId: string, anonymousId: string): Promise<void> {
    try {
      const ctas = await this.decide.pendingFor(siteId, anonymousId);
      if (!ctas.length) return;
      const frame = `event: cta\ndata: ${JSON.stringify({ ctas })}\n\n`;
      for (const c of this.byVisitor.get(`${siteId}|${anonymousId}`) ?? []) c.res.write(frame);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, siteId }, 'live push failed');
    }
  }
}
