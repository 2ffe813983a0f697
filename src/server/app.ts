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
 *   POST /api/v1/grade                  one submission → its result; an array (≤ 1000) → results (teacher token)
 *   GET  /api/v1/schema/{submission|result}
 */
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context, type MiddlewareHandler, type Next } from 'hono';
import { GradsheetError, HTTP_STATUS, isGradsheetError, parseJsonText, type ErrorCode } from '../errors.js';
import { parseWith } from '../validation.js';
import type { Grader, GradeResult } from '../grade/grade.js';
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
  /** the teacher's bearer token; without one, teacher routes answer 403 */
  token?: string;
  /** static assets: the page's script and style */
  assets: { appJs: string; appCss: string; pageHtml: string };
}

export const MAX_BODY = 1 << 20; // one submission
export const MAX_BATCH_BODY = 32 << 20; // up to 1000 submissions
export const MAX_BATCH = 1000;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src data:; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** the headers of every answer, beside its content type */
const BASE = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
const JSON_HEADERS = { ...BASE, 'content-type': 'application/json; charset=utf-8' };
type Env = { Bindings: HttpBindings };

/** Why the grader could not grade a submission, as the error code the server answers with. */
const REASON_CODE: Record<NonNullable<GradeResult['reason']>, ErrorCode> = {
  'not-an-object': 'invalid-input', 'no-code': 'invalid-input', 'no-student': 'invalid-input', 'no-answers': 'invalid-input',
  'unknown-code': 'not-found', 'wrong-student': 'forbidden',
  // bulk grading's own reasons (the server parses bodies itself, so it never meets them)
  'not-json': 'bad-json', unreadable: 'invalid-input', 'internal-error': 'internal',
};

/** The one way an error is answered: problem+json with the code's status and a plain sentence. */
function problem(c: Context, e: GradsheetError): Response {
  const status = HTTP_STATUS[e.code];
  if (status === 401) c.header('www-authenticate', 'Bearer realm="gradsheet"');
  // the rest of a body over the limit is not read: the connection ends with this answer
  if (status === 413) c.header('connection', 'close');
  const body = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail: e.message, ...(e.issues.length ? { errors: e.issues } : {}), ...e.details };
  return c.body(JSON.stringify(body), status as 400, { ...BASE, 'content-type': 'application/problem+json; charset=utf-8' });
}

/** Whether the request carries the teacher token; throws 403 when teacher routes are closed or the token is wrong, 401 when none is sent. */
function checkTeacher(authorization: string | undefined, token: string | undefined): true {
  if (!token) throw new GradsheetError('forbidden', 'This server was started without a teacher token (--token-file or GRADSHEET_TOKEN), so teacher routes are closed.');
  if (!authorization) throw new GradsheetError('unauthenticated', 'This route needs the teacher token: send "Authorization: Bearer <token>".');
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? ''), expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new GradsheetError('forbidden', 'The token is not the teacher token.');
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
        })),
      };
    }),
  };
}

