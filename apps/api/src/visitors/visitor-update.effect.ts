import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { composeVisitorUpdates, VisitorUpdate } from './visitor-updates';
import { VisitorRepository } from './visitor.repository';

/**
 * The update_visitor effect: traits set or unset, tags added or removed, in the step's transaction.
 * Reports whether the visitor exists (`updated`: 1 or 0).
 */
@Injectable()
export class VisitorUpdateEffect {
  constructor(private readonly visitors: VisitorRepository) {}

  async perform(
    tx: EntityManager,
    siteId: string,
    visitorId: string,
    update: VisitorUpdate,
  ): Promise<{ updated: number }> {
    return { updated: (await this.visitors.applyUpdates(tx, siteId, [{ visitorId, update }])).size };
  }

  /**
   * Several runs' updates in one statement: each visitor's composed in the given order (a later one
   * wins). Returns the ids of the visitors that exist.
   */
  performBatch(
    tx: EntityManager,
    siteId: string,
    byVisitor: Map<string, VisitorUpdate[]>,
  ): Promise<Set<string>> {
    return this.visitors.applyUpdates(
      tx,
      siteId,
      [...byVisitor].map(([visitorId, updates]) => ({ visitorId, update: composeVisitorUpdates(updates) })),
    );
  }
}
