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

/** The tool's signing keys (LTI): the newest unretired one signs; a retired one is still published a while. */
export interface LtiKeyTable {
  kid: string;
  /** JWK JSON */
  private_jwk: string;
  public_jwk: string;
  created_at: string;
  retired_at: string | null;
}

/** Named secrets of the LTI tool (the HMAC key of states and sessions). */
export interface LtiSettingTable {
  name: string;
  value: string;
}

/** Launch nonces seen (each is accepted once), kept until their launch could no longer be valid. */
export interface LtiNonceTable {
  nonce: string;
  expires_at: string;
}

/** A resource link launched from a platform: its bank and where its scores go. */
export interface LtiLinkTable {
  /** a hash of (issuer, client id, deployment id, resource link id) */
  id: string;
  issuer: string;
  client_id: string;
  deployment_id: string;
  resource_link_id: string;
  context_id: string | null;
  context_title: string | null;
  title: string | null;
  bank: string;
  /** the line item scores are posted to (null until the tool created one, when it may) */
  lineitem: string | null;
  lineitems: string | null;
  /** the AGS scopes the platform granted, JSON array */
  scopes: string;
  updated_at: string;
}

/** A student known from an LTI launch: gradsheet's student id and the platform's identity. */
export interface LtiUserTable {
  student: string;
  issuer: string;
  deployment_id: string;
  sub: string;
  name: string | null;
  email: string | null;
  updated_at: string;
}

/** Who launched which resource link (the teacher view's class list), with the worksheet drawn. */
export interface LtiLinkUserTable {
  link_id: string;
  student: string;
  worksheet: string;
  first_at: string;
}

/** A score on its way to a platform (the durable outbox). */
export interface LtiOutboxTable {
  seq: Generated<number>;
  id: string;
  link_id: string;
  student: string;
  /** the platform's user id (the launch's sub) */
  user_id: string;
  /** the submission whose counted score this is */
  submission_id: string;
  score_given: number;
  score_maximum: number;
  /** the score's timestamp as posted (platforms keep the newest) */
  timestamp: string;
  status: 'pending' | 'sent' | 'failed' | 'superseded';
  tries: number;
  /** not sent before this time (backoff, Retry-After) */
  next_at: string;
  /** a sender holds it until then (several servers on one database) */
  claimed_until: string | null;
  /** the sender holding it (a server process) */
  claimed_by: string | null;
  /** the platform's answer, or the network's error, from the last try */
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface StoreTables {
  lti_keys: LtiKeyTable;
  lti_settings: LtiSettingTable;
  lti_nonces: LtiNonceTable;
  lti_links: LtiLinkTable;
  lti_users: LtiUserTable;
  lti_link_users: LtiLinkUserTable;
  lti_outbox: LtiOutboxTable;
  throttle: ThrottleTable;
  pinned_banks: PinnedBankTable;
  submissions: SubmissionTable;
  result_history: ResultHistoryTable;
  regrades: RegradeTable;
}
