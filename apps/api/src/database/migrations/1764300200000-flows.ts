import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Flows: a mutable draft per flow (optimistic concurrency on `revision`) and immutable published
 * versions. The runtime reads `flows` and `flow_versions` by these names, so keep them stable.
 */
export class Flows1764300200000 implements MigrationInterface {
  name = 'Flows1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE flows (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'live', 'paused', 'archived')),
        revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
        draft jsonb NOT NULL,
        published_version integer CHECK (published_version >= 1),
        archived_exit_runs boolean NOT NULL DEFAULT false,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        CONSTRAINT flows_published_when_running
          CHECK (status NOT IN ('live', 'paused') OR published_version IS NOT NULL)
      )`);
    await distributedTable(q, 'flows');
    await q.query(`
      CREATE TABLE flow_versions (
        site_id uuid NOT NULL,
        flow_id uuid NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        graph jsonb NOT NULL,
        settings jsonb NOT NULL,
        note text CHECK (note IS NULL OR length(note) <= 500),
        published_by uuid,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, flow_id, version),
        FOREIGN KEY (site_id, flow_id) REFERENCES flows (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'flow_versions');

    // Runs are pinned to a version, so a published version must never change; deleting the whole
    // flow (cascade) stays possible.
    await q.query(`
      CREATE FUNCTION flow_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'published flow versions are immutable'
          USING ERRCODE = 'object_not_in_prerequisite_state';
      END
      $$`);
    const citus: unknown[] = await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
    // The trigger only raises and touches no other shard, which is what Citus calls a safe trigger.
    if (citus.length > 0) await q.query(`SET LOCAL citus.enable_unsafe_triggers = on`);
    await q.query(`
      CREATE TRIGGER flow_versions_no_update BEFORE UPDATE ON flow_versions
        FOR EACH ROW EXECUTE FUNCTION flow_versions_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE flow_versions`);
    await q.query(`DROP FUNCTION flow_versions_immutable()`);
    await q.query(`DROP TABLE flows`);
  }
}
