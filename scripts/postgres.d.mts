// Types of scripts/postgres.mjs, for tests/support/postgres.ts (tsconfig has no allowJs: the .mjs
// scripts stay plain JavaScript). Keep in step with the JSDoc there.

/** A running throwaway server, from startPostgres. */
export interface Postgres {
  /** postgres://gradsheet@127.0.0.1:PORT/gradsheet */
  url: string;
  port: number;
  /** the temporary directory: data/, the unix socket, server.log */
  dir: string;
  /** stops the server at once (pg_ctl stop -m immediate) and removes `dir`; a second call does nothing */
  stop(): Promise<void>;
}

/** Where initdb, pg_ctl, postgres and psql are found; throws one sentence naming the package to install. */
export function postgresBinDir(binDir?: string): string;

/** Starts a new PostgreSQL server in a new temporary directory, with an empty database `gradsheet`. */
export function startPostgres(options?: { binDir?: string }): Promise<Postgres>;

/** Creates a new empty database with a random name on the server of `url`, and returns its URL. */
export function freshDatabase(url: string, options?: { binDir?: string }): Promise<string>;
