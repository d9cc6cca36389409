import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import type { FoldHandoff, FoldHandoffSink } from '../ingest/profile-fold';

/**
 * Writes the fold's trigger hand-offs (`trigger_handoffs`) in the fold's transaction: ingest's
 * `FoldHandoffSink`, provided by the runtime (`RunEnrolmentRepository` claims them for the trigger job,
 * the reconciler re-sends lost ones). A row already there stays. A plain class (no Nest): the tests
 * drive the fold in-process.
 */
export class TriggerHandoffWriter implements FoldHandoffSink {
  async insertHandoffs(tx: EntityManager, siteId: string, handoffs: FoldHandoff[]): Promise<void> {
    await queryRows(
      tx,
      `INSERT INTO trigger_handoffs (site_id, id, event_ids, ts_min, ts_max)
       SELECT $1::uuid, h.id, h.event_ids::bigint[], h.ts_min, h.ts_max
         FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS h(id, event_ids, ts_min, ts_max)
       ON CONFLICT (site_id, id) DO NOTHING`,
      [
        siteId,
        handoffs.map((h) => h.id),
        handoffs.map((h) => `{${h.event_ids.join(',')}}`),
        handoffs.map((h) => h.ts_range?.[0] ?? null),
        handoffs.map((h) => h.ts_range?.[1] ?? null),
      ],
    );
  }
}
