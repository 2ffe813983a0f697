/**
 * `gradsheet serve`: the students' self-check page and the grading API for LMS integrations, on
 * Node's own http server. Routes, auth and the error mapping live here, in one place; the work is
 * the grader's. Every error is application/problem+json with a plain sentence; no stack ever.
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
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Grader } from '../grade/grade.js';
import { jsonSchema } from '../grade/schemas.js';
import { acceptance, sheetRule } from '../contract/tolerance.js';
import { numericTolerances } from '../problems/key.js';
import type { Bank } from '../problems/bank.js';
import { normaliseCode } from '../problems/variants.js';
import { katexCss } from '../render/browser.js';
import { renderRich, renderTex } from '../render/math.js';
import { problemType } from '../problems/registry.js';
import type { KeyVariant } from '../problems/key.js';
import type { SheetStyle } from '../problems/types.js';

export interface AppOptions {
  grader: Grader;
  title: string;
  /** the teacher's bearer token; without one, teacher routes answer 403 */
  token?: string;
  /** the page and the API may state right answers */
  reveal?: boolean;
  /** static assets: the page's script and style */
  assets: { appJs: string; appCss: string; pageHtml: string };
  bank?: Bank;
}

export const MAX_BODY = 1 << 20; // one submission
export const MAX_BATCH_BODY = 32 << 20; // up to 1000 submissions
export const MAX_BATCH = 1000;

