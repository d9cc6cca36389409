import { Injectable, OnModuleInit } from '@nestjs/common';
import { InvalidationBus } from '../redis/invalidation-bus';
import { CtaConfigSchema } from './cta.schemas';
import { eventWindowDays, PublishedCta } from './cta-decision';
import { CtaRepository } from './cta.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

const TTL_MS = 60_000;
const MAX_SITES = 10_000;

export interface SiteCtas {
  ctas: Map<string, PublishedCta>;
  windowDays: number;
}

/**
 * Published CTAs per site, in memory. Dropped in every process when a CTA of the site is published,
 * unpublished or archived (InvalidationBus); a one-minute TTL backs up a lost pub/sub message.
 * Concurrent misses for a site share one query.
 */
@Injectable()
export class PublishedCtaCache implements OnModuleInit {
  private readonly sites = new Map<string, { value: SiteCtas; expires: number }>();
  private readonly loading = new Map<string, Promise<SiteCtas>>();
  private generation = 0;

  constructor(
    private readonly repo: CtaRepository,
    private readonly bus: InvalidationBus,
  ) {}

  onModuleInit(): void {
    this.bus.on(InvalidationTopic.Ctas, (siteId) => this.drop(siteId));
  }

  drop(siteId: string): void {
    this.generation += 1;
    this.sites.delete(siteId);
    this.loading.delete(siteId);
  }

  get(siteId: string): SiteCtas | Promise<SiteCtas> {
    const hit = this.sites.get(siteId);
    if (hit && hit.expires > Date.now()) return hit.value;
    let pending = this.loading.get(siteId);
    if (!pending) {
      const generation = this.generation;
      pending = this.load(siteId).then((value) => {
        if (this.loading.get(siteId) === pending) this.loading.delete(siteId);
        // A publish during the load makes this copy stale: serve it once, do not keep it.
        if (generation === this.generation) {
          if (this.sites.size >= MAX_SITES) this.sites.delete(this.sites.keys().next().value as string);
          this.sites.set(siteId, { value, expires: Date.now() + TTL_MS });
        }
        return value;
      });
      pending.catch(() => this.loading.delete(siteId));
      this.loading.set(siteId, pending);
    }
    return pending;
  }

  private async load(siteId: string): Promise<SiteCtas> {
    const ctas = new Map<string, PublishedCta>();
    for (const row of await this.repo.published(siteId)) {
      const parsed = CtaConfigSchema.safeParse(row.config);
      if (parsed.success) ctas.set(row.id, { id: row.id, version: row.version, config: parsed.data });
    }
    return { ctas, windowDays: eventWindowDays(ctas.values()) };
  }
}
