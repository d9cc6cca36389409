import { Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';

export type ShowCta = Extract<EngineEffect, { kind: 'show_cta' }>;

/** The run a message comes from (its id and visitor). */
export interface MessageRun {
  id: string;
  visitor_id: string;
}

/**
 * Writes of pending on-site messages (flow action show_cta), in the run's transaction. The decision
 * API reads them with the visitor (`VisitorStateRepository`); `OnsitePushAnnouncer` watches these
 * inserts for live push.
 */
@Injectable()
export class OnsiteMessageRepository {
  /**
   * Pending on-site messages of several runs in one statement; a message whose idempotency key
   * exists already is skipped. Returns the new ids by idempotency key. (The live-push announcer
   * reads the visitor ids of the inserted rows from RETURNING.)
   */
  async insertPending(
    tx: EntityManager,
    siteId: string,
    items: { run: MessageRun; effect: ShowCta }[],
    ttlHours: number,
  ): Promise<Map<string, string>> {
    if (!items.length) return new Map();
    const rows = await queryRows<{ id: string; visitor_id: string; idempotency_key: string }>(
      tx,
      `INSERT INTO onsite_messages (site_id, visitor_id, cta_id, run_id, node_id, idempotency_key, priority, created_at,
                                    expires_at)
       SELECT $1, m.visitor_id, m.cta_id, m.run_id, m.node_id, m.idempotency_key, m.priority, clock_timestamp(),
              now() + make_interval(hours => $3::int)
         FROM jsonb_to_recordset($2::jsonb) AS m(visitor_id uuid, cta_id text, run_id uuid, node_id text,
              idempotency_key text, priority int)
       ON CONFLICT (site_id, idempotency_key) DO NOTHING
       RETURNING id::text AS id, visitor_id::text AS visitor_id, idempotency_key`,
      [
        siteId,
        JSON.stringify(
          items.map(({ run, effect: e }) => ({
            visitor_id: run.visitor_id,
            cta_id: e.ctaId,
            run_id: run.id,
            node_id: e.nodeId,
            idempotency_key: e.idempotencyKey,
            priority: e.priority,
          })),
        ),
        ttlHours,
      ],
    );
    return new Map(rows.map((r) => [r.idempotency_key, r.id]));
  }
}
