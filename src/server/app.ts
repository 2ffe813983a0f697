/**
 * `gradsheet serve`: the students' self-check page and the grading API for LMS integrations, on
 * hono (with its Node adapter). The routes are declared below, in one place; the work is the
 * grader's. Bodies are checked with the published zod schema; every failure is a GradsheetError,
 * mapped to its status by HTTP_STATUS and answered by one handler as application/problem+json
 * with a plain sentence; no stack ever.
 *
 *   GET  /                              the self-check page (assets served locally, no CDN)
 *   GET  /assets/{app.js,app.css,katex.css}
 *   GET  /healthz
 *   GET  /api/v1/worksheets/{code}      a variant's questions, without answers
 *   GET  /api/v1/keys/{code}            the variant with its answers (teacher token)
 *   POST /api/v1/grade                  a check: one submission → its result (recorded only if the
 *                                       assignment records checks); an array (≤ 1000) → results (teacher token)
 *   POST /api/v1/submissions            a submission for credit: graded, recorded, 201 once committed
 *   GET  /api/v1/worksheets/{code}/submissions?student=…   the student's own attempts
 *   GET  /api/v1/submissions            stored submissions, filtered and paged, JSON or JSONL (teacher token)
 *   GET  /api/v1/submissions/{id}       one, with the results regrades replaced (teacher token)
 *   GET  /api/v1/gradebook.csv          the counted attempt per student (teacher token)
 *   POST /api/v1/regrade                re-marks every stored submission against the bank or key as it
 *                                       is now on disk, and reports what changed (teacher token)
 *   POST /api/v1/formula-preview        a formula part's input read back typeset, or why it cannot be read
 *   GET  /api/v1/session, POST /api/v1/submit   an LTI launch's session (lti/tool.ts, docs/lti.md)
 *   GET  /api/v1/schema/{submission|result}
 *
 * Nothing a student submits is ever logged.
 */
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context, type MiddlewareHandler, type Next } from 'hono';
import { GradsheetError, HTTP_STATUS, isGradsheetError, parseJsonText, type ErrorCode } from '../errors.js';
import { parseWith } from '../validation.js';
import { withoutMistakes, type Grader, type GradeResult } from '../grade/grade.js';
import { clip } from '../text.js';
import { escapeHtml } from '../html.js';
import { loadFormulas, readFormula, type FormulaSymbol } from '../contract/formula.js';
import { LruCache } from '../lru.js';
import { BodyBudget, clientIp, guard, hashedName, prepareAsset, sendAsset, type Asset, type AuditLog } from './hardening.js';
import { DEFAULT_POLICY, givesHints, isLate, namesMistakes, revealsAnswers, type AssignmentPolicy } from '../problems/assignment.js';
import { gradebookCsv, storedJson } from '../store/export.js';
import type { Store, StoredSubmission } from '../store/store.js';
import type { Throttle } from './throttle.js';
import type { LtiSession, LtiTool } from './lti/tool.js';
import type { Passback } from '../store/lti.js';
import { jsonSchema, submissionSchema } from '../grade/schemas.js';
import { acceptance, sheetRule } from '../contract/tolerance.js';
import { numericTolerances } from '../problems/key.js';
import { normaliseCode } from '../problems/variants.js';
import { katexCss } from '../render/browser.js';
import { renderRichForPage, renderTexForPage } from '../render/math.js';
import { titleHtml, titleText } from '../render/typeset.js';
import { problemType } from '../problems/registry.js';
import type { KeyVariant } from '../problems/key.js';
import { statement, type SheetStyle } from '../problems/types.js';

export interface AppOptions {
  grader: Grader;
  /** where submissions are recorded; without one the submission routes answer 503 */
  store?: Store;
  /** the assignment's policy (attempts, due time, feedback, answers shown) */
  policy?: AssignmentPolicy;
  /** the grader as the bank or key is now on disk, for a regrade; `against` names it */
  reload?: () => Promise<{ grader: Grader; against: string }>;
  /** the clock (tests set it) */
  now?: () => Date;
  /** grading limits (per code, per client, unknown codes); without one, grading is not limited */
  throttle?: Throttle;
  /** the teacher's bearer token; without one, teacher routes answer 403 */
  token?: string;
  /** static assets: the page's script and style */
  assets: { appJs: string; appCss: string; pageHtml: string };
  /** bounds and transport rules (hardening.ts); each has a default */
  bounds?: Bounds;
  /** the LTI 1.3 tool (lti/tool.ts): its routes, and session tokens on the session routes */
  lti?: LtiTool;
}

/** What grading a worksheet needs: the grader, the same variants with the answers stated, and the assignment's policy. */
interface Course {
  grader: Grader;
  revealing: Grader;
  policy: AssignmentPolicy;
}

export interface Bounds {
  /** how long a request body may take to arrive once its headers have (default 10 s); then 408 and the connection closed */
  bodyTimeoutMs?: number;
  /** the bytes of request bodies held at once across connections (default 64 MiB); beyond it 503 */
  bodyBudget?: number;
  /** Host names answered (any port); others 421. Undefined: any */
  allowedHosts?: readonly string[];
  /** the page's CSP frame-ancestors (default 'none') */
  frameAncestors?: string;
  /** trust X-Forwarded-For for the client's address (audit log) */
  behindProxy?: boolean;
  /** one line per teacher route used and per failed token */
  audit?: AuditLog;
  /** the estimated bytes of worksheet views kept (default 16 MiB, least recently used evicted) */
  worksheetCacheBytes?: number;
}

export const BODY_TIMEOUT_MS = 10_000;
export const BODY_BUDGET = 64 << 20;
/**
 * One submission: the largest shipped bank's (midterm, 32 parts) filled with 45-character number
 * strings and pretty-printed is 2.8 KB; 64 KiB is over 20× that, room for hand-typed answers and
 * the schema's own failures to be reported, and bounds what one student's request can hold.
 */
export const MAX_BODY = 64 << 10; // one submission
/** Longest worksheet code and student id a single submission may carry (a code is 9 characters). */
export const MAX_CODE_LENGTH = 64;
export const MAX_STUDENT_LENGTH = 256;
export const MAX_BATCH_BODY = 32 << 20; // up to 1000 submissions
export const MAX_BATCH = 1000;

