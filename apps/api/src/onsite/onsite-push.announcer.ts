import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { InvalidationBus } from '../redis/invalidation-bus';
import { InvalidationTopic } from '../common/invalidation-topics';

const INSERT_RE = /^\s*INSERT INTO onsite_messages\s*\(\s*site_id\s*,\s*visitor_id\s*,/i;

/**
 * Worker side of live push. The runtime writes a show_cta message inside its step transaction; once
 * that transaction commits, this announces `siteId:visitorId` over Redis pub/sub, and the API process
 * holding the visitor's live connection pushes it. It watches the runtime's INSERT (first parameter:
 * site id; RETURNING: the inserted rows' visitor ids) instead of needing a hook in the step executor;
 * a row skipped by ON CONFLICT announces nothing, and a rolled-back transaction announces nothing.
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
    const [siteId] = params;
    if (typeof siteId !== 'string') return;
    const messages = insertedVisitors(event.rawResults).map((visitorId) => `${siteId}:${visitorId}`);
    if (!messages.length) return;
    const runner = event.queryRunner;
    if (runner?.isTransactionActive) {
      const set = this.pending.get(runner) ?? new Set<string>();
      for (const m of messages) set.add(m);
      this.pending.set(runner, set);
    } else {
      this.announce(messages);
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
      this.bus.publish(InvalidationTopic.OnsitePush, m).catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'live push announce failed');
      });
    }
  }
}

/**
 * The visitor ids of the rows the INSERT wrote (its RETURNING has `visitor_id`; rows skipped by ON
 * CONFLICT return nothing). pg answers `{rows, rowCount}`; TypeORM may hand over the rows array alone.
 */
function insertedVisitors(raw: unknown): string[] {
  const rows: unknown = Array.isArray(raw) ? raw : (raw as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) return [];
  const ids = new Set<string>();
  for (const r of rows) {
    const id = (r as { visitor_id?: unknown } | null)?.visitor_id;
    if (typeof id === 'string') ids.add(id);
  }
  return [...ids];
}