/** Crockford base 32, as codes are written (no I, L, O, U) */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export function createHandler(o: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const css = katexCss();
  const worksheetCache = new Map<string, string>();
  const findVariant = (raw: string): KeyVariant => {
    const code = normaliseCode(raw);
    if (!CODE_SHAPE.test(code)) throw new GradsheetError('not-found', `There is no worksheet with the code "${raw.slice(0, 20)}".`);
    const found = o.grader.variant(code, null);
    if ('error' in found) throw new GradsheetError('not-found', `There is no worksheet with the code ${code}.`);
    return found.variant;
  };
  // request headers as Node parsed them (cheaper than a fetch Headers object, built only if asked for)
  const header = (c: Context<Env>, name: string): string | undefined => c.env.incoming.headers[name] as string | undefined;
  const isTeacher = (c: Context<Env>) => checkTeacher(header(c, 'authorization'), o.token);
  /**
   * The body as text, read from Node's own stream (hono's Request wrapper would build a web stream
   * first: ~10% of a grade request). The larger limit only for a caller whose token checks out; a
   * declared length over the limit is refused unread, a streamed body is counted as it comes.
   */
  const bodyText = (c: Context<Env>): Promise<string> => {
    let teacher = false;
    try {
      teacher = header(c, 'authorization') !== undefined && isTeacher(c);
    } catch {
      teacher = false;
    }
    const limit = teacher ? MAX_BATCH_BODY : MAX_BODY, declared = Number(header(c, 'content-length') ?? NaN);
    if (declared > limit) throw new GradsheetError('too-large', `The body is ${declared} bytes; the limit is ${limit} bytes.`);
    const incoming = c.env.incoming;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        if (size > limit) return;
        size += chunk.length;
        if (size <= limit) return void chunks.push(chunk);
        // the rest is not kept: the answer closes the connection
        chunks.length = 0;
        reject(new GradsheetError('too-large', `The body is over the limit of ${limit} bytes.`));
      });
      incoming.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
      incoming.on('error', reject);
    });
  };
  const jsonOnly: MiddlewareHandler<Env> = (c, next) => {
    const type = (header(c, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new GradsheetError('unsupported-type', `Send the submission as application/json, not ${type || 'no content type'}.`);
    return next();
  };
  /**
   * A JSON answer (status 200), written straight to Node's response: building a fetch Response and
   * its Headers for hono to copy back costs ~5% of a grade request. Hono's own escape hatch.
   */
  const json = (c: Context<Env>, body: string): Response => {
    c.env.outgoing.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) }).end(body);
    return RESPONSE_ALREADY_SENT;
  };
  const text = (body: string, type: string) => (c: Context) => c.body(body, 200, { ...BASE, 'content-type': type });
  const page = text(o.assets.pageHtml, 'text/html; charset=utf-8');

  const app = new Hono<Env>();

  // the routes: [method, path, ...handlers]; HEAD is answered wherever GET is
  const routes: [string, string, ...((c: Context<Env>, next: Next) => Response | Promise<Response | void>)[]][] = [
    ['GET', '/', (c, next) => { c.header('content-security-policy', CSP); return next(); }, page],
    ['GET', '/index.html', (c, next) => { c.header('content-security-policy', CSP); return next(); }, page],
    ['GET', '/assets/app.js', text(o.assets.appJs, 'text/javascript; charset=utf-8')],
    ['GET', '/assets/app.css', text(o.assets.appCss, 'text/css; charset=utf-8')],
    ['GET', '/assets/katex.css', text(css, 'text/css; charset=utf-8')],
    ['GET', '/healthz', text(JSON.stringify({ status: 'ok' }), JSON_HEADERS['content-type'])],
    ['GET', '/api/v1/worksheets/:code', (c) => {
      const variant = findVariant(c.req.param('code')!);
      let body = worksheetCache.get(variant.code);
      if (!body) {
        body = JSON.stringify(worksheetView(variant, o.grader.style));
        if (worksheetCache.size > 2000) worksheetCache.clear();
        worksheetCache.set(variant.code, body);
      }
      return json(c, body);
    }],
    ['GET', '/api/v1/keys/:code', (c) => isTeacher(c) && json(c, JSON.stringify(findVariant(c.req.param('code')!)))],
    ['GET', '/api/v1/schema/:name', (c) => {
      const name = c.req.param('name')!;
      if (name !== 'submission' && name !== 'result') throw new GradsheetError('not-found', `There is no schema "${name.slice(0, 20)}"; there are submission and result.`);
      return json(c, JSON.stringify(jsonSchema(name)));
    }],
    ['POST', '/api/v1/grade', jsonOnly, async (c) => {
      const body = parseJsonText(await bodyText(c), 'The body');
      if (Array.isArray(body)) {
        isTeacher(c);
        if (body.length > MAX_BATCH) throw new GradsheetError('too-large', `A batch holds at most ${MAX_BATCH} submissions, not ${body.length}.`);
        return json(c, JSON.stringify(body.map((s) => o.grader.grade(s))));
      }
      // checked against the published schema, then the parsed body itself is graded: zod's copy of the
      // answers is an object V8 reads ~1.5× slower, and the schema transforms nothing
      parseWith(submissionSchema, body, 'submission');
      const result = o.grader.grade(body);
      if (result.reason) throw new GradsheetError(REASON_CODE[result.reason], result.errors[result.errors.length - 1]!, { details: { result } });
      return json(c, JSON.stringify(result));
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
    if (process.env.GRADSHEET_DEBUG) console.error(e);
    return problem(c, new GradsheetError('internal', 'The server could not answer this request.'));
  });
  return getRequestListener(app.fetch);
}