/** The page's Content-Security-Policy; `frameAncestors` says who may embed it (an LMS), 'none' by default. */
export const csp = (frameAncestors = "'none'"): string => `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src data:; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors}`;
/** the headers of every answer, beside its content type */
const BASE = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
const JSON_HEADERS = { ...BASE, 'content-type': 'application/json; charset=utf-8' };
type Env = { Bindings: HttpBindings };

/** Why the grader could not grade a submission, as the error code the server answers with. */
const REASON_CODE: Record<NonNullable<GradeResult['reason']>, ErrorCode> = {
  'not-an-object': 'invalid-input', 'no-code': 'invalid-input', 'no-student': 'invalid-input', 'no-answers': 'invalid-input',
  'unknown-code': 'not-found', 'wrong-student': 'not-found',
  // bulk grading's own reasons (the server parses bodies itself, so it never meets them)
  'not-json': 'bad-json', unreadable: 'invalid-input', 'internal-error': 'internal',
};

/**
 * The one answer for a code that is unknown and for a code not issued to the student named: the
 * same status and sentence, so neither tells whether the code exists (no oracle for valid codes).
 */
function noSuchWorksheet(code: string, student: string | null): GradsheetError {
  return new GradsheetError('not-found', student === null ? `There is no worksheet with the code ${code.slice(0, 20)}.` : `There is no worksheet with this code for student "${student.slice(0, 60)}".`);
}

/**
 * The grading limits of one request (throttle.ts), keyed by its client's address; none for the
 * teacher (a valid token). `open` before anything is read, `graded` once a code was graded,
 * `missed` when a code was not found (or not issued to the student named).
 */
function gradingLimits(throttle: Throttle | undefined, client: string, teacher: boolean) {
  const off = !throttle || teacher;
  // each step synchronous unless a window must first be read from the database
  const then = (first: void | Promise<void>, next: () => void | Promise<void>): void | Promise<void> => (first instanceof Promise ? first.then(next) : next());
  return {
    open(at: Date, counted: boolean): void | Promise<void> {
      if (off) return;
      return then(throttle.check('miss', client, at), () => (counted ? then(throttle.check('client', client, at), () => throttle.count('client', client, at)) : undefined));
    },
    beforeGrading(code: string, at: Date): void | Promise<void> {
      if (!off) return throttle.check('code', code, at);
    },
    graded(code: string, at: Date): void | Promise<void> {
      if (!off) return throttle.count('code', code, at);
    },
    missed(at: Date): void | Promise<void> {
      if (!off) return throttle.count('miss', client, at);
    },
  };
}

/** The one way an error is answered: problem+json with the code's status and a plain sentence. */
function problem(c: Context, e: GradsheetError): Response {
  const status = HTTP_STATUS[e.code];
  if (status === 401) c.header('www-authenticate', e.details.error === 'invalid_token' ? 'Bearer realm="gradsheet", error="invalid_token"' : 'Bearer realm="gradsheet"');
  if (status === 429) c.header('retry-after', String(e.details.retryAfter ?? 60));
  // the rest of a body over the limit (or too slow) is not read: the connection ends with this answer
  if (status === 413 || status === 408) c.header('connection', 'close');
  const body = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail: e.message, ...(e.issues.length ? { errors: e.issues } : {}), ...e.details };
  return c.body(JSON.stringify(body), status as 400, { ...BASE, 'content-type': 'application/problem+json; charset=utf-8' });
}

/** Whether the request carries the teacher token; throws 403 when teacher routes are closed, 401 when none is sent or it is wrong (RFC 6750's invalid_token). */
function checkTeacher(authorization: string | undefined, token: string | undefined): true {
  if (!token) throw new GradsheetError('forbidden', 'This server was started without a teacher token (--token-file or GRADSHEET_TOKEN), so teacher routes are closed.');
  if (!authorization) throw new GradsheetError('unauthenticated', 'This route needs the teacher token: send "Authorization: Bearer <token>".');
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? ''), expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new GradsheetError('unauthenticated', 'The token is not the teacher token.', { details: { error: 'invalid_token' } });
  return true;
}

/** A title or choice as the page shows it: KaTeX with MathML for assistive technology. */
const pageTitleHtml = (title: string): string => titleHtml(title, (tex) => renderTexForPage(tex));

/** The questions of a variant as the page shows them: KaTeX HTML, shapes and choices, no answers. */
export function worksheetView(variant: KeyVariant, style: SheetStyle): unknown {
  // the sheet's rule is what most numeric parts accept; a part that differs says so (as on paper)
  const rule = sheetRule(numericTolerances(variant));
  return {
    code: variant.code,
    acceptance: rule ? `Give answers to ${style.digits} significant figures; an answer ${rule} is accepted, unless a part says otherwise.` : '',
    questions: variant.questions.map((q) => {
      const built = problemType(q.type)?.build(q.instance, q.params, style);
      return {
        id: q.id,
        title: q.title,
        titleHtml: pageTitleHtml(q.title),
        introHtml: built ? renderRichForPage(statement(built)) : '',
        givenHtml: built ? built.given().map((line) => renderTexForPage(line, true)) : [],
        parts: q.parts.map((p, i) => ({
          id: p.id,
          kind: p.kind,
          shape: p.shape,
          points: p.points,
          promptHtml: renderRichForPage(built?.parts[i]?.prompt ?? p.prompt),
          // the prompt as plain Unicode text, for the answer boxes' accessible names
          promptText: titleText(built?.parts[i]?.prompt ?? p.prompt),
          ...(p.kind !== 'choice' && p.tolerance && acceptance(p.tolerance) !== rule ? { accept: `accepted: ${acceptance(p.tolerance)}` } : {}),
          // choices are the values submitted; choicesHtml, in the same order, what the page shows
          ...(p.choices ? { choices: p.choices, choicesHtml: p.choices.map(pageTitleHtml) } : {}),
          // a formula part: the symbols it may use (names to type, TeX to show)
          ...(p.kind === 'expression' ? { symbols: (p.symbols ?? []).map((s) => ({ name: s.name, tex: s.tex })), symbolsHtml: renderTexForPage((p.symbols ?? []).map((s) => s.tex).join(',\\ ')) } : {}),
        })),
      };
    }),
  };
}

