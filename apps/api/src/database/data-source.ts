import { DataSource, DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

type DataSourceConfig = Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'> &
  Partial<Pick<AppConfig, 'DB_APPLICATION_NAME'>>;

export function dataSourceOptions(cfg: DataSourceConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: cfg.DATABASE_URL,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    extra: {
      max: cfg.DB_POOL_SIZE,
      connectionTimeoutMillis: 5000,
      application_name: cfg.DB_APPLICATION_NAME ?? 'nudgeflow',
    },
  };
}

export function createDataSource(cfg: DataSourceConfig): DataSource {
  return new DataSource(dataSourceOptions(cfg));
}
