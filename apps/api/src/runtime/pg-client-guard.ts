import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';

/**
 * A PostgreSQL connection killed while checked out of the pool (failover, `pg_terminate_backend`)
 * emits 'error' on its client; without a listener node-postgres throws it and the process dies.
 * The query in flight fails (and its job is retried); the process must live on.
 */
@Injectable()
export class PgClientGuard implements OnModuleInit {
  private readonly logger = new Logger(PgClientGuard.name);

  constructor(private readonly db: DataSource) {}

  onModuleInit(): void {
    const pool = (this.db.driver as unknown as { master?: EventEmitter & { _clients?: EventEmitter[] } })
      .master;
    if (!pool) return;
    // Not "has any error listener": the pool's own idle listener is attached before 'connect' fires
    // and is removed while the client is checked out, which is exactly when a kill must not crash.
    const guarded = new WeakSet<EventEmitter>();
    const guard = (client: EventEmitter) => {
      if (guarded.has(client)) return;
      guarded.add(client);
      client.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'database connection lost'));
    };
    for (const client of pool._clients ?? []) guard(client);
    pool.on('connect', guard);
  }
}
