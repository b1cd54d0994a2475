import type { TestProject } from 'vitest/node';
import { PostgresServer } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The private PostgreSQL cluster's URL (no database), when the suite runs on PostgreSQL. */
    postgresUrl: string;
  }
}

/**
 * Vitest global set-up: with `MTA_STS_TEST_DATABASE=postgres`, starts a private PostgreSQL
 * cluster for the run, in which each suite creates a database of its own (see
 * `testDatabase`). Without it the suite runs on SQLite files and nothing is started.
 */
export default async function postgresSetup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.MTA_STS_TEST_DATABASE !== 'postgres') {
    project.provide('postgresUrl', '');
    return undefined;
  }
  const server = await PostgresServer.start();
  project.provide('postgresUrl', server.url(''));
  return () => server.stop();
}
