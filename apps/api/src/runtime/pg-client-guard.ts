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
    const guard = (client: EventEmitter) => {
      if (client.listenerCount('error') > 0) return;
      client.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'database connection lost'));
    };
    for (const client of pool._clients ?? []) guard(client);
    pool.on('connect', guard);
  }
}
