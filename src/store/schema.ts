/**
 * The tables submissions are kept in (docs/formats.md, "Stored submission"), the same in SQLite
 * and PostgreSQL. Times are ISO 8601 text in UTC with milliseconds (`2026-12-07T21:43:34.120Z`),
 * which sort as they read in both; flags are integers 0/1; a submission's body and result are the
 * JSON text as received and as graded.
 */
import type { Generated } from 'kysely';

export interface SubmissionTable {
  /** order of arrival (a cursor for paging) */
  seq: Generated<number>;
  /** the public id (a UUID) */
  id: string;
  worksheet: string;
  student: string;
  /** `submission` (an attempt, for credit) or `check` (recorded only when the teacher asks) */
  kind: 'submission' | 'check';
  /** 1, 2, … per worksheet and student for submissions; null for checks */
  attempt: number | null;
  received_at: string;
  /** 1 when it arrived after the due time */
  late: number;
  /** `page` (the self-check page) or `api` */
  client: string;
  /** the submission as received (JSON) */
  body: string;
  /** its grade result (JSON), the latest marking */
  result: string;
  score: number;
  max: number;
  /** when `result` was marked: received_at, or the regrade that changed it */
  graded_at: string;
  /** the regrade that last changed the result, or null */
  regrade_id: string | null;
}

/** A result a regrade replaced, kept: nothing is overwritten without a record of the old result. */
export interface ResultHistoryTable {
  seq: Generated<number>;
  submission_id: string;
  regrade_id: string;
  result: string;
  score: number;
  max: number;
  graded_at: string;
  replaced_at: string;
}

export interface RegradeTable {
  id: string;
  started_at: string;
  finished_at: string;
  /** what the submissions were re-marked against: the bank's id and hash, or the key file */
  against: string;
  checked: number;
  changed: number;
}

/** The bank an assignment's worksheets were drawn from, per bank id and secret (its tag, not the secret). */
export interface PinnedBankTable {
  bank_id: string;
  secret_tag: string;
  hash: string;
  /** the bank's canonical JSON */
  bank: string;
  pinned_at: string;
}

/** Grading requests counted in one fixed window (server/throttle.ts). */
export interface ThrottleTable {
  /** `code` (per worksheet code), `client` (per address) or `miss` (unknown codes, per address) */
  kind: string;
  key: string;
  /** the window's start, ISO 8601 */
  window_start: string;
  hits: number;
}

export interface StoreTables {
  throttle: ThrottleTable;
  pinned_banks: PinnedBankTable;
  submissions: SubmissionTable;
  result_history: ResultHistoryTable;
  regrades: RegradeTable;
}
