/**
 * Online assignments through the HTTP API, in process, on a real SQLite store: submissions for
 * credit (201 after commit), attempts, due times, feedback and answers as the policy says, the
 * teacher's listing, gradebook and regrade after a tolerance change, and what students may not see.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { loadGrader, withPinnedBank } from '../src/commands/key-source.js';
import { assignmentSchema, type AssignmentPolicy } from '../src/problems/assignment.js';
import type { KeyVariant } from '../src/problems/key.js';
import { createHandler } from '../src/server/app.js';
import { Store } from '../src/store/store.js';
import { tempDir } from './support/tmp.js';

const TOKEN = 'teacher-token-0123456789abcdef';
const SECRET = practiceSecret('assignments');
const dir = tempDir('gradsheet-assign-');
const assetsDir = 'templates/serve';
const assets = { pageHtml: readFileSync(join(assetsDir, 'page.html'), 'utf8'), appJs: readFileSync(join(assetsDir, 'app.js'), 'utf8'), appCss: readFileSync(join(assetsDir, 'app.css'), 'utf8') };
const bankJson = JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8'));

interface Running { base: string; store: Store; clock: { now: Date }; variants: KeyVariant[]; bankFile: string; close(): Promise<void> }
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

let n = 0;
/** A server on a fresh store, a bank file it reloads for regrades, and a clock the test moves. */
async function start(policy: Partial<AssignmentPolicy> = {}, bankOverride: Record<string, unknown> = {}): Promise<Running> {
  const name = `run${n++}`;
  const bankFile = join(dir, `${name}.json`);
  writeFileSync(bankFile, JSON.stringify({ ...bankJson, ...bankOverride }));
  const store = await Store.open({ data: join(dir, name) });
  // as serve does: the store keeps the bank the worksheets were drawn from
  const load = async () => withPinnedBank(await loadGrader({ bank: bankFile, seed: 'assignments' }, 'serve'), store);
  const { grader, bank } = await load();
  const variants = generateKeyVariants(bank!, SECRET, practiceStudents(3).map((id) => ({ id, name: id })));
  const clock = { now: new Date('2026-12-10T12:00:00Z') };
  const server: Server = createServer(createHandler({ grader, token: TOKEN, assets, store, policy: assignmentSchema.parse(policy), reload: load, now: () => clock.now }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const r: Running = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store, clock, variants, bankFile,
    close: async () => {
      await new Promise<void>((res) => server.close(() => res()));
      await store.close();
    },
  };
  running.push(r);
  return r;
}

const exact = (v: KeyVariant) => Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer])));
/** answers a little off: every number times `factor` */
const scaled = (v: KeyVariant, factor: number) => Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => {
  const scale = (a: unknown): unknown => (typeof a === 'number' ? a * factor : Array.isArray(a) ? a.map(scale) : a);
  return [p.id, scale(p.answer)];
})));
const submission = (v: KeyVariant, answers: Record<string, unknown>) => JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers });
const submit = (r: Running, body: string, client?: string) => fetch(`${r.base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', ...(client ? { 'x-gradsheet-client': client } : {}) }, body });
const teacher = (r: Running, path: string, init: RequestInit = {}) => fetch(`${r.base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } });

