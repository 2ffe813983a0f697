/**
 * Global setup: one throwaway PostgreSQL server for the whole run (1.4–2.9 s to start here, mostly
 * initdb), its URL given to tests as `inject('postgresUrl')`; tests that change data take a
 * `freshDatabase(url)` of their own. With GRADSHEET_TEST_POSTGRES=postgres://… the tests use that
 * server instead and nothing is started (its user must be allowed to CREATE DATABASE).
 */
import type { TestProject } from 'vitest/node';
// not ./postgres.js: that registers an afterAll, which needs a test file around it
import { startPostgres } from '../../scripts/postgres.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://user@host:port/database of the run's PostgreSQL server */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.GRADSHEET_TEST_POSTGRES;
  if (given) {
    project.provide('postgresUrl', given);
    return undefined;
  }
  const pg = await startPostgres();
  project.provide('postgresUrl', pg.url);
  return () => pg.stop();
}
