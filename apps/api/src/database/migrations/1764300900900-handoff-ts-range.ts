import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A trigger hand-off carries the time range of its events (`ts` of each, the fold knows them), so the
 * trigger job reads its events by primary key within the partitions of that range instead of asking
 * every partition for a list of ids (whose plan, on a partition without statistics yet, scanned the
 * site's whole day: 277 ms a job in the fold bench). Hand-offs of the previous release have none and
 * are read as before.
 */
export class HandoffTsRange1764300900900 implements MigrationInterface {
  name = 'HandoffTsRange1764300900900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE trigger_handoffs ADD COLUMN ts_min timestamptz, ADD COLUMN ts_max timestamptz`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_handoffs DROP COLUMN ts_min, DROP COLUMN ts_max`);
  }
}
