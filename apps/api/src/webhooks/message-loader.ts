import { Injectable } from '@nestjs/common';
import { EndpointRow, MessageRow, WebhookRepository } from './webhook.repository';

type Loaded = { message: MessageRow; endpoint: EndpointRow } | undefined;
interface Waiting {
  messageId: string;
  attempt: number;
  resolve: (v: Loaded) => void;
  reject: (e: unknown) => void;
}

/**
 * Jobs that start together share one read per site (collected for one tick), so 50 concurrent
 * deliveries cost one round trip to PostgreSQL instead of fifty.
 */
@Injectable()
export class MessageLoader {
  private pending = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly repo: WebhookRepository) {}

  load(siteId: string, messageId: string, attempt: number): Promise<Loaded> {
    return new Promise((resolve, reject) => {
      this.pending.set(siteId, [
        ...(this.pending.get(siteId) ?? []),
        { messageId, attempt, resolve, reject },
      ]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    await Promise.all(
      [...batch].map(async ([siteId, waiting]) => {
        try {
          const rows = await this.repo.loadForAttempts(siteId, waiting);
          const byId = new Map(rows.map((r) => [r.message.id, r]));
          for (const w of waiting) {
            const r = byId.get(w.messageId);
            w.resolve(r && r.message.attempt_count === w.attempt ? r : undefined);
          }
        } catch (err) {
          for (const w of waiting) w.reject(err);
        }
      }),
    );
  }
}