/**
 * A stored submission marked again by `grader` (a regrade); null when its worksheet is not one the
 * grader issues (another bank's, in a store an LTI tool shares between banks, or a code missing
 * from the key): it is left as it was. A body that no longer grades keeps its reason in the result.
 */
export function remark(grader: Grader, s: StoredSubmission): { result: string; score: number; max: number } | null {
  if ('error' in grader.variant(s.worksheet, grader.bindsStudents ? s.student : null)) return null;
  const result = grader.grade(JSON.parse(s.body));
  return { result: JSON.stringify(result), score: result.score, max: result.max };
}

/** A bearer token shaped as a JWT: what an LTI session is (a teacher token is any other text). */
const SESSION_SHAPE = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/;

/** Crockford base 32, as codes are written (no I, L, O, U) */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** Query parameters a teacher's listing takes, checked: one sentence for a bad one. */
function listQuery(q: (name: string) => string | undefined): { worksheet?: string; student?: string; since?: string; after?: number; kind?: 'submission' | 'check'; limit: number; format: 'json' | 'jsonl' } {
  const out: ReturnType<typeof listQuery> = { limit: 100, format: 'json' };
  const worksheet = q('worksheet'), student = q('student'), since = q('since'), after = q('after'), kind = q('kind'), limit = q('limit'), format = q('format');
  if (worksheet !== undefined) out.worksheet = normaliseCode(worksheet);
  if (student !== undefined) out.student = student;
  if (since !== undefined) {
    const t = Date.parse(since);
    if (!/^\d{4}-\d\d-\d\d/.test(since) || Number.isNaN(t)) throw new GradsheetError('invalid-input', `since should be a time in ISO 8601 (2026-12-07 or 2026-12-07T09:00:00Z), not "${since.slice(0, 40)}".`);
    out.since = new Date(t).toISOString();
  }
  if (after !== undefined) {
    if (!/^\d{1,15}$/.test(after)) throw new GradsheetError('invalid-input', `after should be the seq of the last submission of the previous page (a whole number), not "${after.slice(0, 40)}".`);
    out.after = Number(after);
  }
  if (kind !== undefined) {
    if (kind !== 'submission' && kind !== 'check') throw new GradsheetError('invalid-input', `kind should be submission or check, not "${kind.slice(0, 40)}".`);
    out.kind = kind;
  }
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new GradsheetError('invalid-input', `limit should be a whole number from 1 to 1000, not "${limit.slice(0, 40)}".`);
    out.limit = Number(limit);
  }
  if (format !== undefined) {
    if (format !== 'json' && format !== 'jsonl') throw new GradsheetError('invalid-input', `format should be json or jsonl, not "${format.slice(0, 40)}".`);
    out.format = format;
  }
  return out;
}

