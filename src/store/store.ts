/**
 * Where `serve` keeps every submission: SQLite in a data folder (the default, embedded, no set-up)
 * or PostgreSQL (several servers behind a load balancer), through one Kysely query builder and one
 * schema (schema.ts), migrated on open (migrations.ts).
 *
 * Durability: a submission is acknowledged only after the transaction holding it has committed —
 * SQLite in WAL mode with synchronous=FULL (the log is fsync'd at every commit), PostgreSQL with
 * its defaults (synchronous_commit on). A request that is not answered leaves nothing half written:
 * one transaction per batch. Submissions arriving together are committed together (group commit:
 * one fsync for all of them), which is what lets one SQLite file take thousands a second.
 *
 * A database that fails (a full disk, a server that cannot be reached) becomes a GradsheetError
 * `unavailable` with one sentence; the server answers 503, never 201.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { GradsheetError, isGradsheetError } from '../errors.js';
import { migrationProvider, type Dialect } from './migrations.js';
import type { StoreTables, SubmissionTable } from './schema.js';
import { LtiStore, queueScores, type Passback, type Queued } from './lti.js';

/** Where the store is: a data folder (SQLite) or a PostgreSQL URL. */
export interface StoreLocation {
  data?: string;
  database?: string;
}

export const DEFAULT_DATA_DIR = 'gradsheet-data';
export const SQLITE_FILE = 'gradsheet.sqlite';

/** A submission to record: graded already, its body and result as JSON text. */
export interface NewSubmission {
  worksheet: string;
  student: string;
  kind: 'submission' | 'check';
  receivedAt: string;
  late: boolean;
  client: 'page' | 'api';
  body: string;
  result: string;
  score: number;
  max: number;
  /** an LTI launch's submission: its counted score queued for the platform in the same transaction */
  passback?: Passback;
}

/** What recording did: the stored id and attempt number, or why it was refused (no attempts left). */
export type RecordOutcome = { id: string; seq: number; attempt: number | null; passback?: Queued } | { refused: 'attempts'; used: number };

/** A stored submission, as listed. */
export interface StoredSubmission {
  seq: number;
  id: string;
  worksheet: string;
  student: string;
  kind: 'submission' | 'check';
  attempt: number | null;
  receivedAt: string;
  late: boolean;
  client: string;
  score: number;
  max: number;
  gradedAt: string;
  regradeId: string | null;
  /** JSON text */
  body: string;
  /** JSON text */
  result: string;
}

export interface ListFilter {
  worksheet?: string;
  student?: string;
  /** received at or after this ISO time */
  since?: string;
  /** after this seq (the paging cursor) */
  after?: number;
  kind?: 'submission' | 'check';
  limit: number;
}

/** A re-marking of one stored submission: its new result (JSON text) and score. */
export interface Remark {
  result: string;
  score: number;
  max: number;
}

export interface RegradeChange {
  id: string;
  worksheet: string;
  student: string;
  kind: 'submission' | 'check';
  attempt: number | null;
  before: { score: number; max: number };
  after: { score: number; max: number };
  /** the parts whose status or score changed */
  parts: { id: string; before: string; after: string }[];
}

export interface RegradeReport {
  /** the regrade's id (null for a dry run, which records nothing) */
  regrade: string | null;
  against: string;
  /** the submissions re-marked */
  checked: number;
  /** the submissions of worksheets the grader does not issue (another bank's), left as they were */
  skipped: number;
  changed: RegradeChange[];
  dryRun: boolean;
}

/** Groups committed at once on PostgreSQL (its pool has 10 connections; reads use the others). */
const FLUSHES_AT_ONCE = 4;

/** One grading-limit window's key: its kind, key and start. */
const windowId = (kind: string, key: string, windowStart: string): string => `${kind}\n${key}\n${windowStart}`;

/** Most submissions in one transaction (group commit). */
const MAX_GROUP = 256;

type Row = SubmissionTable & { seq: number };

