/**
 * The LTI pages in a real Chromium, launched as an LMS launches them: a course page of the test
 * platform's own origin (tests/support/lti-platform.ts) frames the tool; the frame goes through the
 * OIDC login (GET /lti/login → the platform's auth endpoint → an auto-submitting form posting
 * id_token and state to /lti/launch), all done by the browser. The tool is a real `gradsheet serve
 * --lti-config …` child (tests/support/lti-tool.ts).
 *
 * The learner's page: no code or student id asked, the worksheet shown, a check with feedback, a
 * submission for credit with its confirmation and receipt, the score reaching the platform, the
 * draft back after a relaunch; no console error, no CSP violation (frame-ancestors included), no
 * serious axe violation. The instructor's view: the learner listed with attempts and counted score,
 * the gradebook downloaded by the browser. The Deep Linking bank picker posting back to the
 * platform. Screenshots in /tmp/lti-shots/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import puppeteer, { type Browser, type BrowserContext, type Frame, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../src/index.js';
import { DL_ITEMS, LTI, LtiPlatform, ROLE } from './support/lti-platform.js';
import { Tool, type KeyPart } from './support/lti-tool.js';
import { tempDir } from './support/tmp.js';

const SHOTS = '/tmp/lti-shots';
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const LEARNER = 'page-learner';

let platform: LtiPlatform, tool: Tool, browser: Browser, context: BrowserContext, downloads: string;
let lineitem: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  downloads = tempDir('gradsheet-lti-dl-');
  platform = await LtiPlatform.start();
  tool = await Tool.start({ platforms: platform.registrations(), args: ['--max-attempts', '3', '--counts', 'last'] });
  platform.useTool(tool.base);
  lineitem = platform.lineItemUrl(7, 1);
  browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  // one profile for every launch: a relaunch finds the draft the first launch kept on this device
  context = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await tool?.stop('SIGTERM');
  await platform?.close();
});

/** What went wrong in a page and its frames: console errors and warnings, uncaught errors, CSP violations, failed requests, HTTP errors. */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  // in every document of every frame, before its own scripts: CSP violations said on the console
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} in ${location.href}`);
    });
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()} (${m.location().url ?? ''})`); });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => {
    // a download is "aborted" as a navigation of the frame: not a failure
    if (/\/lti\/teacher\//.test(r.url()) && /ERR_ABORTED/.test(r.failure()?.errorText ?? '')) return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
  return problems;
}

/** Opens the platform's course page and waits for its frame to show the tool's answer to the launch. */
async function launchInFrame(page: Page, url: string | 'reload'): Promise<Frame> {
  if (url === 'reload') await page.reload(); else await page.goto(url);
  const launched = `${tool.base}/lti/launch`;
  const end = Date.now() + 20_000;
  for (;;) {
    const frame = page.frames().find((f) => f !== page.mainFrame() && f.url() === launched);
    if (frame) {
      await frame.waitForSelector('main', { timeout: 20_000 });
      return frame;
    }
    if (Date.now() > end) throw new Error(`the frame did not reach ${launched}: frames ${page.frames().map((f) => f.url()).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The frame element's height set to its document's, so that a full-page screenshot shows it all; its height. */
async function fitFrame(page: Page, frame: Frame): Promise<number> {
  const height = await frame.evaluate(() => document.documentElement.scrollHeight);
  await page.$eval('#tool', (f, h) => { (f as HTMLIFrameElement).style.height = `${h}px`; }, height);
  return height;
}
/** back to the LMS's frame height (a modal dialog is centred in the frame's own viewport) */
const unfitFrame = (page: Page) => page.$eval('#tool', (f) => { (f as HTMLIFrameElement).style.height = '900px'; });

/** A whole page's screenshot, plus its top and bottom 1400 px apart (the whole one is too tall to look at). */
async function shoot(page: Page, frame: Frame, name: string): Promise<void> {
  const height = (await fitFrame(page, frame)) + 40;
  await frame.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (height > 1600) {
    await page.screenshot({ path: join(SHOTS, `${name}-top.png`), clip: { x: 0, y: 0, width: 1280, height: 1400 }, captureBeyondViewport: true });
    await page.screenshot({ path: join(SHOTS, `${name}-bottom.png`), clip: { x: 0, y: height - 1400, width: 1280, height: 1400 }, captureBeyondViewport: true });
  }
  await unfitFrame(page);
}

/** serious and critical axe violations in a frame's document, as "rule: target" lines (axe evaluated by DevTools: the page's CSP is left on) */
async function axeSerious(frame: Frame): Promise<string[]> {
  await frame.evaluate(axeSource);
  return frame.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
}

const text = (frame: Frame, selector: string) => frame.$eval(selector, (e) => (e as HTMLElement).innerText ?? '');
const waitText = (frame: Frame, selector: string, pattern: RegExp) =>
  frame.waitForFunction((s, p) => new RegExp(p).test(document.querySelector(s)?.textContent ?? ''), { timeout: 20_000 }, selector, pattern.source)
    .catch(async (e) => { throw new Error(`${e}: ${selector} says "${await frame.$eval(selector, (x) => x.textContent).catch(() => '?')}"`); });
/** every answer box's value and every choice picked, in page order */
const answerState = (frame: Frame) => frame.$$eval('input[data-part], input[type=radio]', (els) => els.map((e) => {
  const i = e as HTMLInputElement;
  return i.type === 'radio' ? `${i.name}=${i.checked ? i.value : ''}` : `${i.dataset.part}|${i.dataset.r}|${i.dataset.c}=${i.value}`;
}));

const simple = (p: KeyPart) => typeof p.answer === 'number' || (typeof p.answer === 'string' && Array.isArray(p.choices));

/** Types or picks an answer in the page: the key's (right) or a wrong one. */
async function answer(frame: Frame, p: KeyPart, right: boolean): Promise<void> {
  if (Array.isArray(p.choices)) {
    const value = right ? String(p.answer) : p.choices.find((c) => c !== p.answer)!;
    const radio = await frame.$$('input[type=radio]').then(async (all) => {
      for (const r of all) if (await r.evaluate((e, name, v) => (e as HTMLInputElement).name === name && (e as HTMLInputElement).value === v, p.id, value)) return r;
      return undefined;
    });
    expect(radio, `a radio for ${p.id} = ${value}`).toBeDefined();
    await radio!.click();
    return;
  }
  const box = await frame.$(`input[data-part="${p.id}"]`);
  expect(box, `the box of ${p.id}`).not.toBeNull();
  await box!.type(right ? String(p.answer) : '987654.321');
}

async function toolJwks(): Promise<{ keys: JWK[] }> {
  return await (await fetch(`${tool.base}/.well-known/jwks.json`)).json() as { keys: JWK[] };
}

describe('a learner launched in the LMS frame', () => {
  let worksheet = '', student = '', receiptScore: [number, number] = [0, 0];
  let typed: string[] = [];

  it('shows the worksheet without asking for a code or a student id; check, submit for credit, receipt; the platform gets the receipt\'s score; no console error, CSP violation or serious axe violation', async () => {
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      await page.setViewport({ width: 1280, height: 1000 });
      const url = platform.framePage(tool.base, { sub: LEARNER, roles: [ROLE.learner], lineitem, resourceLink: { id: 'rl-page', title: 'Midterm (LTI)' }, custom: { bank: 'midterm' } });
      const frame = await launchInFrame(page, url);
      // the browser did the whole login: the platform's auth endpoint was asked, and found nothing wrong
      const launch = [...platform.browserLaunches.values()].find((l) => l.options.sub === LEARNER)!;
      expect(launch.problems).toEqual([]);
      expect(launch.idToken).toBeTruthy();

      await frame.waitForSelector('#sheet:not([hidden]) input[data-part]', { timeout: 20_000 });
      // no code or student id to type: that form is hidden, and nothing asks for them
      expect(await frame.$eval('#open', (f) => (f as HTMLElement).hidden)).toBe(true);
      expect(await frame.$eval('#open', (f) => (f as HTMLElement).offsetParent)).toBeNull();
      const visible = await frame.evaluate(() => document.body.innerText);
      expect(visible).not.toMatch(/Type (your|the) (student id|worksheet code)/i);
      expect(visible).not.toMatch(/Open worksheet/);
      expect(await frame.$eval('h1', (h) => h.textContent)).toBe('Midterm: recurrent networks and BPTT');

      const token = await frame.$eval('meta[name="gradsheet-session"]', (m) => m.getAttribute('content')!);
      const session = await tool.session(token);
      worksheet = session.worksheet;
      student = session.student;
      expect(await frame.$eval('#code', (e) => (e as HTMLInputElement).value)).toBe(worksheet);
      await waitText(frame, '#attempts-summary', /^Attempts used: 0 of 3 · the last counts · no due time$/);
      await waitText(frame, '#attempts-status', /^No attempts yet\.$/);
      // the course's part stays said once the attempts are loaded
      expect(await text(frame, '#session-note')).toBe(`Worksheet ${worksheet}. Your score for credit is sent to your course's gradebook.`);

      // two simple parts right, one wrong, the rest blank
      const parts = await tool.parts(worksheet);
      const chosen = parts.filter(simple).slice(0, 3);
      expect(chosen).toHaveLength(3);
      await answer(frame, chosen[0]!, true);
      await answer(frame, chosen[1]!, true);
      await answer(frame, chosen[2]!, false);
      typed = await answerState(frame);

      // a check: feedback beside each part, the score
      await frame.click('#check');
      await waitText(frame, '#score', /Score: \d+ \/ \d+/);
      expect(await text(frame, `[id="fb-${chosen[0]!.id}"]`)).toMatch(/^Correct/);
      expect(await text(frame, `[id="fb-${chosen[1]!.id}"]`)).toMatch(/^Correct/);
      expect(await text(frame, `[id="fb-${chosen[2]!.id}"]`)).toMatch(/^Not right yet/);
      expect(await text(frame, '#score')).toMatch(/parts? needs? attention/);
      expect((await tool.session(token)).attemptsUsed).toBe(0); // a check is no attempt

      expect(await axeSerious(frame)).toEqual([]);
      await shoot(page, frame, 'student-checked');

      // submit for credit: the confirmation, then the receipt
      await frame.click('#submit-credit');
      await frame.waitForSelector('dialog#confirm[open]');
      expect(await text(frame, '#confirm-plan')).toContain('Attempt 1 of 3: the last attempt counts.');
      await frame.click('#confirm-yes');
      await waitText(frame, '#receipt', /Received: attempt 1 of 3/);
      const receipt = await text(frame, '#receipt');
      const m = /Score\s+(\d+(?:\.\d+)?) \/ (\d+(?:\.\d+)?)/.exec(receipt);
      expect(m, receipt).not.toBeNull();
      receiptScore = [Number(m![1]), Number(m![2])];
      expect(receiptScore[0]).toBeGreaterThan(0);
      expect(receiptScore[0]).toBeLessThan(receiptScore[1]);
      expect(receipt).toContain('2 attempts left');
      await waitText(frame, '#attempts-summary', /^Attempts used: 1 of 3/);
      expect(await answerState(frame)).toEqual(typed);

      // the platform holds the receipt's score for this user on the launch's line item
      const held = await platform.waitFor(() => platform.scoreOf(lineitem, LEARNER), 20_000, 'the learner\'s score');
      expect([held.scoreGiven, held.scoreMaximum]).toEqual(receiptScore);
      expect(held.gradingProgress).toBe('FullyGraded');
      expect(platform.scorePosts.flatMap((p) => p.problems)).toEqual([]);

      expect(await axeSerious(frame)).toEqual([]);
      await shoot(page, frame, 'student-submitted');
      // the viewport as a student sees it in the LMS, receipt scrolled into view
      await frame.$eval('#receipt', (r) => r.scrollIntoView({ block: 'center' }));
      await page.screenshot({ path: join(SHOTS, 'student-receipt-viewport.png') });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('a relaunch from the course, and a reload of the course page (a launch again), bring the draft answers and the attempt back; a reload of the frame alone is blocked by the page\'s form-action CSP and leaves it as it was', async () => {
    expect(typed.length).toBeGreaterThan(0);
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      await page.setViewport({ width: 1280, height: 1000 });
      const back = async (frame: Frame) => {
        await frame.waitForSelector('#sheet:not([hidden]) input[data-part]', { timeout: 20_000 });
        expect(await frame.$eval('#code', (e) => (e as HTMLInputElement).value)).toBe(worksheet);
        expect(await answerState(frame)).toEqual(typed);
        await waitText(frame, '#attempts-summary', /^Attempts used: 1 of 3/);
        await waitText(frame, '#attempts-list', new RegExp(`Attempt 1: ${receiptScore[0]} / ${receiptScore[1]}`));
      };
      // a new launch from the course
      await back(await launchInFrame(page, platform.framePage(tool.base, { sub: LEARNER, lineitem, resourceLink: { id: 'rl-page', title: 'Midterm (LTI)' }, custom: { bank: 'midterm' } })));
      // F5 in the course: the LMS page is loaded again and launches the tool again
      const frame = await launchInFrame(page, 'reload');
      await back(frame);
      expect(problems).toEqual([]);

      // the frame alone reloaded: the browser would post the launch again (a nonce used already), and
      // the page's own CSP (form-action 'none') blocks that post: the page stays, answers and all
      await frame.evaluate(() => location.reload());
      await new Promise((r) => setTimeout(r, 1500));
      const still = page.frames().find((f) => f !== page.mainFrame())!;
      expect(still.url()).toBe(`${tool.base}/lti/launch`);
      expect(await answerState(still)).toEqual(typed);
      expect(await still.evaluate(() => document.body.innerText)).not.toMatch(/used already/);
      expect(problems.length, problems.join('\n')).toBeGreaterThan(0);
      for (const p of problems) expect(p).toMatch(/form-action/);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('a launch from a page of another origin is refused by the frame-ancestors CSP (the browser does not show the tool)', async () => {
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      // the same platform page, under http://localhost:port: another origin than the registered one
      const url = platform.framePage(tool.base, { sub: 'framed-elsewhere', lineitem }).replace('://127.0.0.1:', '://localhost:');
      await page.goto(url);
      await new Promise((r) => setTimeout(r, 1500));
      const child = page.frames().find((f) => f !== page.mainFrame());
      const shown = child ? await child.evaluate(() => document.querySelector('meta[name="gradsheet-session"]') !== null).catch(() => false) : false;
      expect(shown).toBe(false);
      expect(problems.join('\n')).toMatch(/frame-ancestors/);
    } finally {
      await page.close();
    }
  }, 60_000);

  describe('the instructor\'s view of the same link', () => {
    it('lists the learner with attempts and counted score; "Download the gradebook (CSV)" downloads it in the browser', async () => {
      expect(student).not.toBe('');
      const page = await context.newPage();
      const problems = await watch(page);
      try {
        await page.setViewport({ width: 1280, height: 900 });
        const frame = await launchInFrame(page, platform.framePage(tool.base, { sub: 'page-teacher', roles: [ROLE.instructor], lineitem, resourceLink: { id: 'rl-page', title: 'Midterm (LTI)' }, custom: { bank: 'midterm' } }));
        await frame.waitForSelector('table', { timeout: 20_000 });
        expect(await frame.$eval('h1', (h) => h.textContent)).toBe('Teacher view: Midterm (LTI)');
        const rows = await frame.$$eval('tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
        const row = rows.find((r) => r[1] === student);
        expect(row, JSON.stringify(rows)).toBeDefined();
        expect(row![0]).toBe('Ada Lovelace');
        expect(row![2]).toBe(worksheet);
        expect(row![3]).toBe('1');
        expect(row![4]).toBe(`${receiptScore[0]} / ${receiptScore[1]}`);
        expect(row![5]).toMatch(new RegExp(`^sent ${receiptScore[0]} / ${receiptScore[1]}, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`));
        expect(await frame.$$('input[data-part]')).toHaveLength(0);

        expect(await axeSerious(frame)).toEqual([]);
        await shoot(page, frame, 'teacher-view');

        // the browser posts the form and saves the file it answers with
        const answered = page.waitForResponse((r) => r.url() === `${tool.base}/lti/teacher/gradebook.csv`, { timeout: 20_000 });
        const button = await frame.waitForSelector('form[action="/lti/teacher/gradebook.csv"] button');
        expect(await button!.evaluate((b) => b.textContent)).toBe('Download the gradebook (CSV)');
        await button!.click();
        const res = await answered;
        expect(res.status()).toBe(200);
        expect(res.headers()['content-type']).toMatch(/^text\/csv/);
        expect(res.headers()['content-disposition']).toMatch(/attachment; filename="gradebook.csv"/);
        expect(res.request().postData()).toMatch(/^session=[\w.-]+$/);
        const file = join(downloads, 'gradebook.csv');
        const end = Date.now() + 20_000;
        while (!existsSync(file) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        const csv = readFileSync(file, 'utf8');
        const lines = csv.trim().split(/\r?\n/);
        expect(lines.length, csv).toBeGreaterThanOrEqual(2);
        const mine = lines.find((l) => l.includes(student) && l.includes(worksheet));
        expect(mine, csv).toBeDefined();
        expect(mine).toContain(String(receiptScore[0]));
        // the teacher page stays where it was (a download does not navigate the frame away)
        expect(frame.url()).toBe(`${tool.base}/lti/launch`);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }, 60_000);
  });
});

describe('Deep Linking in the LMS frame', () => {
  it('the bank picker: screenshot, axe; "Add this assignment" posts a signed LtiDeepLinkingResponse to the platform by itself', async () => {
    const page = await context.newPage();
    const problems = await watch(page);
    try {
      await page.setViewport({ width: 1280, height: 900 });
      const frame = await launchInFrame(page, platform.framePage(tool.base, { sub: 'dl-teacher', roles: [ROLE.instructor], messageType: 'LtiDeepLinkingRequest', resourceLink: null, deepLinking: { returnUrl: platform.deepLinkReturnUrl, data: 'dl-data-page' } }));
      await frame.waitForSelector('form[action="/lti/deep-link"]', { timeout: 20_000 });
      const banks = await frame.$$eval('input[name=bank]', (r) => r.map((x) => [(x as HTMLInputElement).value, (x as HTMLInputElement).checked]));
      expect(banks.map(([v]) => v)).toContain('midterm');
      expect(banks.filter(([, c]) => c)).toEqual([['midterm', true]]);
      expect(await axeSerious(frame)).toEqual([]);
      await shoot(page, frame, 'deep-link-picker');

      await frame.click('form[action="/lti/deep-link"] button[type=submit]');
      const back = await platform.waitFor(() => platform.deepLinkReturns[0], 20_000, 'the Deep Linking response');
      const { payload } = await jwtVerify(back.form.JWT!, createLocalJWKSet(await toolJwks()), { issuer: platform.clientId, audience: platform.issuer, algorithms: ['RS256'] });
      expect(payload[`${LTI}message_type`]).toBe('LtiDeepLinkingResponse');
      expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data']).toBe('dl-data-page');
      const items = payload[DL_ITEMS] as { type: string; custom?: Record<string, string> }[];
      expect(items.map((i) => [i.type, i.custom?.bank])).toEqual([['ltiResourceLink', 'midterm']]);
      // the frame went back to the platform
      await page.waitForFrame((f) => f.url() === platform.deepLinkReturnUrl, { timeout: 20_000 });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
