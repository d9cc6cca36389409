import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { TickBatcher } from '../common/tick-batcher';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { queryRows } from '../database/sql';
import { lookupVisitorSql, visitorJoin } from '../visitors/visitor.sql';
import type { CtaEvent, PendingMessage, VisitorSnapshot } from './cta-decision';

export interface VisitorState {
  visitor: VisitorSnapshot | null;
  events: CtaEvent[];
  messages: PendingMessage[];
}

interface Lookup {
  anon: string;
  uid: string;
}

/** Most lookups one query serves. */
const MAX_BATCH = 100;

interface Row {
  /** Which lookup of the batch (1-based). */
  n: string;
  id: string;
  traits: Record<string, unknown>;
  tags: string[];
  session_count: number;
  visit_count: number;
  events: [string, string, string | null, number][] | null;
  messages: [string, string, number, number][] | null;
}

/**
 * Lookups of one site: $2 anonymous ids, $3 user ids ('' for none), one row per visitor found. The
 * identities and profiles are read through the visitors feature's fragments (one round trip).
 */
const LOAD_SQL = `WITH ident AS (
   SELECT r.n, ${lookupVisitorSql('$1', 'r.uid', 'r.anon')} AS visitor_id
     FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS r(anon, uid, n))
 SELECT ident.n::text AS n, v.id, v.traits, v.tags, v.session_count, v.visit_count, v.cta_log AS events,
   (SELECT json_agg(json_build_array(m.id::text, m.cta_id, m.priority, floor(extract(epoch FROM m.created_at) * 1000)))
      FROM onsite_messages m
     WHERE m.site_id = $1 AND m.visitor_id = v.id AND m.consumed_at IS NULL
       AND (m.expires_at IS NULL OR m.expires_at > now())) AS messages
   FROM ident ${visitorJoin('v', '$1', 'ident.visitor_id')}`;

/**
 * Everything decide needs about one visitor in one round trip: the profile (resolved from the user
 * id, else the anonymous id), their recent CTA events (the row's `cta_log`, which ingestion keeps in
 * the same write as the events: no walk over the events partitions) and their pending, unexpired flow
 * messages. Reads only.
 *
 * Lookups of the same site that arrive in one turn of the event loop share one query (up to
 * `MAX_BATCH`): under load, one round trip to PostgreSQL serves many page views.
 */
@Injectable()
export class VisitorStateRepository implements OnModuleDestroy {
  private readonly logger = new Logger(VisitorStateRepository.name);
  private pool?: Promise<Pool>;
  private readonly lookups = new TickBatcher<Lookup, Row | undefined>(
    (siteId, lookups) => this.loadRows(siteId, lookups),
    MAX_BATCH,
  );

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await (await this.pool)?.end();
  }

  async load(
    siteId: string,
    anonymousId: string,
    userId: string | null,
    windowDays: number,
  ): Promise<VisitorState> {
    const r = await this.lookups.add(siteId, { anon: anonymousId, uid: userId ?? '' });
    if (!r) return { visitor: null, events: [], messages: [] };
    const since = Date.now() - windowDays * 86_400_000;
    return {
      visitor: {
        id: r.id,
        traits: r.traits ?? {},
        tags: r.tags ?? [],
        sessionCount: r.session_count,
        visitCount: r.visit_count,
      },
      events: (r.events ?? [])
        .filter((e) => typeof e[1] === 'string' && Number(e[3]) > since)
        .map(([name, ctaId, variantId, ts]) => ({ name, ctaId, variantId, ts: Number(ts) })),
      messages: (r.messages ?? []).map(([id, ctaId, priority, createdAt]) => ({
        id,
        ctaId,
        priority,
        createdAt: Number(createdAt),
      })),
    };
  }

  private async loadRows(siteId: string, lookups: Lookup[]): Promise<(Row | undefined)[]> {
    const rows = await this.prepared<Row>(LOAD_SQL, [
      siteId,
      lookups.map((l) => l.anon),
      lookups.map((l) => l.uid),
    ]);
    const byN = new Map(rows.map((r) => [Number(r.n), r]));
    return lookups.map((_, i) => byN.get(i + 1));
  }

  /**
   * A named prepared statement on a small pool of decide's own, whose sessions force the generic plan:
   * decide runs this one query per page view and it has no reason to be re-planned per visitor (when
   * it still read the events partitions, the plan cache kept re-planning it at 8–10 ms a plan). The
   * setting must not leak into the main pool's other queries. On Citus the generic plan loses the
   * constant site_id the router planner needs ("could not create distributed plan"), so there the
   * pool keeps PostgreSQL's default plan choice, which Citus plans per call on the site's shard.
   */
  private async prepared<T>(text: string, values: unknown[]): Promise<T[]> {
    this.pool ??= this.createPool().catch((err: unknown) => {
      this.pool = undefined;
      throw err;
    });
    const result = await (await this.pool).query({ name: 'nf_onsite_visitor_state_v3', text, values });
    return result.rows as T[];
  }

  private async createPool(): Promise<Pool> {
    const citus = await queryRows(this.db, `SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
    const pool = new Pool({
      connectionString: this.cfg.DATABASE_URL,
      max: this.cfg.DECIDE_POOL_SIZE,
      connectionTimeoutMillis: 5000,
      application_name: this.cfg.DB_APPLICATION_NAME,
      options: citus.length > 0 ? undefined : '-c plan_cache_mode=force_generic_plan',
    });
    // An idle connection killed by the server must not crash the process; the next query reconnects.
    pool.on('error', (err) => this.logger.warn({ err: err.message }, 'decide pool connection lost'));
    return pool;
  }
}
