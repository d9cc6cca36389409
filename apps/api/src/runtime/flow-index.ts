import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CompiledFlow, compileFlow, TriggerNode, isTriggerNode, triggerEventName } from '@nudgeflow/engine';
import { FlowGraph, FlowGraphSchema, FlowSettings, FlowSettingsSchema } from '@nudgeflow/flow-schema';
import { TtlCache } from '../common/ttl-cache';
import type { Queryable } from '../database/sql';
import { InvalidationBus } from '../redis/invalidation-bus';
import { FlowVersionRepository, LiveFlowVersionRow } from '../flows/flow-version.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

export interface LiveFlow {
  flowId: string;
  version: number;
  compiled: CompiledFlow;
  triggers: TriggerNode[];
}

/** Live flows of one site keyed by the event name their triggers listen to. */
export interface SiteTriggerIndex {
  byEvent: Map<string, LiveFlow[]>;
}

function compile(row: LiveFlowVersionRow): CompiledFlow {
  const graph: FlowGraph = FlowGraphSchema.parse(row.graph);
  const settings: FlowSettings = FlowSettingsSchema.parse(row.settings ?? {});
  return compileFlow({ graph, settings });
}

/**
 * Per-process caches: the per-site trigger index of live flow versions (dropped on the `flows`
 * invalidation topic, so every worker sees a publish/pause within a second; a short TTL backs it up),
 * and compiled flow versions by (site, flow, version) — immutable, so never invalidated.
 */
@Injectable()
export class FlowIndex implements OnModuleInit {
  private readonly logger = new Logger(FlowIndex.name);
  private readonly sites = new TtlCache<string, Promise<SiteTriggerIndex>>(30_000, 10_000);
  private readonly versions = new TtlCache<string, Promise<CompiledFlow | null>>(3_600_000, 5_000);

  constructor(
    private readonly versionsOf: FlowVersionRepository,
    private readonly bus: InvalidationBus,
  ) {}

  onModuleInit(): void {
    this.bus.on(InvalidationTopic.Flows, (siteId) => this.sites.deleteWhere((k) => k === siteId));
  }

  forSite(siteId: string): Promise<SiteTriggerIndex> {
    let hit = this.sites.get(siteId);
    if (!hit) {
      hit = this.load(siteId);
      hit.catch(() => this.sites.deleteWhere((k) => k === siteId));
      this.sites.set(siteId, hit);
    }
    return hit;
  }

  /** `db`: the caller's transaction, so a step never waits for a second pool connection. */
  version(siteId: string, flowId: string, version: number, db?: Queryable): Promise<CompiledFlow | null> {
    const key = `${siteId}:${flowId}:${version}`;
    let hit = this.versions.get(key);
    if (!hit) {
      hit = this.versionsOf
        .compilable(siteId, flowId, version, db)
        .then((row) => (row ? compile(row) : null));
      hit.catch(() => this.versions.deleteWhere((k) => k === key));
      this.versions.set(key, hit);
    }
    return hit;
  }

  private async load(siteId: string): Promise<SiteTriggerIndex> {
    const byEvent = new Map<string, LiveFlow[]>();
    for (const row of await this.versionsOf.liveVersions(siteId)) {
      let compiled: CompiledFlow;
      try {
        compiled = compile(row);
      } catch (err) {
        this.logger.warn(
          { siteId, flowId: row.flow_id, err: (err as Error).message },
          'skipping invalid flow',
        );
        continue;
      }
      this.versions.set(`${siteId}:${row.flow_id}:${row.version}`, Promise.resolve(compiled));
      const triggers = compiled.graph.nodes.filter(isTriggerNode);
      const names = new Set(triggers.map(triggerEventName));
      const live: LiveFlow = { flowId: row.flow_id, version: row.version, compiled, triggers };
      for (const name of names) byEvent.set(name, [...(byEvent.get(name) ?? []), live]);
    }
    return { byEvent };
  }
}