function fromRow(r: Row): StoredSubmission {
  return {
    seq: Number(r.seq), id: r.id, worksheet: r.worksheet, student: r.student, kind: r.kind, attempt: r.attempt === null ? null : Number(r.attempt),
    receivedAt: r.received_at, late: Number(r.late) === 1, client: r.client, score: Number(r.score), max: Number(r.max), gradedAt: r.graded_at,
    regradeId: r.regrade_id, body: r.body, result: r.result,
  };
}

/** One sentence for a database failure; `doing` says what was being done ("record the submission"). */
export function unavailable(e: unknown, where: string, doing: string): GradsheetError {
  if (isGradsheetError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = String(err.code ?? '');
  let why: string;
  if (code === 'SQLITE_FULL' || code === '53100' || /disk is full|no space left/i.test(err.message ?? '')) why = 'its disk is full';
  else if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'EACCES') why = 'it cannot be written';
  else if (code.startsWith('SQLITE_BUSY')) why = 'another program holds it locked';
  else if (code.startsWith('SQLITE_IOERR')) why = 'reading or writing its file failed';
  else if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003'].includes(code) || /terminat|Connection|connect/i.test(err.message ?? '')) why = 'it cannot be reached';
  else why = `it failed (${(err.message ?? String(e)).split('\n')[0]!.slice(0, 160)})`;
  return new GradsheetError('unavailable', `The database (${where}) could not ${doing}: ${why}.`, { cause: e });
}

export class Store {
  readonly #db: Kysely<StoreTables>;
  readonly dialect: Dialect;
  /** where the data is, for messages: "SQLite file gradsheet-data/gradsheet.sqlite" */
  readonly where: string;
  readonly #queue: { item: NewSubmission; maxAttempts: number | null; resolve: (o: RecordOutcome) => void; reject: (e: unknown) => void }[] = [];
  #flushing = 0;
  #scheduled = false;
  #closed = false;
  #checkpointer: Worker | undefined;

  private constructor(db: Kysely<StoreTables>, dialect: Dialect, where: string) {
    this.#db = db;
    this.dialect = dialect;
    this.where = where;
  }

