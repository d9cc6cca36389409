import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Backtests (backtest/README.md): a flow's draft or version replayed over a past window of the site's
 * events. The row holds the graph and settings that were tested (the draft may change meanwhile), the
 * progress, the replay's checkpoint (`cursor_visitor`: the last visitor fully replayed) and the result,
 * which is also the running tally a resumed slice adds to. One active backtest per flow (partial index).
 */
export class Backtests1764300900200 implements MigrationInterface {
  name = 'Backtests1764300900200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backtests (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        flow_id uuid NOT NULL,
        flow_version integer CHECK (flow_version >= 1),
        graph jsonb NOT NULL,
        settings jsonb NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'running', 'completed', 'cancelled', 'failed')),
        cursor_visitor uuid,
        visitors_total integer,
        visitors_done integer NOT NULL DEFAULT 0,
        events_done bigint NOT NULL DEFAULT 0,
        slices integer NOT NULL DEFAULT 0,
        result jsonb,
        error text,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        FOREIGN KEY (site_id, flow_id) REFERENCES flows (site_id, id) ON DELETE CASCADE,
        CHECK (window_from < window_to)
      )`);
    await distributedTable(q, 'backtests');
    await q.query(
      `CREATE UNIQUE INDEX backtests_one_active ON backtests (site_id, flow_id) WHERE status IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX backtests_flow_idx ON backtests (site_id, flow_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS backtests`);
  }
}
