import { MigrationInterface, QueryRunner } from 'typeorm';

/** When the reconciler last re-enqueued a run, so an overloaded system is not flooded with rescues. */
export class RuntimeRescues1764300300200 implements MigrationInterface {
  name = 'RuntimeRescues1764300300200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN rescued_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN rescued_at`);
  }
}
