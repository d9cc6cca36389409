import { Injectable } from '@nestjs/common';
import {
  FlowNodeSchema,
  FlowRef,
  FlowRefs,
  LooseFlowGraph,
  nodeRefs,
  REF_KIND_KEYS,
  RefKind,
} from '@nudgeflow/flow-schema';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

/**
 * Where each kind of referenced site resource lives (each table has `(site_id uuid, id)`). Every kind
 * is checked on publish: a reference that names nothing in the site is an error on its node. Notify
 * nodes post to the site's webhook endpoints (Slack-style incoming webhooks are endpoints too).
 */
export const REF_TABLES: Record<RefKind, string> = {
  cta: 'ctas',
  webhook_endpoint: 'webhook_endpoints',
  email_sender: 'email_senders',
  notify_endpoint: 'webhook_endpoints',
  inbound_hook: 'inbound_hooks',
};

const KINDS = Object.keys(REF_TABLES) as RefKind[];

/** Refs of a draft: configs that do not parse yet are skipped (validation reports them anyway). */
export function refsOfDraft(graph: LooseFlowGraph): FlowRef[] {
  return graph.nodes.flatMap((node) => {
    const parsed = FlowNodeSchema.safeParse(node);
    return parsed.success ? nodeRefs(parsed.data) : [];
  });
}

/** Looks up which referenced CTAs, endpoints, senders and hooks exist in the same site. */
@Injectable()
export class FlowRefsProvider {
  constructor(private readonly db: DataSource) {}

  async refsFor(siteId: string, refs: FlowRef[]): Promise<FlowRefs> {
    const result: FlowRefs = {};
    for (const kind of KINDS) {
      const ids = [...new Set(refs.filter((r) => r.kind === kind).map((r) => r.id))];
      if (ids.length === 0) {
        result[REF_KIND_KEYS[kind]] = [];
        continue;
      }
      const rows: { id: string }[] = await queryRows(
        this.db,
        `SELECT id::text AS id FROM ${REF_TABLES[kind]} WHERE site_id = $1 AND id::text = ANY($2::text[])`,
        [siteId, ids],
      );
      result[REF_KIND_KEYS[kind]] = rows.map((r) => r.id);
    }
    return result;
  }
}
