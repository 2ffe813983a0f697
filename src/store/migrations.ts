/**
 * Versioned migrations, run by Kysely's Migrator on start (it takes a lock, so several `serve`
 * instances starting at once against one PostgreSQL migrate it once). Never edit a migration that
 * has shipped: add the next one. The names sort in the order they run.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** The migrations for a dialect: the same tables, each database's own kind of growing key. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  // an integer key that grows with each row: SQLite's rowid alias, PostgreSQL's identity
  const seq = dialect === 'sqlite' ? sql`integer primary key autoincrement` : sql`integer generated always as identity primary key`;
  return {
    '0001-submissions': {
      async up(db: Kysely<unknown>) {
        await sql`create table submissions (
          seq ${seq},
          id text not null unique,
          worksheet text not null,
          student text not null,
          kind text not null check (kind in ('submission', 'check')),
          attempt integer,
          received_at text not null,
          late integer not null default 0,
          client text not null,
          body text not null,
          result text not null,
          score double precision not null,
          max double precision not null,
          graded_at text not null,
          regrade_id text
        )`.execute(db);
        // one attempt number per worksheet and student: two servers cannot both record attempt 2
        await sql`create unique index submissions_attempt on submissions (worksheet, student, attempt)`.execute(db);
        await sql`create index submissions_student on submissions (student, seq)`.execute(db);
        await sql`create index submissions_received on submissions (received_at, seq)`.execute(db);
        await sql`create table regrades (
          id text primary key,
          started_at text not null,
          finished_at text not null,
          against text not null,
          checked integer not null,
          changed integer not null
        )`.execute(db);
        await sql`create table result_history (
          seq ${seq},
          submission_id text not null references submissions (id),
          regrade_id text not null references regrades (id),
          result text not null,
          score double precision not null,
          max double precision not null,
          graded_at text not null,
          replaced_at text not null
        )`.execute(db);
        await sql`create index result_history_submission on result_history (submission_id, seq)`.execute(db);
      },
    },
    '0002-pinned-banks': {
      // the bank each assignment's worksheets were drawn from (rebase.ts): a later edit of its
      // tolerance or points regrades the same worksheets instead of drawing others
      async up(db: Kysely<unknown>) {
        await sql`create table pinned_banks (
          bank_id text not null,
          secret_tag text not null,
          hash text not null,
          bank text not null,
          pinned_at text not null,
          primary key (bank_id, secret_tag)
        )`.execute(db);
      },
    },
    '0003-throttle': {
      // grading requests counted per kind (code, client, miss), key and fixed window (throttle.ts):
      // kept here so a limit survives a restart and holds across servers on one database
      async up(db: Kysely<unknown>) {
        await sql`create table throttle (
          kind text not null,
          key text not null,
          window_start text not null,
          hits integer not null,
          primary key (kind, key, window_start)
        )`.execute(db);
        await sql`create index throttle_window on throttle (window_start)`.execute(db);
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
