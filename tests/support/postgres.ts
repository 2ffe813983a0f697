/**
 * A throwaway PostgreSQL server for tests: the implementation is scripts/postgres.mjs, plain
 * JavaScript so that the benchmarks (bench/*.mjs) use the same one; its types are
 * scripts/postgres.d.mts. Most tests want the one server of the run instead:
 * `inject('postgresUrl')` (tests/support/postgres-setup.ts), with `freshDatabase` for isolation.
 */
import { afterAll } from 'vitest';
import { startPostgres as start, type Postgres } from '../../scripts/postgres.mjs';

export { freshDatabase, postgresBinDir } from '../../scripts/postgres.mjs';
export type { Postgres } from '../../scripts/postgres.mjs';

const started: Postgres[] = [];

// vitest ends its workers with a signal, so a server a test file forgot to stop would outlive it
afterAll(async () => {
  await Promise.all(started.splice(0).map((pg) => pg.stop()));
});

/** startPostgres of scripts/postgres.mjs; the server is also stopped when the test file's tests are done. */
export async function startPostgres(options?: { binDir?: string }): Promise<Postgres> {
  const pg = await start(options);
  started.push(pg);
  return pg;
}
