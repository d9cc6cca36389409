import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ingestion v2 (#19): the write path commits events first and `event_outbox` becomes the fold's queue
 * (committed, not yet folded into profiles). A row written by the new path carries the time range of
 * its events (`ts_min`, `ts_max`: the fold reads them from those daily partitions only). Rows without
 * it were written by the previous release, whose events were folded at write time: the fold only
 * hands them off to trigger matching, so existing data and a rolling deploy need no rewrite.
 */
export class IngestFold1764300700300 implements MigrationInterface {
  name = 'IngestFold1764300700300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_outbox ADD COLUMN ts_min timestamptz, ADD COLUMN ts_max timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_outbox DROP COLUMN ts_min, DROP COLUMN ts_max`);
  }
}