export function createHandler(o: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const bounds = o.bounds ?? {};
  const CSP = csp(bounds.frameAncestors);
  const assets = pageAssets(o.assets);
  const worksheetCache = new LruCache<string, string>(bounds.worksheetCacheBytes ?? 16 << 20, (body) => 2 * body.length);
  const budget = new BodyBudget(bounds.bodyBudget ?? BODY_BUDGET);
  const policy = o.policy ?? DEFAULT_POLICY;
  const now = o.now ?? (() => new Date());
  // the grader, and the same variants graded with the right answers stated (for the policy's
  // revealAnswers); both replaced after a regrade
  // hints (the sign hint) as the policy says
  const course = (g: Grader, p: AssignmentPolicy): Course => {
    const graded = g.hints === givesHints(p) ? g : g.withOptions({ hints: givesHints(p) });
    return { grader: graded, revealing: graded.reveals ? graded : graded.withOptions({ reveal: true }), policy: p };
  };
  let main = course(o.grader, policy);
  // the grader of the served bank or key (the routes without a session)
  let grader = main.grader;
  // an LTI session's bank (the served one is `main`)
  const ltiCourses = new Map<string, Course>();
  const courseOfBank = (bank: string): Course => {
    const b = o.lti?.banks.get(bank);
    if (!b) throw new GradsheetError('not-found', `This session's bank "${bank.slice(0, 40)}" is not offered by this server any more.`);
    if (b.grader === o.grader) return main;
    let found = ltiCourses.get(bank);
    if (!found) ltiCourses.set(bank, (found = course(b.grader, b.policy)));
    return found;
  };
  const needStore = (): Store => {
    if (!o.store) throw new GradsheetError('unavailable', 'This server keeps no submissions (it was started without a database).');
    return o.store;
  };
  /** A result as the student may see it now: the mistakes named or not, the answers stated or not. */
  const shown = (k: Course, body: unknown, result: GradeResult, at: Date, used: number): GradeResult => {
    const full = !k.grader.reveals && revealsAnswers(k.policy, at, used) ? k.revealing.grade(body) : result;
    return namesMistakes(k.policy, at) ? full : withoutMistakes(full);
  };
  const findVariant = (raw: string): KeyVariant => {
    const code = normaliseCode(raw);
    if (!CODE_SHAPE.test(code)) throw new GradsheetError('not-found', `There is no worksheet with the code "${raw.slice(0, 20)}".`);
    const found = grader.variant(code, null);
    if ('error' in found) throw noSuchWorksheet(code, null);
    return found.variant;
  };
  /**
   * The variant a worksheet request asks for. Where codes are issued to students, the student is
   * needed too, and a wrong one answers as an unknown code does: the route confirms no code to
   * someone who does not hold it with its student id (the teacher's token opens any).
   */
  const openVariant = (c: Context<Env>): KeyVariant => {
    const raw = c.req.param('code')!;
    if (!grader.bindsStudents || carriesTeacherToken(c)) return findVariant(raw);
    const student = c.req.query('student');
    if (!student) throw new GradsheetError('invalid-input', 'Say whose worksheet to open: ?student=<your student id> (each code was issued to one student).');
    notLaunched(c, student);
    return studentVariant(raw, student);
  };
  /** The variant of a code issued to `student`; a wrong student and an unknown or malformed code are the same 404. */
  const studentVariant = (raw: string, student: string): KeyVariant => {
    const code = normaliseCode(raw);
    const found = CODE_SHAPE.test(code) ? grader.variant(code, student) : { error: '' };
    if ('error' in found) throw noSuchWorksheet(code, student);
    return found.variant;
  };
  // request headers as Node parsed them (cheaper than a fetch Headers object, built only if asked for)
  const header = (c: Context<Env>, name: string): string | undefined => c.env.incoming.headers[name] as string | undefined;
  // each request's teacher check, made (and audited) once however many of its steps ask
  const teacherChecks = new WeakMap<IncomingMessage, { error?: unknown }>();
  /** Throws unless the request carries the teacher token (403 closed, 401 none or wrong). */
  const isTeacher = (c: Context<Env>): true => {
    let seen = teacherChecks.get(c.env.incoming);
    if (!seen) {
      try {
        audited(c, bounds, () => checkTeacher(header(c, 'authorization'), o.token));
        seen = {};
      } catch (e) {
        seen = { error: e };
      }
      teacherChecks.set(c.env.incoming, seen);
    }
    if (seen.error !== undefined) throw seen.error;
    return true;
  };
  /** Whether the request carries the teacher token (no token, a wrong one or closed teacher routes: false). */
  const carriesTeacherToken = (c: Context<Env>): boolean => {
    const authorization = header(c, 'authorization');
    if (authorization === undefined) return false;
    // an LTI session (a JWT) is a student's, not a failed teacher token: not checked, not audited
    if (o.lti && SESSION_SHAPE.test(authorization) && authorization.replace(/^Bearer\s+/i, '') !== o.token) return false;
    try {
      return isTeacher(c);
    } catch {
      return false;
    }
  };
  /**
   * The body as text, read from Node's own stream (hono's Request wrapper would build a web stream
   * first: ~10% of a grade request). The larger limit only for a caller whose token checks out; a
   * declared length over the limit is refused unread, a streamed body is counted as it comes.
   */
  const bodyText = (c: Context<Env>): Promise<string> => {
    const limit = carriesTeacherToken(c) ? MAX_BATCH_BODY : MAX_BODY, declared = Number(header(c, 'content-length') ?? NaN);
    if (declared > limit) throw new GradsheetError('too-large', `The body is ${declared} bytes; the limit is ${limit} bytes.`);
    return readBody(c, limit, budget, bounds.bodyTimeoutMs ?? BODY_TIMEOUT_MS);
  };
  const jsonOnly: MiddlewareHandler<Env> = (c, next) => {
    const type = (header(c, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new GradsheetError('unsupported-type', `Send the submission as application/json, not ${type || 'no content type'}.`);
    return next();
  };
  /** One submission checked against the published schema and graded; one that cannot be graded is an error. */
  const gradeOne = (k: Course, body: unknown): { result: GradeResult; at: Date } => {
    // the parsed body itself is graded: zod's copy of the answers is an object V8 reads ~1.5×
    // slower, and the schema transforms nothing
    precheck(k.grader, body);
    parseWith(submissionSchema, body, 'submission');
    const at = now();
    const result = k.grader.grade(body);
    if (result.reason === 'unknown-code' || result.reason === 'wrong-student') throw noSuchWorksheet(result.worksheet!, result.student);
    if (result.reason) throw new GradsheetError(REASON_CODE[result.reason], result.errors[result.errors.length - 1]!, { details: { result } });
    return { result, at };
  };
  /** The request's grading limits: by its client's address (clientIp), none for the teacher. */
  const limitsOf = (c: Context<Env>, session?: LtiSession) => {
    const teacher = o.throttle !== undefined && !session && carriesTeacherToken(c);
    // a launched student is limited as who they are (a class behind one address is many students);
    // behind a trusted proxy (--behind-proxy) the client is X-Forwarded-For's first address, not the proxy's
    return gradingLimits(o.throttle, session ? `lti:${session.stu}` : clientIp(c.env.incoming, bounds.behindProxy ?? false) || 'unknown', teacher);
  };
  /** One submission graded within the limits: 429 over them; a code not found counts against the client. */
  const gradeLimited = async (k: Course, limits: ReturnType<typeof limitsOf>, body: unknown): Promise<{ result: GradeResult; at: Date }> => {
    const worksheet = (body as { worksheet?: unknown } | null)?.worksheet;
    const at = now();
    const before = typeof worksheet === 'string' ? limits.beforeGrading(normaliseCode(worksheet), at) : undefined;
    if (before) await before;
    let graded;
    try {
      graded = gradeOne(k, body);
    } catch (e) {
      if (isGradsheetError(e) && e.code === 'not-found') await limits.missed(at);
      throw e;
    }
    const counted = limits.graded(graded.result.worksheet!, at);
    if (counted) await counted;
    return graded;
  };
  /** A route that looks a code up: a client over its unknown codes is refused, and a 404 counts. */
  const lookingUp = (handler: (c: Context<Env>) => Response | Promise<Response>) => async (c: Context<Env>): Promise<Response> => {
    const limits = limitsOf(c);
    await limits.open(now(), false);
    try {
      return await handler(c);
    } catch (e) {
      if (isGradsheetError(e) && e.code === 'not-found') await limits.missed(now());
      throw e;
    }
  };
  // the body is kept as compact JSON (one line: the JSON Lines export splices it in as it is)
  const newRecord = (c: Context<Env>, k: Course, kind: 'submission' | 'check', body: unknown, result: GradeResult, at: Date) => ({
    worksheet: result.worksheet!, student: result.student!, kind, receivedAt: at.toISOString(), late: isLate(k.policy, at),
    client: header(c, 'x-gradsheet-client') === 'page' ? 'page' as const : 'api' as const,
    body: JSON.stringify(body), result: JSON.stringify(result), score: result.score, max: result.max,
  });
  /**
   * For the page (it says so with x-gradsheet-client: page), each part's feedback also typeset
   * (`feedbackHtml`: the plain math in it, ∂s_j/∂s_{j−1} or W_hf, as KaTeX with MathML; the rest
   * escaped text), as its prompts are. Integrators get the FORMATS result as it is.
   */
  const forClient = (c: Context<Env>, result: GradeResult): GradeResult =>
    header(c, 'x-gradsheet-client') === 'page' ? { ...result, parts: result.parts.map((p) => ({ ...p, feedbackHtml: pageTitleHtml(p.feedback) })) } : result;
  /** What the page shows of the policy. */
  const assignmentView = (k: Course = main) => ({ maxAttempts: k.policy.maxAttempts ?? null, counts: k.policy.counts, due: k.policy.due ?? null, late: k.policy.late, recordsChecks: k.policy.recordChecks, stores: o.store !== undefined });
  // each request's LTI session (a bearer token the launch gave the page), read once
  const sessions = new WeakMap<IncomingMessage, Promise<LtiSession | null>>();
  /** The request's LTI session, or null when it carries none (or the teacher token). */
  const sessionOf = (c: Context<Env>): Promise<LtiSession | null> => {
    let found = sessions.get(c.env.incoming);
    if (!found) {
      const bearer = SESSION_SHAPE.exec(header(c, 'authorization') ?? '')?.[1];
      found = o.lti && bearer ? o.lti.session(bearer) : Promise.resolve(null);
      sessions.set(c.env.incoming, found);
    }
    return found;
  };
  /**
   * A launched student's worksheet is theirs through their session only: a route without one (or
   * the teacher's token) may not open it, check it or submit for it, though its code and id are
   * printed on their page.
   */
  const notLaunched = (c: Context<Env>, student: unknown): void => {
    if (o.lti && typeof student === 'string' && student.startsWith('lti-') && !carriesTeacherToken(c)) {
      throw new GradsheetError('forbidden', 'This worksheet belongs to a student launched from a course: open it from the course, whose page carries the session.');
    }
  };
  /** The session a session route needs: 401 without one. */
  const needSession = async (c: Context<Env>): Promise<LtiSession> => {
    if (!o.lti) throw new GradsheetError('not-found', 'This server was started without --lti-config: it has no LTI sessions.');
    const s = await sessionOf(c);
    if (!s) throw new GradsheetError('unauthenticated', 'This route needs the session of an LTI launch: send "Authorization: Bearer <the page\'s gradsheet-session>" (sessions last 8 hours; open the assignment again from the course).', { details: { error: 'invalid_token' } });
    return s;
  };
  /**
   * A submission for credit: graded within the limits, recorded (with its score queued for the
   * platform, for an LTI launch), 201 once committed; 409 when the policy takes no more.
   */
  const submit = async (c: Context<Env>, k: Course, body: unknown, session?: LtiSession): Promise<Response> => {
    const at = now();
    const p = k.policy;
    const late = isLate(p, at);
    if (late && p.late === 'refuse') throw new GradsheetError('refused', `This assignment was due ${p.due} and takes no late submissions; nothing was recorded.`);
    const limits = limitsOf(c, session);
    const opened = limits.open(at, true);
    if (opened) await opened;
    const { result } = await gradeLimited(k, limits, body);
    if (session && session.role !== 'learner') throw new GradsheetError('forbidden', 'An instructor\'s session submits nothing for credit: launch the assignment as a student to try it.');
    const passback: Passback | undefined = session ? o.lti!.passbackFor(session) : undefined;
    const recorded = await needStore().record({ ...newRecord(c, k, 'submission', body, result, at), ...(passback ? { passback } : {}) }, p.maxAttempts ?? null);
    if ('refused' in recorded) {
      throw new GradsheetError('refused', `You have used all ${p.maxAttempts} attempt${p.maxAttempts === 1 ? '' : 's'} for worksheet ${result.worksheet}; nothing was recorded.`, { details: { attempts: recorded.used, maxAttempts: p.maxAttempts } });
    }
    const queued = 'passback' in recorded ? recorded.passback : undefined;
    if (queued?.queued) o.lti!.queued();
    const attempt = recorded.attempt!;
    const answer = JSON.stringify({
      id: recorded.id, attempt, maxAttempts: p.maxAttempts ?? null, attemptsLeft: p.maxAttempts === undefined ? null : p.maxAttempts - attempt,
      late, receivedAt: at.toISOString(), counts: p.counts, result: forClient(c, shown(k, body, result, at, attempt)),
      // queued: on its way to the course; unchanged: the counted score is the one sent already; none: no link of this student takes scores
      ...(session ? { passback: queued?.queued ? 'queued' : queued?.links ? 'unchanged' : 'none' } : {}),
    });
    c.env.outgoing.writeHead(201, { ...JSON_HEADERS, location: `/api/v1/submissions/${recorded.id}`, 'content-length': Buffer.byteLength(answer) }).end(answer);
    return RESPONSE_ALREADY_SENT;
  };
  /**
   * A JSON answer (status 200), written straight to Node's response: building a fetch Response and
   * its Headers for hono to copy back costs ~5% of a grade request. Hono's own escape hatch.
   */
  const json = (c: Context<Env>, body: string): Response => {
    c.env.outgoing.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) }).end(body);
    return RESPONSE_ALREADY_SENT;
  };
  /** An asset sent (compressed, with its ETag) straight to Node's response; `immutable` under its hashed name. */
  const asset = (a: Asset, immutable: boolean, extra: Record<string, string> = {}) => (c: Context<Env>) => {
    sendAsset(c.env.incoming, c.env.outgoing, a, immutable, extra);
    return RESPONSE_ALREADY_SENT;
  };
  // the page itself is never cached: it names the assets' current hashes
  const page = asset(assets.page, false, { 'content-security-policy': CSP, 'cache-control': 'no-store' });

  const app = new Hono<Env>();

  // the routes: [method, path, ...handlers]; HEAD is answered wherever GET is
  const routes: [string, string, ...((c: Context<Env>, next: Next) => Response | Promise<Response | void>)[]][] = [
    ['GET', '/', page],
    ['GET', '/index.html', page],
    // each asset under its plain name (revalidated) and its hashed one (immutable), which the page links
    ...Object.entries(assets.files).flatMap(([name, a]): [string, string, (c: Context<Env>) => Response][] => [
      ['GET', `/assets/${name}`, asset(a, false)],
      ['GET', `/assets/${hashedName(name, a)}`, asset(a, true)],
    ]),
    ['GET', '/healthz', async (c) => {
      await o.store?.ping();
      return json(c, JSON.stringify({ status: 'ok', database: o.store ? o.store.dialect : null }));
    }],
    ['GET', '/api/v1/worksheets/:code', lookingUp((c) => {
      const variant = openVariant(c);
      let body = worksheetCache.get(variant.code);
      if (!body) {
        body = JSON.stringify({ ...(worksheetView(variant, grader.style) as object), assignment: assignmentView() });
        worksheetCache.set(variant.code, body);
      }
      return json(c, body);
    })],
    ['GET', '/api/v1/keys/:code', (c) => isTeacher(c) && json(c, JSON.stringify(findVariant(c.req.param('code')!)))],
    ['POST', '/api/v1/formula-preview', jsonOnly, async (c) => {
      // what the page shows under a formula box: the formula read back typeset, or why it cannot be read
      const body = parseJsonText(await bodyText(c), 'The body') as { formula?: unknown; symbols?: unknown } | null;
      const symbols = Array.isArray(body?.symbols) ? body.symbols : null;
      if (typeof body?.formula !== 'string' || !symbols || symbols.length > 64 || !symbols.every((s) => typeof s?.name === 'string' && typeof s?.tex === 'string' && s.name.length <= 40 && s.tex.length <= 200)) {
        throw new GradsheetError('invalid-input', 'The body should be {"formula": "<text>", "symbols": [{"name", "tex"}, …]} (at most 64 symbols).');
      }
      await loadFormulas();
      const read = readFormula(body.formula, symbols as FormulaSymbol[]);
      return json(c, JSON.stringify(read.ok ? { ok: true, text: read.text, html: renderTexForPage(read.tex) } : { ok: false, detail: `The formula ${read.why}.` }));
    }],
    ['GET', '/api/v1/schema/:name', (c) => {
      const name = c.req.param('name')!;
      if (name !== 'submission' && name !== 'result') throw new GradsheetError('not-found', `There is no schema "${name.slice(0, 20)}"; there are submission and result.`);
      return json(c, JSON.stringify(jsonSchema(name)));
    }],
    ['POST', '/api/v1/grade', jsonOnly, async (c) => {
      // an LTI session checks its own worksheet, in its own bank
      const session = await sessionOf(c);
      const k = session ? courseOfBank(session.bank) : main;
      const limits = limitsOf(c, session ?? undefined);
      const opened = limits.open(now(), true);
      if (opened) await opened;
      let body = parseJsonText(await bodyText(c), 'The body');
      if (Array.isArray(body)) {
        isTeacher(c);
        if (body.length > MAX_BATCH) throw new GradsheetError('too-large', `A batch holds at most ${MAX_BATCH} submissions, not ${body.length}.`);
        return json(c, JSON.stringify(body.map((s) => grader.grade(s))));
      }
      if (session) body = sessionSubmission(session, body);
      else notLaunched(c, (body as { student?: unknown } | null)?.student);
      const { result, at } = await gradeLimited(k, limits, body);
      if (!k.policy.recordChecks) return json(c, JSON.stringify(forClient(c, shown(k, body, result, at, 0))));
      // the teacher records checks too: a check is not an attempt, and uses none
      const recorded = await needStore().record(newRecord(c, k, 'check', body, result, at), null);
      if ('refused' in recorded) throw new GradsheetError('internal', 'A check was refused as if it were an attempt.');
      return json(c, JSON.stringify(forClient(c, shown(k, body, result, at, 0))));
    }],
    ['POST', '/api/v1/submissions', jsonOnly, async (c) => {
      const session = await sessionOf(c);
      let body = parseJsonText(await bodyText(c), 'The body');
      if (Array.isArray(body)) throw new GradsheetError('invalid-input', 'Submit one worksheet at a time: the body should be one submission, not an array (bulk grading is POST /api/v1/grade).');
      if (session) body = sessionSubmission(session, body);
      else notLaunched(c, (body as { student?: unknown } | null)?.student);
      return submit(c, session ? courseOfBank(session.bank) : main, body, session ?? undefined);
    }],
    ['GET', '/api/v1/session', async (c) => {
      const s = await needSession(c);
      const k = courseOfBank(s.bank);
      const bank = o.lti!.banks.get(s.bank)!;
      const attempts = s.role === 'learner' ? await needStore().attempts(s.ws, s.stu) : [];
      const found = k.grader.variant(s.ws, s.stu);
      if ('error' in found) throw new GradsheetError('not-found', 'This session\'s worksheet is not one its bank issues any more.');
      const p = k.policy;
      return json(c, JSON.stringify({
        worksheet: s.ws, student: s.stu, bank: s.bank, title: bank.title, role: s.role, points: bank.points,
        attemptsUsed: attempts.length, maxAttempts: p.maxAttempts ?? null, attemptsLeft: p.maxAttempts === undefined ? null : Math.max(0, p.maxAttempts - attempts.length),
        due: p.due ?? null, counts: p.counts, late: p.late, assignment: assignmentView(k),
        attempts: attempts.map((a) => ({ id: a.id, attempt: a.attempt, receivedAt: a.receivedAt, late: a.late, score: a.score, max: a.max })),
        view: worksheetView(found.variant, k.grader.style),
      }));
    }],
    ['POST', '/api/v1/submit', jsonOnly, async (c) => {
      const s = await needSession(c);
      if (s.role !== 'learner') throw new GradsheetError('forbidden', 'An instructor\'s session submits nothing for credit: launch the assignment as a student to try it.');
      const body = parseJsonText(await bodyText(c), 'The body');
      return submit(c, courseOfBank(s.bank), sessionSubmission(s, body), s);
    }],
    ...(o.lti ? o.lti.routes({
      readForm: async (c) => {
        const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (c.req.method === 'POST' && type !== 'application/x-www-form-urlencoded') throw new GradsheetError('unsupported-type', `Send this form as application/x-www-form-urlencoded, not ${type || 'no content type'}.`);
        return new URLSearchParams(await bodyText(c as Context<Env>));
      },
      json: (c, body) => json(c as Context<Env>, body),
      isTeacher: (c) => isTeacher(c as Context<Env>),
      studentPage: (session, frameAncestors) => ({
        status: 200, csp: csp(frameAncestors),
        html: assets.pageHtml.replace('</head>', `<meta name="gradsheet-session" content="${escapeHtml(session)}">\n</head>`),
      }),
    }) as [string, string, (c: Context<Env>) => Response | Promise<Response>][] : []),
    ['GET', '/api/v1/worksheets/:code/submissions', lookingUp(async (c) => {
      // a student's own attempts: the code and the student it was issued to, nothing of anyone else's
      const student = c.req.query('student');
      if (!student) throw new GradsheetError('invalid-input', 'Say whose attempts to list: ?student=<your student id>.');
      notLaunched(c, student);
      const code = studentVariant(c.req.param('code')!, student).code;
      const attempts = await needStore().attempts(code, student);
      return json(c, JSON.stringify({
        worksheet: code, student, assignment: assignmentView(),
        attemptsLeft: policy.maxAttempts === undefined ? null : Math.max(0, policy.maxAttempts - attempts.length),
        attempts: attempts.map((s) => ({ id: s.id, attempt: s.attempt, receivedAt: s.receivedAt, late: s.late, score: s.score, max: s.max })),
      }));
    })],
    ['GET', '/api/v1/submissions', async (c) => {
      isTeacher(c);
      const q = listQuery((name) => c.req.query(name));
      const rows = await needStore().list(q);
      const last = rows[rows.length - 1];
      let next: string | null = null;
      if (rows.length === q.limit && last) {
        const params = new URLSearchParams(Object.entries(c.req.queries()).flatMap(([k, vs]) => (k === 'after' ? [] : vs.map((v) => [k, v]))));
        params.set('after', String(last.seq));
        next = `/api/v1/submissions?${params}`;
      }
      if (q.format === 'jsonl') {
        const body = rows.map((r) => `${storedJson(r)}\n`).join('');
        c.env.outgoing.writeHead(200, { ...BASE, 'content-type': 'application/x-ndjson; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(next ? { link: `<${next}>; rel="next"` } : {}) }).end(body);
        return RESPONSE_ALREADY_SENT;
      }
      return json(c, `{"submissions":[${rows.map(storedJson).join(',')}],"next":${JSON.stringify(next)}}`);
    }],
    ['GET', '/api/v1/submissions/:id', async (c) => {
      isTeacher(c);
      const id = c.req.param('id')!;
      const store = needStore();
      const found: StoredSubmission | undefined = /^[0-9a-f-]{36}$/.test(id) ? await store.get(id) : undefined;
      if (!found) throw new GradsheetError('not-found', `There is no stored submission with the id "${id.slice(0, 40)}".`);
      const history = await store.history(found.id);
      return json(c, `${storedJson(found).slice(0, -1)},"history":[${history.map((h) => JSON.stringify({ regrade: h.regradeId, score: h.score, max: h.max, gradedAt: h.gradedAt, replacedAt: h.replacedAt }).slice(0, -1) + `,"result":${h.result}}`).join(',')}]}`);
    }],
    ['GET', '/api/v1/gradebook.csv', async (c) => {
      isTeacher(c);
      const body = await gradebookCsv(needStore(), policy.counts);
      c.env.outgoing.writeHead(200, { ...BASE, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="gradebook.csv"', 'content-length': Buffer.byteLength(body) }).end(body);
      return RESPONSE_ALREADY_SENT;
    }],
    ['POST', '/api/v1/regrade', async (c) => {
      isTeacher(c);
      const dry = c.req.query('dry-run');
      if (dry !== undefined && !['', 'true', 'false', '1', '0'].includes(dry)) throw new GradsheetError('invalid-input', `dry-run should be true or false, not "${dry.slice(0, 20)}".`);
      if (!o.reload) throw new GradsheetError('unavailable', 'This server cannot reload its bank or key, so it cannot regrade.');
      const store = needStore();
      const fresh = await o.reload();
      const report = await store.regrade((s) => remark(fresh.grader, s), fresh.against, { dryRun: dry === '' || dry === 'true' || dry === '1', counts: policy.counts });
      // scores a regrade changed go to the platforms students launched from
      if (!report.dryRun && report.changed.length > 0) o.lti?.queued();
      if (!report.dryRun) {
        // new submissions are marked as the stored ones now are
        main = course(fresh.grader, policy);
        grader = main.grader;
        worksheetCache.clear();
      }
      return json(c, JSON.stringify(report));
    }],
  ];
  const allowed = new Map<string, string[]>();
  for (const [method, path, ...handlers] of routes) {
    app.on(method, path, ...(handlers as [MiddlewareHandler<Env>]));
    allowed.set(path, [...(allowed.get(path) ?? []), ...(method === 'GET' ? ['GET', 'HEAD'] : [method])]);
  }
  for (const [path, methods] of allowed) {
    app.all(path, (c) => {
      c.header('allow', methods.join(', '));
      throw new GradsheetError('wrong-method', `${c.req.path.slice(0, 80)} answers ${methods.join(' and ')}, not ${c.req.method}.`);
    });
  }
  app.notFound((c) => problem(c, new GradsheetError('not-found', `There is nothing at ${c.req.path.slice(0, 80)}.`)));
  app.onError((e, c) => {
    if (isGradsheetError(e)) return problem(c, e);
    // a request target or Host the Node adapter could not turn into a URL
    if (e instanceof Error && e.name === 'RequestError') return problem(c, new GradsheetError('invalid-input', 'The request target is not a well-formed URL.'));
    if (process.env.GRADSHEET_DEBUG) console.error(e);
    return problem(c, new GradsheetError('internal', 'The server could not answer this request.'));
  });
  return guard(getRequestListener(app.fetch), bounds.allowedHosts);
}

/** The page and its assets, hashed and compressed once; the page links the hashed names. */
function pageAssets(o: AppOptions['assets']): { page: Asset; pageHtml: string; files: Record<string, Asset> } {
  const files: Record<string, Asset> = {
    'app.js': prepareAsset(o.appJs, 'text/javascript; charset=utf-8'),
    'app.css': prepareAsset(o.appCss, 'text/css; charset=utf-8'),
    'katex.css': prepareAsset(katexCss(), 'text/css; charset=utf-8'),
  };
  let html = o.pageHtml;
  for (const [name, a] of Object.entries(files)) html = html.split(`/assets/${name}"`).join(`/assets/${hashedName(name, a)}"`);
  return { page: prepareAsset(html, 'text/html; charset=utf-8'), pageHtml: html, files };
}

/** The teacher check, with its outcome written to the audit log (route, client address, outcome: never a body). */
function audited(c: Context<Env>, bounds: Bounds, check: () => true): true {
  if (!bounds.audit) return check();
  const entry = { route: `${c.req.method} ${c.req.routePath}`, ip: clientIp(c.env.incoming, bounds.behindProxy ?? false) };
  try {
    check();
  } catch (e) {
    const outcome = isGradsheetError(e) && e.details.error === 'invalid_token' ? 'invalid-token' : isGradsheetError(e) && e.code === 'forbidden' ? 'closed' : 'no-token';
    bounds.audit({ ...entry, outcome });
    throw e;
  }
  bounds.audit({ ...entry, outcome: 'allowed' });
  return true;
}

/**
 * A request body read from Node's stream, bounded three ways: `limit` bytes (413), the time it may
 * take to arrive (408), and the budget of body bytes held across all connections (503). Each ends
 * the connection with the answer: the rest of the body is not read.
 */
function readBody(c: Context<Env>, limit: number, budget: BodyBudget, timeoutMs: number): Promise<string> {
  const incoming = c.env.incoming;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0, done = false;
    const finish = (e?: GradsheetError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      budget.give(size);
      if (!e) return resolve(Buffer.concat(chunks, size).toString('utf8'));
      chunks.length = 0;
      c.header('connection', 'close');
      reject(e);
    };
    const timer = setTimeout(() => {
      finish(new GradsheetError('timeout', `The body did not arrive within ${timeoutMs / 1000} s; nothing was read.`));
      // an answer to a client that is not reading may never leave: the socket goes anyway
      setTimeout(() => incoming.socket?.destroy(), 2000).unref();
    }, timeoutMs);
    incoming.on('data', (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) return finish(new GradsheetError('too-large', `The body is over the limit of ${limit} bytes.`));
      if (!budget.take(chunk.length)) {
        c.header('retry-after', '5');
        return finish(new GradsheetError('unavailable', 'The server is receiving too many bodies at once; nothing was recorded. Try again in a few seconds.'));
      }
      size += chunk.length;
      chunks.push(chunk);
    });
    incoming.on('end', () => finish());
    // (the error is built only when it is one: every request's connection closes at some point)
    incoming.on('close', () => done || finish(new GradsheetError('invalid-input', 'The connection closed before the body arrived.')));
    incoming.on('error', (e) => finish(new GradsheetError('invalid-input', `The body could not be read: ${e.message}`)));
  });
}

