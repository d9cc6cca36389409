import { Injectable } from '@nestjs/common';
import type { FlowGraph, FlowSettings } from '@nudgeflow/flow-schema';
import { DataSource } from 'typeorm';
import { userJoin } from '../auth/user.sql';
import { Queryable, queryRows } from '../database/sql';

export interface FlowVersionSummaryRow {
  version: number;
  note: string | null;
  published_at: Date;
  published_by: string | null;
  publisher_name: string | null;
  publisher_email: string | null;
}

export interface FlowVersionRow extends FlowVersionSummaryRow {
  graph: FlowGraph;
  settings: FlowSettings;
}

/** A published version as the runtime compiles it. */
export interface LiveFlowVersionRow {
  flow_id: string;
  version: number;
  graph: unknown;
  settings: unknown;
}

const SUMMARY_COLUMNS = `v.version, v.note, v.published_at, v.published_by,
  u.name AS publisher_name, u.email AS publisher_email`;

/**
 * Published versions are append-only: there is no UPDATE here, and a trigger refuses one anyway.
 * A new version is N+1 of the flow's `published_version`, taken under the flow row's lock.
 */
@Injectable()
export class FlowVersionRepository {
  constructor(private readonly db: DataSource) {}

  async list(siteId: string, flowId: string): Promise<FlowVersionSummaryRow[]> {
    return queryRows(
      this.db,
      `SELECT ${SUMMARY_COLUMNS} FROM flow_versions v ${userJoin('u', 'v.published_by')}
        WHERE v.site_id = $1 AND v.flow_id = $2 ORDER BY v.version DESC`,
      [siteId, flowId],
    );
  }

  async get(siteId: string, flowId: string, version: number): Promise<FlowVersionRow | undefined> {
    const rows: FlowVersionRow[] = await queryRows(
      this.db,
      `SELECT ${SUMMARY_COLUMNS}, v.graph, v.settings
         FROM flow_versions v ${userJoin('u', 'v.published_by')}
        WHERE v.site_id = $1 AND v.flow_id = $2 AND v.version = $3`,
      [siteId, flowId, version],
    );
    return rows[0];
  }

  /**
   * Stores the draft that was validated (at `expectedRevision`) as the next version and makes the flow
   * live, in one statement. Undefined when the flow is gone or its draft changed meanwhile.
   */
  async publish(
    siteId: string,
    flowId: string,
    input: {
      expectedRevision: number;
      graph: FlowGraph;
      settings: FlowSettings;
      note: string | null;
      publishedBy: string | null;
    },
  ): Promise<number | undefined> {
    const rows: { version: number }[] = await queryRows(
      this.db,
      `WITH f AS (
         UPDATE flows SET status = 'live', published_version = COALESCE(published_version, 0) + 1,
                updated_at = now()
          WHERE site_id = $1 AND id = $2 AND revision = $3 AND status <> 'archived'
          RETURNING site_id, id, published_version
       )
       INSERT INTO flow_versions (site_id, flow_id, version, graph, settings, note, published_by)
       SELECT site_id, id, published_version, $4, $5, $6, $7 FROM f
       RETURNING version`,
      [
        siteId,
        flowId,
        input.expectedRevision,
        JSON.stringify(input.graph),
        JSON.stringify(input.settings),
        input.note,
        input.publishedBy,
      ],
    );
    return rows[0]?.version;
  }

  /**
   * Publishes an old version again as a new one and resets the draft to it (bumping the revision, so
   * an editor still open on the newer draft gets a conflict instead of silently overwriting it).
   * The draft is assembled with jsonb_set (immutable): Citus refuses STABLE functions such as
   * jsonb_build_object over column values in an UPDATE.
   */
  async rollback(
    siteId: string,
    flowId: string,
    fromVersion: number,
    input: { note: string; publishedBy: string | null },
  ): Promise<{ version: number; revision: number } | undefined> {
    const rows: { version: number; revision: number }[] = await queryRows(
      this.db,
      `WITH old AS (
         SELECT graph, settings FROM flow_versions WHERE site_id = $1 AND flow_id = $2 AND version = $3
       ), f AS (
         UPDATE flows SET status = 'live', published_version = COALESCE(published_version, 0) + 1,
                draft = jsonb_set(jsonb_set('{}', '{graph}', old.graph), '{settings}', old.settings),
                revision = revision + 1, updated_at = now()
           FROM old
          WHERE flows.site_id = $1 AND flows.id = $2 AND flows.status <> 'archived'
          RETURNING flows.site_id, flows.id, flows.published_version, flows.revision
       ), v AS (
         INSERT INTO flow_versions (site_id, flow_id, version, graph, settings, note, published_by)
         SELECT f.site_id, f.id, f.published_version, old.graph, old.settings, $4, $5 FROM f, old
         RETURNING version
       )
       SELECT v.version, f.revision FROM v, f`,
      [siteId, flowId, fromVersion, input.note, input.publishedBy],
    );
    return rows[0];
  }

  /** The site's live flows at their published versions (the runtime's trigger index). */
  async liveVersions(siteId: string): Promise<LiveFlowVersionRow[]> {
    return queryRows(
      this.db,
      `SELECT v.flow_id, v.version, v.graph, v.settings
         FROM flows f
         JOIN flow_versions v ON v.site_id = f.site_id AND v.flow_id = f.id AND v.version = f.published_version
        WHERE f.site_id = $1 AND f.status = 'live'`,
      [siteId],
    );
  }

  /** One version as the runtime compiles it; `db`: the caller's transaction. */
  async compilable(
    siteId: string,
    flowId: string,
    version: number,
    db: Queryable = this.db,
  ): Promise<LiveFlowVersionRow | undefined> {
    const rows = await queryRows<LiveFlowVersionRow>(
      db,
      `SELECT flow_id, version, graph, settings FROM flow_versions
        WHERE site_id = $1 AND flow_id = $2 AND version = $3`,
      [siteId, flowId, version],
    );
    return rows[0];
  }

  /** The holdout setting of each published version of the flow (the lift report). */
  async holdouts(siteId: string, flowId: string): Promise<{ version: number; percent: number }[]> {
    return queryRows(
      this.db,
      `SELECT version, coalesce((settings ->> 'holdoutPercent')::int, 0) AS percent
         FROM flow_versions WHERE site_id = $1 AND flow_id = $2 ORDER BY version`,
      [siteId, flowId],
    );
  }
}
