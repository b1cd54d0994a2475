import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, quietSqlite3 } from '../../src/mta-sts/persistence';
import { inject } from 'vitest';
import { PostgresCluster } from './postgres';

/** The database a suite runs on: SQLite unless `MTA_STS_TEST_DATABASE=postgres`. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = inject('postgresUrl') ? 'postgres' : 'sqlite';

export type TestDatabaseOptions =
  { readonly type: 'sqlite'; readonly database: string } | { readonly type: 'postgres'; readonly url: string };

/** A fresh, empty database for one test: TypeORM connection options and how to remove it. */
export interface TestDatabase {
  readonly options: TestDatabaseOptions;
  drop(): Promise<void>;
}

const databases = new Map<string, Promise<TestDatabase>>();

/**
 * The database of the test whose data directory is `dir`: an SQLite file in it, or a new
 * database in the run's private PostgreSQL cluster (started by the global set-up). The
 * same `dir` gives the same database, so a test can stop its app and start it again.
 */
export function testDatabase(dir: string): Promise<TestDatabase> {
  let database = databases.get(dir);
  if (!database) {
    database = create(dir);
    databases.set(dir, database);
  }
  return database;
}

async function create(dir: string): Promise<TestDatabase> {
  const base = inject('postgresUrl');
  if (!base) {
    return { options: { type: 'sqlite', database: join(dir, 'mta-sts.sqlite') }, drop: async () => undefined };
  }
  const cluster = new PostgresCluster(Number(new URL(base).port));
  const url = await cluster.createDatabase();
  return {
    options: { type: 'postgres', url },
    drop: async () => {
      databases.delete(dir);
      await cluster.dropDatabase(url);
    },
  };
}

/**
 * An initialised data source on the test database of `dir`, every MTA-STS migration run;
 * on SQLite with the driver the panel uses (sqlite3 without its verbose mode).
 */
export async function migratedDataSource(dir: string): Promise<DataSource> {
  const database = await testDatabase(dir);
  const source = new DataSource({
    ...database.options,
    ...(database.options.type === 'sqlite' ? { driver: quietSqlite3 } : {}),
    entities: MTA_STS_ENTITIES,
    migrations: MTA_STS_MIGRATIONS,
    migrationsRun: true,
    logging: false,
  } as DataSourceOptions);
  await source.initialize();
  return source;
}

/** Closes a data source from `migratedDataSource` and removes its database. */
export async function dropDataSource(dir: string, source: DataSource | undefined): Promise<void> {
  if (source?.isInitialized) await source.destroy();
  await (await testDatabase(dir)).drop();
}

/** The standalone panel's database setting for the test database of `dir` (none for SQLite in `dir`). */
export async function panelDatabaseEnv(dir: string): Promise<{ MTA_STS_DATABASE_URL?: string }> {
  const { options } = await testDatabase(dir);
  return options.type === 'postgres' ? { MTA_STS_DATABASE_URL: options.url } : {};
}
