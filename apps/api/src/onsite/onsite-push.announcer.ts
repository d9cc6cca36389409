import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { InvalidationBus } from '../redis/invalidation-bus';
import { ONSITE_PUSH_TOPIC } from './live-hub';

const INSERT_RE = /^\s*INSERT INTO onsite_messages\s*\(\s*site_id\s*,\s*visitor_id\s*,/i;

/**
 * Worker side of live push. The runtime writes a show_cta message inside its step transaction; once
 * that transaction commits, this announces `siteId:visitorId` over Redis pub/sub, and the API process
 * holding the visitor's live connection pushes it. It watches the runtime's INSERT (first two
 * parameters: site id, visitor id) instead of needing a hook in the step executor; a row skipped by
 * ON CONFLICT announces nothing, and a rolled-back transaction announces nothing.
 */
@Injectable()
export class OnsitePushAnnouncer implements EntitySubscriberInterface {
  private readonly logger = new Logger(OnsitePushAnnouncer.name);
  private readonly pending = new Map<QueryRunner, Set<string>>();

  constructor(
    db: DataSource,
    private readonly bus: InvalidationBus,
  ) {
    db.subscribers.push(this);
  }

  afterQuery(event: AfterQueryEvent): void {
    if (!event.success || !INSERT_RE.test(event.query)) return;
    const params = Array.isArray(event.parameters) ? event.parameters : [];
    const [siteId, visitorId] = params;
    if (typeof siteId !== 'string' || typeof visitorId !== 'string') return;
    if (!insertedRows(event.rawResults)) return;
    const message = `${siteId}:${visitorId}`;
    const runner = event.queryRunner;
    if (runner?.isTransactionActive) {
      const set = this.pending.get(runner) ?? new Set<string>();
      set.add(message);
      this.pending.set(runner, set);
    } else {
      this.announce([message]);
    }
  }

  afterTransactionCommit(event: { queryRunner: QueryRunner }): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint was released; the outer tx goes on
    const set = this.pending.get(event.queryRunner);
    if (!set) return;
    this.pending.delete(event.queryRunner);
    this.announce([...set]);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }

  private announce(messages: string[]): void {
    for (const m of messages) {
      this.bus.publish(ONSITE_PUSH_TOPIC, m).catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'live push announce failed');
      });
    }
  }
}

/** pg answers `{rows, rowCount}`; TypeORM may hand over the rows array alone. */
function insertedRows(raw: unknown): boolean {
  if (Array.isArray(raw)) return raw.length > 0;
  if (raw && typeof raw === 'object') {
    const r = raw as { rowCount?: unknown; rows?: unknown };
    if (typeof r.rowCount === 'number') return r.rowCount > 0;
    if (Array.isArray(r.rows)) return r.rows.length > 0;
  }
  return true;
}