  /** Opens (creating and migrating it when needed) the store at a location. */
  static async open(location: StoreLocation): Promise<Store> {
    let store: Store;
    if (location.database) {
      if (location.data) throw new GradsheetError('usage', 'Give either --data DIR (SQLite) or --database postgres://… (PostgreSQL), not both.');
      if (!/^postgres(ql)?:\/\//.test(location.database)) throw new GradsheetError('usage', `--database should be a PostgreSQL URL (postgres://user@host:port/name), not "${location.database.slice(0, 60)}".`);
      const { default: pg } = await import('pg');
      const url = new URL(location.database);
      const where = `PostgreSQL ${url.host}${url.pathname}`;
      const pool = new pg.Pool({ connectionString: location.database, max: 10, connectionTimeoutMillis: 5000 });
      // an idle connection the server dropped must not crash the process: the next query reports it
      pool.on('error', () => undefined);
      store = new Store(new Kysely<StoreTables>({ dialect: new PostgresDialect({ pool }) }), 'postgres', where);
    } else {
      const dir = resolve(location.data ?? DEFAULT_DATA_DIR);
      const file = join(dir, SQLITE_FILE);
      const where = `SQLite file ${file}`;
      let database;
      try {
        mkdirSync(dir, { recursive: true });
        const { default: Sqlite } = await import('better-sqlite3');
        database = new Sqlite(file, { timeout: 5000 });
        database.pragma('journal_mode = WAL');
        // every commit reaches the disk before it is acknowledged
        database.pragma('synchronous = FULL');
        database.pragma('foreign_keys = ON');
      } catch (e) {
        throw unavailable(e, where, 'be opened');
      }
      store = new Store(new Kysely<StoreTables>({ dialect: new SqliteDialect({ database }) }), 'sqlite', where);
      // checkpoints on their own thread (checkpointer, below), not in the middle of a commit
      database.pragma('wal_autocheckpoint = 0');
      store.#checkpointer = checkpointer(file);
    }
    try {
      await store.migrate();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  #migrator(): Migrator {
    return new Migrator({ db: this.#db, provider: migrationProvider(this.dialect), migrationTableName: 'gradsheet_migrations', migrationLockTableName: 'gradsheet_migration_lock' });
  }

  #lti: LtiStore | undefined;

  /** The LTI tool's tables (keys, nonces, links, users, the score outbox). */
  get lti(): LtiStore {
    this.#lti ??= new LtiStore(this.#db, this.dialect === 'postgres', async (doing, work) => {
      try {
        return await work();
      } catch (e) {
        throw unavailable(e, this.where, doing);
      }
    }, (work) => this.#transaction(work));
    return this.#lti;
  }

  /** Brings the schema to the latest migration. */
  async migrate(): Promise<void> {
    const { error, results } = await this.#migrator().migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw unavailable(error, this.where, failed ? `be migrated (migration ${failed})` : 'be migrated');
    }
  }

  /** The migrations applied, in order (for `gradsheet submissions` and the tests). */
  async migrations(): Promise<string[]> {
    return (await this.#migrator().getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
  }

  /**
   * Records a graded submission, committed before the promise resolves. A submission (not a check)
   * gets the next attempt number of its worksheet and student, or is refused when `maxAttempts`
   * are used. Submissions arriving together share one transaction.
   */
  record(item: NewSubmission, maxAttempts: number | null): Promise<RecordOutcome> {
    if (this.#closed) return Promise.reject(new GradsheetError('unavailable', `The database (${this.where}) is closed: the server is stopping.`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, maxAttempts, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    // SQLite has one writer; PostgreSQL takes several groups at once, on the pool's connections
    // (the advisory locks keep one student's attempts in order)
    if (this.#flushing >= (this.dialect === 'postgres' ? FLUSHES_AT_ONCE : 1) || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    // after the requests already read in this turn of the event loop have joined the queue
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing++;
    const group = this.#queue.splice(0, MAX_GROUP);
    try {
      const outcomes = await this.#transaction((trx) => this.#insertGroup(trx, group.map((g) => ({ item: g.item, maxAttempts: g.maxAttempts }))));
      group.forEach((g, i) => g.resolve(outcomes[i]!));
    } catch (e) {
      const error = unavailable(e, this.where, group.length === 1 ? 'record the submission' : 'record these submissions');
      for (const g of group) g.reject(error);
    } finally {
      this.#flushing--;
      this.#schedule();
    }
  }

  /** A transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE, so it never fails half way on another writer). */
  async #transaction<T>(work: (trx: Kysely<StoreTables>) => Promise<T>): Promise<T> {
    return this.#db.connection().execute(async (conn) => {
      await sql.raw(this.dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
      try {
        const out = await work(conn);
        await sql.raw('commit').execute(conn);
        return out;
      } catch (e) {
        await sql.raw('rollback').execute(conn).catch(() => undefined);
        throw e;
      }
    });
  }

  async #insertGroup(trx: Kysely<StoreTables>, group: { item: NewSubmission; maxAttempts: number | null }[]): Promise<RecordOutcome[]> {
    // the attempts used so far, per worksheet and student (of this group's submissions)
    const keys = [...new Set(group.filter((g) => g.item.kind === 'submission').map((g) => JSON.stringify([g.item.worksheet, g.item.student])))].sort();
    const used = new Map<string, number>();
    for (const key of keys) {
      const [worksheet, student] = JSON.parse(key) as [string, string];
      // PostgreSQL: several servers may record for one student at once; the lock (taken in key
      // order, so two groups cannot wait on each other) makes the count and the insert one step
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
      // checks have no attempt number (null), so max() over the unique index's prefix is the
      // attempts used, read from the index alone
      const row = await trx.selectFrom('submissions').select((eb) => eb.fn.max('attempt').as('n')).where('worksheet', '=', worksheet).where('student', '=', student).executeTakeFirst();
      used.set(key, Number(row?.n ?? 0));
    }
    const outcomes: RecordOutcome[] = [];
    const rows: Omit<SubmissionTable, 'seq'>[] = [];
    for (const { item, maxAttempts } of group) {
      let attempt: number | null = null;
      if (item.kind === 'submission') {
        const key = JSON.stringify([item.worksheet, item.student]);
        const n = used.get(key)!;
        if (maxAttempts !== null && n >= maxAttempts) {
          outcomes.push({ refused: 'attempts', used: n });
          continue;
        }
        attempt = n + 1;
        used.set(key, attempt);
      }
      const id = randomUUID();
      rows.push({
        id, worksheet: item.worksheet, student: item.student, kind: item.kind, attempt, received_at: item.receivedAt, late: item.late ? 1 : 0,
        client: item.client, body: item.body, result: item.result, score: item.score, max: item.max, graded_at: item.receivedAt, regrade_id: null,
      });
      outcomes.push({ id, seq: 0, attempt });
    }
    if (rows.length > 0) {
      const inserted = await trx.insertInto('submissions').values(rows).returning(['id', 'seq']).execute();
      const seqOf = new Map(inserted.map((r) => [r.id, Number(r.seq)]));
      for (const o of outcomes) if ('id' in o) o.seq = seqOf.get(o.id)!;
    }
    // scores for LTI platforms, in the order the submissions were taken
    for (const [i, { item }] of group.entries()) {
      const o = outcomes[i]!;
      if (item.passback && item.kind === 'submission' && 'id' in o) o.passback = await queueScores(trx, this.dialect === 'postgres', { worksheet: item.worksheet, student: item.student, at: item.receivedAt, counts: item.passback.counts });
    }
    return outcomes;
  }

  /** Stored submissions in order of arrival, filtered, one page (`limit`) after the cursor. */
  async list(filter: ListFilter): Promise<StoredSubmission[]> {
    try {
      let q = this.#db.selectFrom('submissions').selectAll();
      if (filter.worksheet !== undefined) q = q.where('worksheet', '=', filter.worksheet);
      if (filter.student !== undefined) q = q.where('student', '=', filter.student);
      if (filter.since !== undefined) q = q.where('received_at', '>=', filter.since);
      if (filter.after !== undefined) q = q.where('seq', '>', filter.after);
      if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
      const rows = await q.orderBy('seq').limit(filter.limit).execute();
      return rows.map((r) => fromRow(r as Row));
    } catch (e) {
      throw unavailable(e, this.where, 'list the submissions');
    }
  }

  /**
   * The bank this store's worksheets for `bank.id` and this secret were drawn from: pinned the first
   * time (then `bank` itself), its canonical JSON returned ever after.
   */
  async pinBank(bank: { id: string; hash: string; canonical: string }, secretTag: string): Promise<{ hash: string; canonical: string; pinnedAt: string }> {
    try {
      await this.#db.insertInto('pinned_banks').values({ bank_id: bank.id, secret_tag: secretTag, hash: bank.hash, bank: bank.canonical, pinned_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['bank_id', 'secret_tag']).doNothing()).execute();
      const row = await this.#db.selectFrom('pinned_banks').selectAll().where('bank_id', '=', bank.id).where('secret_tag', '=', secretTag).executeTakeFirstOrThrow();
      return { hash: row.hash, canonical: row.bank, pinnedAt: row.pinned_at };
    } catch (e) {
      throw unavailable(e, this.where, 'keep the bank its worksheets are drawn from');
    }
  }

  /** One stored submission by its id. */
  async get(id: string): Promise<StoredSubmission | undefined> {
    try {
      const row = await this.#db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? fromRow(row as Row) : undefined;
    } catch (e) {
      throw unavailable(e, this.where, 'read the submission');
    }
  }

  /** A worksheet's submissions (attempts, not checks) by one student, in order. */
  async attempts(worksheet: string, student: string): Promise<StoredSubmission[]> {
    return this.list({ worksheet, student, kind: 'submission', limit: 10_000 });
  }

  /** Every stored row, in order of arrival, a page at a time (for the gradebook, exports and regrades). */
  async *each(filter: Omit<ListFilter, 'limit' | 'after'> = {}, page = 1000): AsyncGenerator<StoredSubmission> {
    let after = 0;
    for (;;) {
      const rows = await this.list({ ...filter, after, limit: page });
      yield* rows;
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** The results a submission had before regrades replaced them, oldest first. */
  async history(submissionId: string): Promise<{ regradeId: string; result: string; score: number; max: number; gradedAt: string; replacedAt: string }[]> {
    try {
      const rows = await this.#db.selectFrom('result_history').selectAll().where('submission_id', '=', submissionId).orderBy('seq').execute();
      return rows.map((r) => ({ regradeId: r.regrade_id, result: r.result, score: Number(r.score), max: Number(r.max), gradedAt: r.graded_at, replacedAt: r.replaced_at }));
    } catch (e) {
      throw unavailable(e, this.where, 'read the result history');
    }
  }

  /**
   * Re-marks every stored submission with `remark` and reports what changed. Unless `dryRun`, each
   * changed result replaces the stored one and the old one is kept in result_history, under a
   * recorded regrade; a submission whose result did not change is left as it was.
   */
  async regrade(remark: (s: StoredSubmission) => Remark | null, against: string, options: { dryRun?: boolean; now?: () => string; counts?: 'last' | 'best' } = {}): Promise<RegradeReport> {
    const now = options.now ?? (() => new Date().toISOString());
    const startedAt = now();
    const changes: { row: StoredSubmission; next: Remark; change: RegradeChange }[] = [];
    let checked = 0, skipped = 0;
    try {
      for await (const row of this.each()) {
        const next = remark(row);
        if (next === null) {
          skipped++;
          continue;
        }
        checked++;
        if (next.result === row.result) continue;
        changes.push({ row, next, change: describeChange(row, next) });
      }
    } catch (e) {
      throw unavailable(e, this.where, 'read the submissions to regrade');
    }
    const report: RegradeReport = { regrade: null, against, checked, skipped, changed: changes.map((c) => c.change), dryRun: options.dryRun === true };
    if (options.dryRun) return report;
    const id = randomUUID();
    try {
      await this.#transaction(async (trx) => {
        const finishedAt = now();
        await trx.insertInto('regrades').values({ id, started_at: startedAt, finished_at: finishedAt, against, checked, changed: changes.length }).execute();
        for (const { row, next } of changes) {
          await trx.insertInto('result_history').values({ submission_id: row.id, regrade_id: id, result: row.result, score: row.score, max: row.max, graded_at: row.gradedAt, replaced_at: finishedAt }).execute();
          // only if it is still the result this regrade read (another regrade may have run since)
          await trx.updateTable('submissions').set({ result: next.result, score: next.score, max: next.max, graded_at: finishedAt, regrade_id: id }).where('id', '=', row.id).where('graded_at', '=', row.gradedAt).execute();
        }
        // a launched student's counted score that changed goes to their platform, as a new score
        const pairs = new Map(changes.filter((c) => c.row.kind === 'submission').map((c) => [JSON.stringify([c.row.worksheet, c.row.student]), c.row]));
        for (const row of pairs.values()) await queueScores(trx, this.dialect === 'postgres', { worksheet: row.worksheet, student: row.student, at: finishedAt, counts: options.counts ?? 'last' });
      });
    } catch (e) {
      throw unavailable(e, this.where, 'record the regrade');
    }
    report.regrade = id;
    return report;
  }

  /** Hits counted so far in the given windows (throttle.ts), 0 for a window not seen. */
  async throttleHits(windows: readonly { kind: string; key: string; windowStart: string }[]): Promise<number[]> {
    if (windows.length === 0) return [];
    try {
      const rows = await this.#db.selectFrom('throttle').select(['kind', 'key', 'window_start', 'hits'])
        .where((eb) => eb.or(windows.map((w) => eb.and([eb('kind', '=', w.kind), eb('key', '=', w.key), eb('window_start', '=', w.windowStart)])))).execute();
      const found = new Map(rows.map((r) => [windowId(r.kind, r.key, r.window_start), Number(r.hits)]));
      return windows.map((w) => found.get(windowId(w.kind, w.key, w.windowStart)) ?? 0);
    } catch (e) {
      throw unavailable(e, this.where, 'read the grading limits');
    }
  }

  /**
   * Adds hits to windows in one transaction (an upsert both SQLite and PostgreSQL take) and returns
   * each window's total, other servers' hits included; windows that started before `forgetBefore`
   * are deleted.
   */
  async addThrottleHits(adds: readonly { kind: string; key: string; windowStart: string; hits: number }[], forgetBefore?: string): Promise<number[]> {
    try {
      return await this.#transaction(async (trx) => {
        if (forgetBefore !== undefined) await trx.deleteFrom('throttle').where('window_start', '<', forgetBefore).execute();
        const totals: number[] = [];
        // sorted, so two servers adding to the same windows take their row locks in one order
        const order = adds.map((a, i) => ({ a, i, id: windowId(a.kind, a.key, a.windowStart) })).sort((x, y) => (x.id < y.id ? -1 : 1));
        for (let from = 0; from < order.length; from += 200) {
          const chunk = order.slice(from, from + 200);
          const rows = await trx.insertInto('throttle').values(chunk.map(({ a }) => ({ kind: a.kind, key: a.key, window_start: a.windowStart, hits: a.hits })))
            .onConflict((oc) => oc.columns(['kind', 'key', 'window_start']).doUpdateSet({ hits: sql<number>`throttle.hits + excluded.hits` }))
            .returning(['kind', 'key', 'window_start', 'hits']).execute();
          const got = new Map(rows.map((r) => [windowId(r.kind, r.key, r.window_start), Number(r.hits)]));
          for (const { a, i } of chunk) totals[i] = got.get(windowId(a.kind, a.key, a.windowStart)) ?? a.hits;
        }
        return totals;
      });
    } catch (e) {
      throw unavailable(e, this.where, 'record the grading limits');
    }
  }

