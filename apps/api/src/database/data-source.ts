import { DataSource, DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

export function dataSourceOptions(cfg: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: cfg.DATABASE_URL,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    extra: { max: cfg.DB_POOL_SIZE, connectionTimeoutMillis: 5000, application_name: 'nudgeflow' },
  };
}

export function createDataSource(cfg: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSource {
  return new DataSource(dataSourceOptions(cfg));
}
