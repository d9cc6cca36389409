import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export interface LiftRow {
  version: number;
  held_out: boolean;
  visitors: number;
  converted: number;
}

/** Single-shard reads of one flow's runs (`runs_flow_*` indexes lead with site and flow). */
@Injectable()
export class LiftRepository {
  constructor(private readonly db: DataSource) {}

  /** Per version and group: distinct visitors enrolled and distinct visitors with a converted run. */
  async groups(siteId: string, flowId: string): Promise<LiftRow[]> {
    return queryRows<LiftRow>(
      this.db,
      `SELECT flow_version AS version, held_out, count(DISTINCT visitor_id)::int AS visitors,
              count(DISTINCT visitor_id) FILTER (WHERE status = 'converted')::int AS converted
         FROM runs WHERE site_id = $1 AND flow_id = $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [siteId, flowId],
    );
  }

  /** The holdout setting of each published version of the flow. */
  async holdouts(siteId: string, flowId: string): Promise<{ version: number; percent: number }[]> {
    return queryRows(
      this.db,
      `SELECT version, coalesce((settings ->> 'holdoutPercent')::int, 0) AS percent
         FROM flow_versions WHERE site_id = $1 AND flow_id = $2 ORDER BY version`,
      [siteId, flowId],
    );
  }
}