class HttpError extends Error {
  constructor(readonly status: number, readonly title: string, message: string, readonly extra: Record<string, unknown> = {}, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error',
};

const fail = (status: number, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => new HttpError(status, TITLES[status] ?? 'Error', detail, extra, headers);

function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');

function problem(res: ServerResponse, e: HttpError): void {
  send(res, e.status, JSON.stringify({ type: 'about:blank', title: e.title, status: e.status, detail: e.message, ...e.extra }), 'application/problem+json; charset=utf-8',
    { ...(e.status === 401 ? { 'www-authenticate': 'Bearer realm="gradsheet"' } : {}), ...e.headers });
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw fail(413, `The body is ${declared} bytes; the limit is ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw fail(413, `The body is over the limit of ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isTeacher(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) throw fail(403, 'This server was started without a teacher token (--token-file or GRADSHEET_TOKEN), so teacher routes are closed.');
  const header = req.headers.authorization;
  if (!header) throw fail(401, 'This route needs the teacher token: send "Authorization: Bearer <token>".');
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) throw fail(403, 'The token is not the teacher token.');
  const given = Buffer.from(m[1]!.trim()), expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw fail(403, 'The token is not the teacher token.');
  return true;
}

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
        introHtml: built ? renderRich(built.intro) : '',
        givenHtml: built ? built.given().map((line) => renderTex(line, true)) : [],
        parts: q.parts.map((p, i) => ({
          id: p.id,
          kind: p.kind,
          shape: p.shape,
          points: p.points,
          promptHtml: renderRich(built?.parts[i]?.prompt ?? p.prompt),
          ...(p.kind !== 'choice' && p.tolerance && acceptance(p.tolerance) !== rule ? { accept: `accepted: ${acceptance(p.tolerance)}` } : {}),
          ...(p.choices ? { choices: p.choices } : {}),
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
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw fail(404, 'There is no worksheet with that code.');
    }
    const code = normaliseCode(decoded);
    if (!CODE_SHAPE.test(code)) throw fail(404, `There is no worksheet with the code "${decoded.slice(0, 20)}".`);
    const found = o.grader.variant(code, null);
    if ('error' in found) throw fail(404, `There is no worksheet with the code ${code}.`);
    return found.variant;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const only = (...methods: string[]) => {
      if (!methods.includes(method)) throw fail(405, `${path.slice(0, 80)} answers ${methods.join(' and ')}, not ${method}.`, {}, { allow: methods.join(', ') });
    };

    if (path === '/' || path === '/index.html') {
      only('GET', 'HEAD');
      return send(res, 200, o.assets.pageHtml, 'text/html; charset=utf-8', {
        'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src data:; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      });
    }
    if (path === '/assets/app.js') { only('GET', 'HEAD'); return send(res, 200, o.assets.appJs, 'text/javascript; charset=utf-8'); }
    if (path === '/assets/app.css') { only('GET', 'HEAD'); return send(res, 200, o.assets.appCss, 'text/css; charset=utf-8'); }
    if (path === '/assets/katex.css') { only('GET', 'HEAD'); return send(res, 200, css, 'text/css; charset=utf-8'); }
    if (path === '/healthz') { only('GET', 'HEAD'); return json(res, 200, { status: 'ok' }); }

    let m = /^\/api\/v1\/worksheets\/([^/]+)$/.exec(path);
    if (m) {
      only('GET');
      const variant = findVariant(m[1]!);
      let body = worksheetCache.get(variant.code);
      if (!body) {
        body = JSON.stringify(worksheetView(variant, o.grader.style));
        if (worksheetCache.size > 2000) worksheetCache.clear();
        worksheetCache.set(variant.code, body);
      }
      return send(res, 200, body, 'application/json; charset=utf-8');
    }
    m = /^\/api\/v1\/keys\/([^/]+)$/.exec(path);
    if (m) {
      only('GET');
      isTeacher(req, o.token);
      return json(res, 200, findVariant(m[1]!));
    }
    m = /^\/api\/v1\/schema\/([^/]+)$/.exec(path);
    if (m) {
      only('GET');
      if (m[1] !== 'submission' && m[1] !== 'result') throw fail(404, `There is no schema "${m[1]!.slice(0, 20)}"; there are submission and result.`);
      return json(res, 200, jsonSchema(m[1]));
    }
    if (path === '/api/v1/grade') {
      only('POST');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw fail(415, `Send the submission as application/json, not ${type || 'no content type'}.`);
      // the larger limit only for a caller whose token checks out
      let teacher = false;
      if (req.headers.authorization !== undefined) {
        try {
          teacher = isTeacher(req, o.token);
        } catch {
          teacher = false;
        }
      }
      const text = await readBody(req, teacher ? MAX_BATCH_BODY : MAX_BODY);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw fail(400, `The body is not valid JSON: ${(e as Error).message.replace(/^JSON\.parse: /, '')}.`);
      }
      if (Array.isArray(body)) {
        isTeacher(req, o.token);
        if (body.length > MAX_BATCH) throw fail(413, `A batch holds at most ${MAX_BATCH} submissions, not ${body.length}.`);
        return json(res, 200, body.map((s) => o.grader.grade(s)));
      }
      if (body === null || typeof body !== 'object') throw fail(400, 'The body should be a submission object (or, with the teacher token, an array of them).', { errors: [{ path: '$', message: 'should be an object' }] });
      const issues = submissionIssues(body as Record<string, unknown>);
      if (issues.length) throw fail(400, `The submission is not valid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`, { errors: issues });
      const result = o.grader.grade(body);
      if (result.reason) {
        const status = result.reason === 'unknown-code' ? 404 : result.reason === 'wrong-student' ? 403 : 400;
        throw fail(status, result.errors[result.errors.length - 1]!, { result });
      }
      return json(res, 200, result);
    }
    throw fail(404, `There is nothing at ${path.slice(0, 80)}.`);
  }

  return (req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      problem(res, e instanceof HttpError ? e : fail(500, 'The server could not answer this request.'));
      if (!(e instanceof HttpError) && process.env.GRADSHEET_DEBUG) console.error(e);
    });
  };
}

/** The schema failures of a single submission, with JSON paths (the grader would still grade it). */
function submissionIssues(s: Record<string, unknown>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (typeof s.worksheet !== 'string' || !s.worksheet.trim()) issues.push({ path: '$.worksheet', message: 'should be the worksheet code, a string' });
  if (s.student !== undefined && typeof s.student !== 'string') issues.push({ path: '$.student', message: 'should be a string' });
  if (s.answers === null || typeof s.answers !== 'object' || Array.isArray(s.answers)) issues.push({ path: '$.answers', message: 'should be an object from part ids to answers' });
  return issues;
}
