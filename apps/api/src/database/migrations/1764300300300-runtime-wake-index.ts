import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A site's waiting runs by wake-up time: the wake job advances every run of a site whose timer or
 * timeout has come (one index range per site, shard-local on Citus).
 */
export class RuntimeWakeIndex1764300300300 implements MigrationInterface {
  name = 'RuntimeWakeIndex1764300300300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX runs_site_wake_idx ON runs (site_id, next_step_at) WHERE status = 'waiting'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS runs_site_wake_idx`);
  }
}
