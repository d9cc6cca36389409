import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The fold's `$trait_changed` events per visitor and time: a backtest rebuilds each visitor's traits
 * as its window opened from them (`backtest.repository.ts` `traitChanges`) without reading the
 * visitor's other events a second time. Partial: a small share of the events.
 */
export class EventsTraitChanges1764300900500 implements MigrationInterface {
  name = 'EventsTraitChanges1764300900500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX events_trait_changes_idx ON events (site_id, visitor_id, ts) WHERE name = '$trait_changed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_trait_changes_idx`);
  }
}
