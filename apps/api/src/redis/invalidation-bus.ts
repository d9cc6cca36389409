import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import type { InvalidationTopic } from '../common/invalidation-topics';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { redisOptions } from './redis.module';

type Listener = (message: string) => void;

/**
 * Cross-process cache invalidation over Redis pub/sub: every API and worker process drops its
 * in-memory copy within milliseconds of a change (key revoked, flow published, CTA published...).
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(InvalidationBus.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber?: Redis;
  private publisher?: Redis;

  constructor(@Inject(APP_CONFIG) private readonly cfg: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.publisher = new Redis({ ...redisOptions(this.cfg.REDIS_URL), maxRetriesPerRequest: 1 });
    this.subscriber = new Redis(redisOptions(this.cfg.REDIS_URL));
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const l of this.listeners.get(channel) ?? []) l(message);
    });
    this.subscriber.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'invalidation subscriber error'),
    );
    this.publisher.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'invalidation publisher error'),
    );
    if (this.listeners.size) await this.subscriber.subscribe(...this.listeners.keys());
  }

  on(topic: InvalidationTopic, listener: Listener): void {
    const channel = `${this.cfg.QUEUE_PREFIX}:invalidate:${topic}`;
    const set = this.listeners.get(channel) ?? new Set();
    const isNew = set.size === 0;
    set.add(listener);
    this.listeners.set(channel, set);
    if (isNew && this.subscriber) void this.subscriber.subscribe(channel);
  }

  /** Local listeners run synchronously too, so this process never serves a stale entry after the call. */
  async publish(topic: InvalidationTopic, message: string): Promise<void> {
    const channel = `${this.cfg.QUEUE_PREFIX}:invalidate:${topic}`;
    for (const l of this.listeners.get(channel) ?? []) l(message);
    await this.publisher?.publish(channel, message).catch((err: Error) => {
      this.logger.warn({ err: err.message, topic }, 'invalidation publish failed');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [this.subscriber?.quit(), this.publisher?.quit()].map((p) => p?.catch(() => undefined)),
    );
  }
}