describe('submissions for credit', () => {
  it('answers 201 with the stored id, attempt and result, and keeps what was submitted', async () => {
    const r = await start({ maxAttempts: 3 });
    const v = r.variants[0]!;
    const res = await submit(r, submission(v, exact(v)), 'page');
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ attempt: 1, maxAttempts: 3, attemptsLeft: 2, late: false, receivedAt: '2026-12-10T12:00:00.000Z', counts: 'last', result: { worksheet: v.code, student: v.student } });
    expect(body.result.score).toBe(body.result.max);
    expect(res.headers.get('location')).toBe(`/api/v1/submissions/${body.id}`);
    const stored = await (await teacher(r, `/api/v1/submissions/${body.id}`)).json();
    // stored: the result as FORMATS has it (the page's typeset feedback is not kept)
    const plain = { ...body.result, parts: body.result.parts.map(({ feedbackHtml: _html, ...p }: { feedbackHtml?: string }) => p) };
    expect(stored).toMatchObject({ id: body.id, attempt: 1, client: 'page', kind: 'submission', score: body.result.score, submission: { answers: exact(v) }, history: [] });
    expect(stored.result).toEqual(plain);
  });

  it('numbers attempts and refuses one over the limit with 409 and a sentence, recording nothing', async () => {
    const r = await start({ maxAttempts: 2 });
    const v = r.variants[0]!;
    expect((await (await submit(r, submission(v, {}))).json()).attempt).toBe(1);
    expect((await (await submit(r, submission(v, exact(v)))).json()).attempt).toBe(2);
    const third = await submit(r, submission(v, exact(v)));
    expect(third.status).toBe(409);
    expect((await third.json()).detail).toBe(`You have used all 2 attempts for worksheet ${v.code}; nothing was recorded.`);
    expect((await r.store.list({ limit: 10 })).map((s) => s.attempt)).toEqual([1, 2]);
    // another student's attempts are their own
    const w = r.variants[1]!;
    expect((await (await submit(r, submission(w, {}))).json()).attempt).toBe(1);
  });

  it('flags a late submission, or refuses it, as the policy says', async () => {
    const flag = await start({ due: '2026-12-10T12:00:00Z' });
    const v = flag.variants[0]!;
    expect((await (await submit(flag, submission(v, {}))).json()).late).toBe(false);
    flag.clock.now = new Date('2026-12-10T12:00:01Z');
    const late = await submit(flag, submission(v, {}));
    expect(late.status).toBe(201);
    expect((await late.json()).late).toBe(true);
    expect((await flag.store.list({ limit: 5 })).map((s) => s.late)).toEqual([false, true]);

    const refuse = await start({ due: '2026-12-01T00:00:00+01:00', late: 'refuse' });
    const res = await submit(refuse, submission(refuse.variants[0]!, {}));
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toBe('This assignment was due 2026-12-01T00:00:00+01:00 and takes no late submissions; nothing was recorded.');
    expect(await refuse.store.list({ limit: 5 })).toEqual([]);
  });

  it('names no mistake before the due time when the policy gives scores only, and names it after', async () => {
    const r = await start({ due: '2026-12-11T00:00:00Z', feedbackBeforeDue: 'score' });
    const v = r.variants[0]!;
    const wrong = submission(v, scaled(v, 1.5));
    const before = (await (await submit(r, wrong)).json()).result;
    const wrongParts = before.parts.filter((p: { status: string }) => p.status === 'incorrect');
    expect(wrongParts.length).toBeGreaterThan(0);
    for (const p of wrongParts) expect([p.feedback, p.mistake]).toEqual(['Not correct.', undefined]);
    // the check says no more than the submission
    const check = await (await fetch(`${r.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: wrong })).json();
    expect(check.parts.filter((p: { status: string }) => p.status === 'incorrect').every((p: { feedback: string }) => p.feedback === 'Not correct.')).toBe(true);
    // the stored result is the full marking: the teacher sees what the student will see after the due time
    const stored = JSON.parse((await r.store.list({ limit: 1 }))[0]!.result);
    expect(stored.parts.filter((p: { status: string }) => p.status === 'incorrect').some((p: { feedback: string }) => p.feedback !== 'Not correct.')).toBe(true);
    r.clock.now = new Date('2026-12-11T00:00:01Z');
    const after = (await (await submit(r, wrong)).json()).result;
    expect(after.parts.filter((p: { status: string }) => p.status === 'incorrect').some((p: { feedback: string }) => p.feedback !== 'Not correct.')).toBe(true);
  });

  it('states the right answers only when the policy allows: after the last attempt', async () => {
    const r = await start({ maxAttempts: 2, revealAnswers: 'after-last-attempt' });
    const v = r.variants[0]!;
    const first = v.questions[0]!.parts[0]!;
    const feedbackOf = async () => (await (await submit(r, submission(v, { [first.id]: 123456 }))).json()).result.parts.find((p: { id: string }) => p.id === first.id).feedback as string;
    const one = await feedbackOf(), two = await feedbackOf();
    expect(one).not.toMatch(/right answer|correct answer|The answer is/i);
    expect(two).not.toBe(one);
    expect(two.length).toBeGreaterThan(one.length);
  });

  it('records checks only when the teacher asks, and never as attempts', async () => {
    const quiet = await start();
    const v = quiet.variants[0]!;
    expect((await fetch(`${quiet.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: submission(v, {}) })).status).toBe(200);
    expect(await quiet.store.list({ limit: 5 })).toEqual([]);
    const kept = await start({ recordChecks: true, maxAttempts: 1 });
    const w = kept.variants[0]!;
    for (let i = 0; i < 3; i++) expect((await fetch(`${kept.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: submission(w, {}) })).status).toBe(200);
    expect((await submit(kept, submission(w, {}))).status).toBe(201);
    expect((await kept.store.list({ limit: 10 })).map((s) => [s.kind, s.attempt])).toEqual([['check', null], ['check', null], ['check', null], ['submission', 1]]);
  });

  it('refuses what cannot be graded without recording it', async () => {
    const r = await start();
    const v = r.variants[0]!;
    expect((await submit(r, JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: 'someone-else', answers: {} }))).status).toBe(404);
    expect((await submit(r, '{"format":')).status).toBe(400);
    expect((await submit(r, `[${submission(v, {})}]`)).status).toBe(400);
    expect(await r.store.list({ limit: 5 })).toEqual([]);
  });
});

describe('feedback on the page', () => {
  it('comes typeset for the page (its plain math as KaTeX with MathML), and as FORMATS\' plain sentence for everyone else', async () => {
    const r = await start();
    const v = r.variants[0]!;
    // every part answered with its first catalogued mistake: feedback that names it, with math in it
    const answers = Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.mistakes?.[0]?.value ?? p.answer])));
    const page = (await (await submit(r, submission(v, answers), 'page')).json()).result;
    // the parts whose feedback writes scripts in plain text (s_{t−1}, L_T, Σ_t)
    const named = page.parts.filter((p: { mistake?: string; feedback: string }) => p.mistake && /_/.test(p.feedback));
    expect(named.length).toBeGreaterThan(0);
    for (const p of named) {
      expect(p.feedbackHtml).toContain('class="katex"');
      expect(p.feedbackHtml).toContain('<math');
      // the words stay words; no raw TeX scripts outside the formulas' own markup
      const visible = p.feedbackHtml.replace(/<annotation[^>]*>.*?<\/annotation>/gs, '').replace(/<[^>]+>/g, '');
      expect(visible).not.toMatch(/[A-Za-zθ]_\{?[A-Za-z0-9]/);
    }
    const api = (await (await submit(r, submission(v, answers))).json()).result;
    expect(api.parts.some((p: { feedbackHtml?: string }) => p.feedbackHtml !== undefined)).toBe(false);
    expect(api.parts.map((p: { feedback: string }) => p.feedback)).toEqual(page.parts.map((p: { feedback: string }) => p.feedback));
  });
});

describe('what a student may see', () => {
  it('lists a student their own attempts, and nobody else\'s', async () => {
    const r = await start({ maxAttempts: 3 });
    const [v, w] = r.variants;
    await submit(r, submission(v!, {}));
    await submit(r, submission(w!, {}));
    const mine = await (await fetch(`${r.base}/api/v1/worksheets/${v!.code}/submissions?student=${encodeURIComponent(v!.student)}`)).json();
    expect(mine).toMatchObject({ worksheet: v!.code, student: v!.student, attemptsLeft: 2, assignment: { maxAttempts: 3, counts: 'last' } });
    expect(mine.attempts).toHaveLength(1);
    expect(JSON.stringify(mine)).not.toContain('answers');
    // someone else's worksheet code with my id, or my code with their id: as if there were no such code
    expect((await fetch(`${r.base}/api/v1/worksheets/${w!.code}/submissions?student=${encodeURIComponent(v!.student)}`)).status).toBe(404);
    expect((await fetch(`${r.base}/api/v1/worksheets/${v!.code}/submissions`)).status).toBe(400);
    // the teacher's routes need the token
    for (const path of ['/api/v1/submissions', '/api/v1/gradebook.csv', `/api/v1/submissions/${mine.attempts[0].id}`]) expect((await fetch(`${r.base}${path}`)).status).toBe(401);
    expect((await fetch(`${r.base}/api/v1/regrade`, { method: 'POST' })).status).toBe(401);
  });
});

describe('the teacher\'s routes', () => {
  it('pages through the submissions in JSON and JSON Lines, filtered', async () => {
    const r = await start();
    const [v, w] = r.variants;
    for (let i = 0; i < 5; i++) await submit(r, submission(i % 2 ? w! : v!, {}));
    const page1 = await (await teacher(r, '/api/v1/submissions?limit=2')).json();
    expect(page1.submissions.map((s: { attempt: number }) => s.attempt)).toEqual([1, 1]);
    const page2 = await (await teacher(r, page1.next)).json();
    const page3 = await (await teacher(r, page2.next)).json();
    expect([...page1.submissions, ...page2.submissions, ...page3.submissions].map((s: { seq: number }) => s.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(page3.next).toBeNull();
    const lines = await teacher(r, `/api/v1/submissions?format=jsonl&student=${encodeURIComponent(w!.student)}&limit=1`);
    expect(lines.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    expect(lines.headers.get('link')).toMatch(/^<\/api\/v1\/submissions\?.*after=2.*>; rel="next"$/);
    const text = await lines.text();
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l).student)).toEqual([w!.student]);
    const bad = await teacher(r, '/api/v1/submissions?since=yesterday');
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toBe('since should be a time in ISO 8601 (2026-12-07 or 2026-12-07T09:00:00Z), not "yesterday".');
  });

  it('gives the gradebook of counted attempts as CSV', async () => {
    const r = await start({ counts: 'best' });
    const v = r.variants[0]!;
    await submit(r, submission(v, exact(v)));
    await submit(r, submission(v, {}));
    const res = await teacher(r, '/api/v1/gradebook.csv');
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = (await res.text()).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows).toHaveLength(2);
    const col = (name: string) => rows[0]!.indexOf(name);
    expect([rows[1]![col('student')], rows[1]![col('percent')], rows[1]![col('attempt')], rows[1]![col('attempts')], rows[1]![col('counted')]]).toEqual([v.student, '100', '1', '2', 'true']);
  });

  it('regrades after the bank\'s tolerance changes: reports each changed score, keeps the old result, and marks new submissions the new way', async () => {
    const r = await start({}, { generator: 2, tolerance: { rtol: 0.01, atol: 0 } });
    const [v, w] = r.variants;
    const off = await (await submit(r, submission(v!, scaled(v!, 1.03)))).json();
    const right = await (await submit(r, submission(w!, exact(w!)))).json();
    expect(off.result.score).toBeLessThan(off.result.max);
    expect(right.result.score).toBe(right.result.max);

    const dry = await (await teacher(r, '/api/v1/regrade?dry-run=true', { method: 'POST' })).json();
    expect([dry.dryRun, dry.changed.length]).toEqual([true, 0]);

    writeFileSync(r.bankFile, JSON.stringify({ ...bankJson, generator: 2, tolerance: { rtol: 0.05, atol: 0 } }));
    const report = await (await teacher(r, '/api/v1/regrade', { method: 'POST' })).json();
    expect(report).toMatchObject({ checked: 2, dryRun: false, against: expect.stringMatching(/^bank bptt-basics \(sha256 [0-9a-f]{12}…\), worksheets drawn from its version of 2\d{3}-.*Z \(sha256 [0-9a-f]{12}…\)$/) });
    expect(report.changed, JSON.stringify(report.changed)).toHaveLength(1);
    expect(report.changed[0]).toMatchObject({ id: off.id, student: v!.student, before: { score: off.result.score }, after: { score: off.result.max } });
    expect(report.changed[0].parts.length).toBeGreaterThan(0);
    const stored = await (await teacher(r, `/api/v1/submissions/${off.id}`)).json();
    expect([stored.score, stored.regrade]).toEqual([off.result.max, report.regrade]);
    expect(stored.history).toHaveLength(1);
    expect([stored.history[0].score, stored.history[0].result.score]).toEqual([off.result.score, off.result.score]);
    // a new submission is marked with the new tolerance, on the worksheet the student holds
    // (a looser tolerance would have drawn other numbers for the same code: the store kept the
    // bank the worksheets were drawn from)
    expect((await (await submit(r, submission(v!, scaled(v!, 1.03)))).json()).result.score).toBe(off.result.max);
    expect((await (await submit(r, submission(w!, exact(w!)))).json()).result.score).toBe(right.result.max);
  });

  it('refuses to regrade against a bank whose questions changed, in one sentence, changing nothing', async () => {
    const r = await start();
    const v = r.variants[0]!;
    await submit(r, submission(v, exact(v)));
    const changed = { ...bankJson, questions: bankJson.questions.map((q: { params?: object }, i: number) => (i === 0 ? { ...q, params: { ...(q.params ?? {}), steps: 4 } } : q)) };
    writeFileSync(r.bankFile, JSON.stringify(changed));
    const res = await teacher(r, '/api/v1/regrade', { method: 'POST' });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/^The worksheets of bank bptt-basics were drawn before its questions \(ids, types or parameters\) changed; a bank may change its tolerances and points once its worksheets are out, not what it draws\. Grade with the bank as it was \(sha256 [0-9a-f]{12}…\), or start a new assignment with a new data folder or database\.$/);
    expect((await r.store.list({ limit: 5 }))[0]!.regradeId).toBeNull();
  });
});

describe('a database that cannot record', () => {
  it('answers 503 with one sentence and never 201', async () => {
    const r = await start();
    await r.store.close();
    const res = await submit(r, submission(r.variants[0]!, {}));
    expect(res.status).toBe(503);
    expect((await res.json()).detail).toMatch(/^The database \(SQLite file .*\) is closed: the server is stopping\.$/);
    expect((await fetch(`${r.base}/healthz`)).status).toBe(503);
    running.splice(running.indexOf(r), 1);
  });
});
