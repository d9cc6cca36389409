import { Injectable } from '@nestjs/common';
import { TtlCache } from '../common/ttl-cache';
import { InvalidationBus } from '../redis/invalidation-bus';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

/** Invalidation topic: a site's webhook endpoints changed (created, edited, enabled/disabled, deleted). */

/**
 * Which system event types each site has an enabled endpoint for, cached per process, so producers on
 * hot paths (trigger matching, run steps) pay no query when nothing is subscribed. Dropped on every
 * endpoint change through the InvalidationBus (every process within milliseconds); the TTL is only a
 * backstop for a lost pub/sub message.
 */
@Injectable()
export class SystemEventSubscriptions {
  private readonly cache = new TtlCache<string, ReadonlySet<string>>(60_000, 50_000);
  private readonly loading = new Map<string, Promise<ReadonlySet<string>>>();
  /** Bumped per site on invalidation, so a load that raced a change is not cached. */
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly bus: InvalidationBus,
  ) {
    this.bus.on(InvalidationTopic.WebhookEndpoints, (siteId) => this.drop(siteId));
  }

  async typesOf(siteId: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(siteId);
    if (hit) return hit;
    const running = this.loading.get(siteId);
    if (running) return running;
    const gen = this.generation.get(siteId) ?? 0;
    const load: Promise<ReadonlySet<string>> = this.endpoints
      .subscribedTypes(siteId)
      .then((types) => {
        const set = new Set(types);
        if ((this.generation.get(siteId) ?? 0) === gen) this.cache.set(siteId, set);
        return set;
      })
      .finally(() => {
        if (this.loading.get(siteId) === load) this.loading.delete(siteId);
      });
    this.loading.set(siteId, load);
    return load;
  }

  /** Call after committing a change to a site's endpoints. */
  async changed(siteId: string): Promise<void> {
    await this.bus.publish(InvalidationTopic.WebhookEndpoints, siteId);
  }

  private drop(siteId: string): void {
    if (this.loading.has(siteId)) this.generation.set(siteId, (this.generation.get(siteId) ?? 0) + 1);
    else this.generation.delete(siteId);
    this.cache.deleteWhere((k) => k === siteId);
    this.loading.delete(siteId);
  }
}
