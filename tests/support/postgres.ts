/**
 * A throwaway PostgreSQL server for tests: the implementation is scripts/postgres.mjs, plain
 * JavaScript so that the benchmarks (bench/*.mjs) use the same one; its types are
 * scripts/postgres.d.mts. Most tests want the one server of the run instead:
 * `inject('postgresUrl')` (tests/support/postgres-setup.ts), with `freshDatabase` for isolation.
 */
export { freshDatabase, postgresBinDir, startPostgres } from '../../scripts/postgres.mjs';
export type { Postgres } from '../../scripts/postgres.mjs';
