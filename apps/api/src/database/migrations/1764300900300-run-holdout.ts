import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A flow's holdout (setting `holdoutPercent`): the run of a held-out visitor is enrolled and recorded
 * like any other, its actions are ledgered as skipped, never performed. The flag is fixed at
 * enrolment (a stable hash of visitor and flow), so the lift report groups runs without re-hashing.
 */
export class RunHoldout1764300900300 implements MigrationInterface {
  name = 'RunHoldout1764300900300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN held_out boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN IF EXISTS held_out`);
  }
}