/**
 * A session's submission: its worksheet and student are the session's, whatever the body says
 * (a launched student submits only their own worksheet); the body gives the answers.
 */
function sessionSubmission(s: LtiSession, body: unknown): unknown {
  const answers = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { answers?: unknown }).answers : undefined;
  if (answers === undefined) throw new GradsheetError('invalid-input', 'The body should be {"answers": {"<part id>": "<answer>", …}}: $.answers is missing.');
  return { format: 'gradsheet.submission/1', worksheet: s.ws, student: s.stu, answers };
}

/** each variant's part ids, built once per variant object (the grader's cache holds the variants) */
const PART_IDS = new WeakMap<KeyVariant, Set<string>>();

/**
 * What a single submission is checked for before the schema and the marking work: a worksheet code
 * or student id no longer than a code or id can be (400, echoing a clipped start), and answers only
 * for the worksheet's own part ids (400 naming the first few). Bulk grading stays lenient.
 */
function precheck(grader: Grader, body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const s = body as Record<string, unknown>;
  if (typeof s.worksheet === 'string' && s.worksheet.length > MAX_CODE_LENGTH) throw new GradsheetError('invalid-input', `The worksheet code "${clip(s.worksheet)}" is ${s.worksheet.length} characters long; a code is 9, like K7P2-9XQ4.`);
  if (typeof s.student === 'string' && s.student.length > MAX_STUDENT_LENGTH) throw new GradsheetError('invalid-input', `The student id "${clip(s.student)}" is ${s.student.length} characters long; at most ${MAX_STUDENT_LENGTH} are taken.`);
  const answers = s.answers;
  if (typeof s.worksheet !== 'string' || typeof s.student !== 'string' || answers === null || typeof answers !== 'object' || Array.isArray(answers)) return;
  // the student is checked first (an HMAC), so no variant is drawn for a code that is not theirs
  const found = grader.variant(normaliseCode(s.worksheet), s.student.trim() || null);
  if ('error' in found) return; // the grader says why, as it always has
  let known = PART_IDS.get(found.variant);
  if (!known) PART_IDS.set(found.variant, (known = new Set(found.variant.questions.flatMap((q) => q.parts.map((p) => p.id)))));
  const unknown: string[] = [];
  let count = 0;
  for (const id of Object.keys(answers)) {
    if (known.has(id)) continue;
    if (++count <= 3) unknown.push(`"${clip(id, 40)}"`);
  }
  if (count === 0) return;
  const ids = [...known];
  throw new GradsheetError('invalid-input', `Worksheet ${found.variant.code} has no part ${unknown.join(', ')}${count > 3 ? ` (nor ${count - 3} more of the ids sent)` : ''}; its parts are ${ids[0]} to ${ids[ids.length - 1]}.`);
}
