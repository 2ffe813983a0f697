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
    '0004-lti': {
      // LTI 1.3 (src/server/lti/): the tool's keys, the launches' nonces, the resource links and
      // users launched, and the outbox every score passes through on its way to the platform
      async up(db: Kysely<unknown>) {
        await sql`create table lti_keys (
          kid text primary key,
          private_jwk text not null,
          public_jwk text not null,
          created_at text not null,
          retired_at text
        )`.execute(db);
        await sql`create table lti_settings (
          name text primary key,
          value text not null
        )`.execute(db);
        await sql`create table lti_nonces (
          nonce text primary key,
          expires_at text not null
        )`.execute(db);
        await sql`create index lti_nonces_expiry on lti_nonces (expires_at)`.execute(db);
        await sql`create table lti_links (
          id text primary key,
          issuer text not null,
          client_id text not null,
          deployment_id text not null,
          resource_link_id text not null,
          context_id text,
          context_title text,
          title text,
          bank text not null,
          lineitem text,
          lineitems text,
          scopes text not null,
          updated_at text not null
        )`.execute(db);
        await sql`create table lti_users (
          student text primary key,
          issuer text not null,
          deployment_id text not null,
          sub text not null,
          name text,
          email text,
          updated_at text not null
        )`.execute(db);
        await sql`create table lti_link_users (
          link_id text not null,
          student text not null,
          worksheet text not null,
          first_at text not null,
          primary key (link_id, student)
        )`.execute(db);
        await sql`create table lti_outbox (
          seq ${seq},
          id text not null unique,
          link_id text not null,
          student text not null,
          user_id text not null,
          submission_id text not null,
          score_given double precision not null,
          score_maximum double precision not null,
          timestamp text not null,
          status text not null check (status in ('pending', 'sent', 'failed', 'superseded')),
          tries integer not null default 0,
          next_at text not null,
          claimed_until text,
          claimed_by text,
          last_error text,
          created_at text not null,
          sent_at text
        )`.execute(db);
        await sql`create index lti_outbox_due on lti_outbox (status, next_at)`.execute(db);
        await sql`create index lti_outbox_user on lti_outbox (link_id, student, seq)`.execute(db);
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
