import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MessageRun, OnsiteMessageRepository, ShowCta } from './onsite-message.repository';

/** How long a pending on-site message waits for the visitor's next page view. */
const ONSITE_TTL_HOURS = 72;

/**
 * The show_cta effect: a pending on-site message for the run's visitor, picked up by the decision
 * API on the next page view (or pushed live). A database write in the step's transaction; a
 * retried step's message (same idempotency key) is not written twice.
 */
@Injectable()
export class ShowCtaEffect {
  constructor(private readonly messages: OnsiteMessageRepository) {}

  async perform(
    tx: EntityManager,
    siteId: string,
    run: MessageRun,
    e: ShowCta,
  ): Promise<{ id: string | null }> {
    const ids = await this.messages.insertPending(tx, siteId, [{ run, effect: e }], ONSITE_TTL_HOURS);
    return { id: ids.get(e.idempotencyKey) ?? null };
  }

  /** Several runs' messages in one statement; the new ids by idempotency key. */
  performBatch(
    tx: EntityManager,
    siteId: string,
    items: { run: MessageRun; effect: ShowCta }[],
  ): Promise<Map<string, string>> {
    return this.messages.insertPending(tx, siteId, items, ONSITE_TTL_HOURS);
  }
}
