/**
 * One error base class for everything gradsheet reports to a person: a stable `code`, a message
 * that is one plain sentence (or one per problem, for validation), and the `cause` kept for debugging.
 * The CLI prints `message` and never a stack and exits with EXIT_CODE's code; the server maps
 * `code` to an HTTP status through HTTP_STATUS: one table each.
 */
import { syntaxErrorOffset } from './json-syntax.js';

export type ErrorCode =
  | 'invalid-input' // data that does not match a schema (an instance, a bank, a submission)
  | 'bad-json' // text that is not JSON
  | 'usage' // wrong command-line arguments
  | 'not-found' // a file, bank or worksheet code that does not exist
  | 'numeric' // a computation that overflowed or produced NaN
  | 'browser' // Chromium missing or failing
  | 'internal'
  | 'unauthenticated' // a teacher route asked for without the teacher token
  | 'forbidden' // a wrong token, or teacher routes closed (a code issued to another student is not-found, as an unknown code)
  | 'wrong-method' // an HTTP method a route does not answer
  | 'too-large' // a body or batch over its limit
  | 'unsupported-type' // a body that is not application/json
  | 'refused' // a submission the assignment's policy does not take (no attempts left, past the due time)
  | 'unavailable' // the database cannot be reached or written (a full disk): nothing was recorded
  | 'timeout' // a request body that did not arrive in time
  | 'too-many'; // over a grading limit (per worksheet code, per client, unknown codes): try again later

/**
 * The CLI's one table from codes to exit codes: 70 (EX_SOFTWARE) for gradsheet's own fault, 2 for
 * everything the user can fix (input, arguments, a missing file, the browser).
 */
export const EXIT_CODE: Readonly<Record<ErrorCode, number>> = {
  'invalid-input': 2,
  'bad-json': 2,
  usage: 2,
  'not-found': 2,
  numeric: 2,
  browser: 2,
  internal: 70,
  unauthenticated: 2,
  forbidden: 2,
  'wrong-method': 2,
  'too-large': 2,
  'unsupported-type': 2,
  refused: 2,
  unavailable: 69, // EX_UNAVAILABLE
  timeout: 2,
  'too-many': 75, // EX_TEMPFAIL
};

/** The server's one table from codes to HTTP statuses. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  'invalid-input': 400,
  'bad-json': 400,
  usage: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'wrong-method': 405,
  'too-large': 413,
  'unsupported-type': 415,
  refused: 409,
  unavailable: 503,
  timeout: 408,
  'too-many': 429,
  numeric: 500,
  browser: 500,
  internal: 500,
};

/** One problem found in input data, at a JSON path such as `$[2].U[0][1]`. */
export interface InputIssue {
  path: string;
  message: string;
}

export class GradsheetError extends Error {
  override readonly name = 'GradsheetError';
  readonly code: ErrorCode;
  readonly issues: readonly InputIssue[];
  /** data a reader may want beside the sentence (the server adds these fields to its problem+json) */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; issues?: readonly InputIssue[]; details?: Readonly<Record<string, unknown>> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }
}

export function isGradsheetError(e: unknown): e is GradsheetError {
  return e instanceof GradsheetError;
}

/** Formats a path of keys and indices the way the messages name places: `$.U[0][1]`. */
export function jsonPath(path: readonly PropertyKey[], root = '$'): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Parses JSON text, turning a syntax error into one sentence naming the file, line and column. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    // V8's own position comes last; an excerpt of the text it quotes may say "position" too
    const pos = /(?:in|after) JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(detail);
    const offset = pos ? Number(pos[1]) : syntaxErrorOffset(text);
    let where = '';
    if (offset >= 0 && offset < text.length) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    } else if (text.trim() === '') {
      return failEmpty(source);
    }
    const reason = detail.replace(/^JSON\.parse: /, '').replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '').replace(/ (?:in JSON )?at position \d+(?: \(line \d+ column \d+\))?$/, '');
    throw new GradsheetError('bad-json', `${source} is not valid JSON${where}: ${lowerFirst(reason)}.`, { cause: e });
  }
}

function failEmpty(source: string): never {
  throw new GradsheetError('bad-json', `${source} is empty; expected JSON.`);
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
