import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerKey, findChromium, generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { Grader } from '../src/grade/grade.js';
import { MISTAKES } from '../src/problems/mistakes.js';
import { createHandler } from '../src/server/app.js';
import { answerValues, openWorksheet } from './support/self-check-page.js';

const bank = parseBank(JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')));
const variants = generateKeyVariants(bank, practiceSecret('serve-test'), practiceStudents(2).map((id) => ({ id, name: id })));
const key = answerKey(bank, variants);
const v = variants[0]!;
const TOKEN = 'teacher-token-0123456789abcdef';
const dir = 'templates/serve';
const assets = { pageHtml: readFileSync(join(dir, 'page.html'), 'utf8'), appJs: readFileSync(join(dir, 'app.js'), 'utf8'), appCss: readFileSync(join(dir, 'app.css'), 'utf8') };

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(createHandler({ grader: Grader.fromKey(key), token: TOKEN, assets }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const exact = () => Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer])));
const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${base}/api/v1/grade`, { method: 'POST', headers, body });
const allAnswers = JSON.stringify(key.variants.flatMap((x) => x.questions.flatMap((q) => q.parts.map((p) => p.answer))));

describe('the grading API', () => {
  it('grades one submission, open to students', async () => {
    const res = await post(JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: exact() }));
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r.score).toBe(r.max);
  });

  it('grades a batch only with the teacher token: 401 without, 401 invalid_token with a wrong one', async () => {
    const batch = JSON.stringify([{ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: exact() }]);
    expect((await post(batch)).status).toBe(401);
    const wrong = await post(batch, { 'content-type': 'application/json', authorization: 'Bearer wrong-token-0000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const ok = await post(batch, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(1);
    const big = JSON.stringify(new Array(1001).fill({}));
    expect((await post(big, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` })).status).toBe(413);
  });

  it('answers malformed JSON with 400, a schema failure with 400 and its paths, a wrong content type with 415, a huge body with 413', async () => {
    const bad = await post('{"worksheet": ');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const schema = await post(JSON.stringify({ worksheet: 5, answers: [] }));
    expect(schema.status).toBe(400);
    const problem = await schema.json();
    // the published submission schema: format and student are required, as docs/formats.md shows them
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(['$.format', '$.worksheet', '$.student', '$.answers']);
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(JSON.stringify({ pad: 'x'.repeat(2 << 20) }))).status).toBe(413);
  });

  it('checks a single submission against the published schema: format, student and each answer', async () => {
    const paths = async (body: unknown) => {
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      return ((await res.json()).errors as { path: string; message: string }[]).map((e) => `${e.path} ${e.message}`);
    };
    const answers = exact();
    expect(await paths({ format: 'gradsheet.submission/1', worksheet: v.code, answers })).toEqual(['$.student is missing (expected a string)']);
    expect(await paths({ format: 'gradsheet.submission/2', worksheet: v.code, student: v.student, answers })).toEqual(['$.format should be "gradsheet.submission/1", not the string "gradsheet.submission/2"']);
    const first = Object.keys(answers)[0]!;
    expect(await paths({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { ...answers, [first]: true } }))
      .toEqual([`$.answers["${first}"] should be a number, a string, a vector or a matrix (or null for no answer)`]);
    expect(await paths(5)).toEqual(['$ should be an object, not the number 5']);
  });

  it('answers a code issued to another student with 404 (as an unknown code), a streamed body over the limit with 413, an unexpected failure with 500 and a plain sentence', async () => {
    const other = variants[1]!;
    const res = await post(JSON.stringify({ format: 'gradsheet.submission/1', worksheet: other.code, student: v.student, answers: {} }));
    expect(res.status).toBe(404);
    expect((await res.json()).detail).toBe(`There is no worksheet with this code for student "${v.student}".`);
    // no content-length: the body arrives chunked and is counted as it comes
    const chunk = new TextEncoder().encode('x'.repeat(64 << 10));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({ pull(c) { if (sent++ < 24) c.enqueue(chunk); else c.close(); } });
    const streamed = await fetch(`${base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const grader = Grader.fromKey(key);
    grader.grade = () => { throw new Error('kaboom at /src/grade/grade.ts:12:3'); };
    const broken = createServer(createHandler({ grader, assets }));
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    try {
      const failed = await fetch(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: {} }) });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const text = await failed.text();
      expect(JSON.parse(text).detail).toBe('The server could not answer this request.');
      expect(text).not.toMatch(/kaboom|grade\.ts/);
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it('serves the page under its Content-Security-Policy, with nosniff on every answer', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await fetch(`${base}/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    expect(missing.headers.get('cache-control')).toBe('no-store');
  });

  it('returns 404 for an unknown worksheet code, as problem+json without a stack', async () => {
    const res = await post(JSON.stringify({ format: 'gradsheet.submission/1', worksheet: 'ZZZZ-ZZZZ', student: 'x', answers: {} }));
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect((await fetch(`${base}/api/v1/worksheets/ZZZZ-ZZZZ?student=nobody`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/grade`)).status).toBe(405);
  });

  it('shows a worksheet without any answer, and the key only to the teacher', async () => {
    const res = await fetch(`${base}/api/v1/worksheets/${v.code.toLowerCase()}?student=${encodeURIComponent(v.student)}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const a of JSON.parse(allAnswers) as unknown[]) {
      if (typeof a === 'number' && String(a).length > 8) expect(text).not.toContain(String(a));
    }
    expect(text).not.toMatch(/"answer"|"mistakes"/);
    // the page states what it accepts, as the printed sheet does
    expect(JSON.parse(text).acceptance).toBe('Give answers to 4 significant figures; an answer within 1% of the exact value is accepted, unless a part says otherwise.');
    expect((await fetch(`${base}/api/v1/keys/${v.code}`)).status).toBe(401);
    const keyRes = await fetch(`${base}/api/v1/keys/${v.code}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(keyRes.status).toBe(200);
    expect((await keyRes.json()).questions[0].parts[0].answer).toBe(v.questions[0]!.parts[0]!.answer);
  });

  it('never states an answer in feedback to a student', async () => {
    const wrong = Object.fromEntries(Object.keys(exact()).map((id) => [id, 0.123]));
    const r = await (await post(JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: wrong }))).json();
    const printed = v.questions.flatMap((q) => q.parts).map((p) => (typeof p.answer === 'number' ? String(Number(p.answer.toPrecision(4))) : '')).filter((s) => s.length > 4);
    for (const p of r.parts) for (const a of printed) expect(p.feedback).not.toContain(a);
  });

  it('keeps the small body limit for a made-up Authorization header, and answers a bad escape with 404', async () => {
    const big = JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: {}, pad: 'x'.repeat(3 << 20) });
    expect((await post(big, { 'content-type': 'application/json', authorization: 'x' })).status).toBe(413);
    expect((await fetch(`${base}/api/v1/worksheets/%E0%A4%A?student=s`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/worksheets/UUUU-UUUU?student=s`)).status).toBe(404);
    const wrongMethod = await fetch(`${base}/api/v1/grade`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('closes teacher routes with 403 on a server started without a token', async () => {
    const closed = createServer(createHandler({ grader: Grader.fromKey(key), assets }));
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/api/v1/keys/${v.code}`)).status).toBe(403);
    } finally {
      await new Promise<void>((r) => closed.close(() => r()));
    }
  });

  it('serves the JSON Schemas and a health check', async () => {
    expect((await (await fetch(`${base}/api/v1/schema/submission`)).json()).type).toBe('object');
    expect((await fetch(`${base}/api/v1/schema/other`)).status).toBe(404);
    // a server without a store says so (database: null)
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', database: null });
  });
});

describe('the self-check page in Chromium', () => {
  it('opens a worksheet by code, grades typed answers and names the mistake', async () => {
    const browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 390, height: 844 });
      const external: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
      await page.goto(`${base}/`);
      await page.type('#code', v.code.toLowerCase());
      await page.type('#student', v.student);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
      const q2 = v.questions[1]!;
      const fill = async (id: string, value: string) => page.type(`input[data-part="${id}"]`, value);
      // q1: right answers; q2.a right, q2.b a catalogued mistake, q2.c malformed
      for (const p of v.questions[0]!.parts) await fill(p.id, String(p.answer));
      await fill(q2.parts[0]!.id, String(q2.parts[0]!.answer));
      const mistake = q2.parts[1]!.mistakes![0]!;
      await fill(q2.parts[1]!.id, String(mistake.value));
      await fill(q2.parts[2]!.id, 'twelve');
      await page.click('#check');
      await page.waitForFunction(() => /Score:/.test(document.getElementById('score')!.textContent ?? ''));
      const feedback = async (id: string) => page.$eval(`[id="fb-${id}"]`, (el) => el.textContent ?? '');
      expect(await feedback(v.questions[0]!.parts[0]!.id)).toMatch(/^Correct/);
      expect(await feedback(q2.parts[1]!.id)).toContain(MISTAKES[mistake.id].explanation);
      expect(await feedback(q2.parts[2]!.id)).toMatch(/^Could not read/);
      const labels = await page.$$eval('input[data-part]', (els) => els.every((e) => (e.getAttribute('aria-label') ?? '').length > 0));
      expect(labels).toBe(true);
      expect(external).toEqual([]);
      // a server that keeps no submissions offers none: no Submit for credit, no attempts
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).hidden)).toBe(true);
      expect(await page.$eval('#attempts', (b) => (b as HTMLElement).hidden)).toBe(true);
      await page.screenshot({ path: join(process.env.TMPDIR ?? '/tmp', 'gradsheet-serve.png'), fullPage: true });
      // the student id is required (the submission schema): the page says so instead of sending
      await page.$eval('#student', (el) => { (el as HTMLInputElement).value = ''; });
      await page.focus('#code');
      await page.click('#check');
      await page.waitForFunction(() => /student id/.test(document.getElementById('score')!.textContent ?? ''));
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('the self-check page for a new student (issue 15), in Chromium', () => {
  const midterm = parseBank(JSON.parse(readFileSync('question-banks/midterm.json', 'utf8')));
  const mv = generateKeyVariants(midterm, practiceSecret('serve-15'), practiceStudents(2).map((id) => ({ id, name: id })));
  const mkey = answerKey(midterm, mv);
  const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
  let mserver: Server, mbase: string, browser: Browser;
  beforeAll(async () => {
    mserver = createServer(createHandler({ grader: Grader.fromKey(mkey), assets }));
    await new Promise<void>((r) => mserver.listen(0, '127.0.0.1', r));
    mbase = `http://127.0.0.1:${(mserver.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => mserver.close(() => r()));
  });

  const open = (page: Page, code: string, student: string) => openWorksheet(page, mbase, code, student);
  const values = answerValues;
  /** serious and critical axe violations, as "rule: target" lines */
  const axeSerious = async (page: Page) => {
    await page.addScriptTag({ content: axeSource });
    const found = await page.evaluate(async () => {
      const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
      return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    return found;
  };

  it('keeps a draft: Enter in the code or student box, Open worksheet again and a reload keep the answers; only Clear my answers clears them', async () => {
    const page = await browser.newPage();
    try {
      await page.setViewport({ width: 390, height: 844 });
      const w = mv[0]!;
      await open(page, w.code, w.student);
      const inputs = await page.$$('input[data-part]');
      await inputs[0]!.type('0,5');
      await inputs[1]!.type('1/2');
      const typed = await values(page);
      expect(typed.slice(0, 2)).toEqual(['0,5', '1/2']);
      // Enter in the code box, then in the student box, then the button: the same worksheet stays open, answers kept
      await page.focus('#code');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /answers are kept/.test(document.getElementById('open-status')!.textContent ?? ''));
      expect(await values(page)).toEqual(typed);
      await page.focus('#student');
      await page.keyboard.press('Enter');
      await page.click('#open button[type=submit]');
      await page.waitForFunction(() => /answers are kept/.test(document.getElementById('open-status')!.textContent ?? ''));
      expect(await values(page)).toEqual(typed);
      // a reload (or a closed tab) brings back the worksheet, the student id and the answers
      await page.reload();
      await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
      await page.waitForFunction(() => /back/.test(document.getElementById('open-status')!.textContent ?? ''));
      expect(await values(page)).toEqual(typed);
      expect(await page.$eval('#student', (e) => (e as HTMLInputElement).value)).toBe(w.student);
      // Clear my answers asks first: dismissed, nothing is cleared; accepted, everything is, for good
      page.once('dialog', (d) => void d.dismiss());
      await page.click('#clear');
      expect(await values(page)).toEqual(typed);
      page.once('dialog', (d) => void d.accept());
      await page.click('#clear');
      expect((await values(page)).every((x) => x === '')).toBe(true);
      await page.reload();
      await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
      expect((await values(page)).every((x) => x === '')).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('reads 0,5 and explains 1,234; says the status in words; moves focus to the score, which links to the parts needing attention', async () => {
    const page = await browser.newPage();
    try {
      await page.setViewport({ width: 1280, height: 900 });
      const w = mv[1]!;
      await open(page, w.code, w.student);
      const scalars = w.questions.flatMap((q) => q.parts).filter((p) => p.kind !== 'choice' && p.shape.length === 0 && typeof p.answer === 'number');
      const [right, ambiguous] = scalars;
      await page.type(`input[data-part="${right!.id}"]`, (right!.answer as number).toFixed(8).replace('.', ','));
      await page.type(`input[data-part="${ambiguous!.id}"]`, '1,234');
      await page.click('#check');
      await page.waitForFunction(() => /Score:/.test(document.getElementById('score')!.textContent ?? ''));
      const feedback = (id: string) => page.$eval(`[id="fb-${id}"]`, (el) => el.textContent ?? '');
      expect(await feedback(right!.id)).toMatch(/^Correct/);
      expect(await feedback(ambiguous!.id)).toMatch(/^Could not read.*could be 1\.234 or 1234: write 1\.234 with a point/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('score');
      const links = await page.$$eval('#score a', (as) => as.map((a) => a.textContent ?? ''));
      expect(links.length).toBeGreaterThan(0);
      expect(links.some((t) => /Could not read/.test(t))).toBe(true);
      expect(links.some((t) => /No answer/.test(t))).toBe(true);
      // a link takes the student to that part's answer box
      const target = await page.$eval('#score a', (a) => (a as HTMLElement).dataset.part);
      await page.click('#score a');
      expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.part ?? (document.activeElement as HTMLInputElement | null)?.name)).toBe(target);
      // each answer box is named by what it asks, not just "(a)"
      const names = await page.$$eval('input[data-part]', (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      expect(names.every((n) => /^Part \([a-z]\): \S/.test(n))).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('has MathML for assistive technology and no serious or critical axe violations, at 1280 and 390 px', async () => {
    for (const width of [1280, 390]) {
      const page = await browser.newPage();
      try {
        await page.setBypassCSP(true); // for axe's script only
        await page.setViewport({ width, height: 900 });
        const w = mv[0]!;
        await open(page, w.code, w.student);
        await page.click('#check');
        await page.waitForFunction(() => /Score:/.test(document.getElementById('score')!.textContent ?? ''), { timeout: 45_000 }).catch(async (e) => { throw new Error(`${e}: ${await page.$eval('#score', (x) => x.textContent)} / ${await page.$eval('#open-status', (x) => x.textContent)}`); });
        const math = await page.$$eval('math', (els) => els.length);
        const katex = await page.$$eval('.katex', (els) => els.length);
        expect(math).toBeGreaterThan(0);
        expect(math).toBe(katex);
        expect(await axeSerious(page), `at ${width} px`).toEqual([]);
      } finally {
        await page.close();
      }
    }
  }, 120_000);

  it('never scrolls the page sideways at 390 px: given data wraps, and a formula too wide scrolls in its own named box', async () => {
    const page = await browser.newPage();
    try {
      await page.setViewport({ width: 390, height: 844 });
      for (const w of mv) {
        await open(page, w.code, w.student);
        await page.evaluate(() => document.fonts.ready);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), w.code).toBeLessThanOrEqual(390);
        const cards = await page.$$eval('.question', (els) => els.map((e) => e.scrollWidth - e.clientWidth));
        expect(Math.max(...cards), w.code).toBeLessThanOrEqual(0);
        const scrolling = await page.$$eval('.given-line.scrolls', (els) => els.map((e) => [e.getAttribute('tabindex'), e.getAttribute('role'), e.getAttribute('aria-label')].join('|')));
        for (const s of scrolling) expect(s).toBe('0|region|formula, scrolls sideways');
        // a wrapped line hangs (text-indent -2em on the line) but nothing inside a formula is
        // indented: an inherited indent piles up a matrix's columns and brackets
        const indented = await page.$$eval('.given-line .katex-base, .given-line .katex-base *', (els) => els.filter((e) => getComputedStyle(e).textIndent !== '0px').length);
        expect(indented, w.code).toBe(0);
      }
      await page.screenshot({ path: join(process.env.TMPDIR ?? '/tmp', 'gradsheet-serve-390.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 60_000);
});