  /** Whether the database answers (for /healthz). */
  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.#db);
    } catch (e) {
      throw unavailable(e, this.where, 'answer');
    }
  }

  /** Waits for the submissions already queued, then closes. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing || this.#scheduled || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.#db.destroy();
    await this.#checkpointer?.terminate();
  }
}

/**
 * SQLite's checkpoints (copying the write-ahead log into the database file, and its fsync) on a
 * thread of their own: run by the committing connection, every thousandth page or so one commit
 * would stall every request behind it for the whole copy. A PASSIVE checkpoint never blocks the
 * writer; the log is reused once a checkpoint has caught up.
 */
function checkpointer(file: string): Worker {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(`
    const Sqlite = require(${JSON.stringify(module)});
    const db = new Sqlite(${JSON.stringify(file)}, { timeout: 5000 });
    setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, 250);
  `, { eval: true });
  worker.unref();
  // a checkpoint that cannot run leaves the log longer; the data are safe in it
  worker.on('error', () => undefined);
  return worker;
}

/** What a regrade changed in one submission: its score, and the parts whose status or score moved. */
function describeChange(row: StoredSubmission, next: Remark): RegradeChange {
  type Part = { id: string; status: string; score: number };
  const parts = (json: string): Map<string, Part> => {
    try {
      return new Map(((JSON.parse(json) as { parts?: Part[] }).parts ?? []).map((p) => [p.id, p]));
    } catch {
      return new Map();
    }
  };
  const before = parts(row.result), after = parts(next.result);
  const changedParts: RegradeChange['parts'] = [];
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(id), a = after.get(id);
    const show = (p: Part | undefined) => (p ? `${p.status} ${p.score}` : 'absent');
    if (show(b) !== show(a)) changedParts.push({ id, before: show(b), after: show(a) });
  }
  return {
    id: row.id, worksheet: row.worksheet, student: row.student, kind: row.kind, attempt: row.attempt,
    before: { score: row.score, max: row.max }, after: { score: next.score, max: next.max }, parts: changedParts,
  };
}
