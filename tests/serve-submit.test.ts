/**
 * Submitting for credit from the page, in a real Chromium against a real `gradsheet serve` child
 * (dist/cli.js, SQLite in a temporary --data folder): the confirmation says what will happen, the
 * receipt, the attempts list, the button closed when no attempts are left, the server's refusal
 * shown in its own words, drafts never lost; a due time passed with late submissions refused.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerKey, findChromium, generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { serveChild } from './support/serve-child.js';
import { tempDir } from './support/tmp.js';
import { answerValues, openWorksheet } from './support/self-check-page.js';

const SEED = 'serve-submit';
const bank = parseBank(JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')));
const variants = generateKeyVariants(bank, practiceSecret(SEED), practiceStudents(3).map((id) => ({ id, name: id })));
const key = answerKey(bank, variants);
const TOKEN = 'teacher-token-submit-0123456789';
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const shots = process.env.TMPDIR ?? '/tmp';

interface Served { child: ChildProcess; base: string; data: string }
const children: ChildProcess[] = [];

/** `gradsheet serve` on a free port with its own database; resolves once it says where it listens */
async function serve(policy: string[]): Promise<Served> {
  const data = tempDir('gradsheet-submit-');
  const tokenFile = join(data, 'token');
  writeFileSync(tokenFile, TOKEN);
  const { child, base } = await serveChild(['--bank', 'bptt-basics', '--seed', SEED, '--practice', '--data', join(data, 'db'), '--token-file', tokenFile, ...policy]);
  children.push(child);
  return { child, base, data };
}

/** what the teacher sees stored for a worksheet */
async function stored(s: Served, worksheet: string): Promise<{ id: string; attempt: number; kind: string; client: string; student: string; score: number; late: boolean }[]> {
  const res = await fetch(`${s.base}/api/v1/submissions?worksheet=${worksheet}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()).submissions;
}

let open2: Served, closed: Served, browser: Browser;
beforeAll(async () => {
  [open2, closed] = await Promise.all([serve(['--max-attempts', '2']), serve(['--max-attempts', '2', '--due', '2020-01-06T09:00:00Z', '--late', 'refuse'])]);
  browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all(children.map((c) => new Promise<void>((r) => { if (c.exitCode !== null) return r(); c.once('exit', () => r()); c.kill('SIGTERM'); })));
});

const open = openWorksheet;
const text = (page: Page, selector: string) => page.$eval(selector, (e) => (e as HTMLElement).innerText ?? '');
const values = answerValues;
const waitText = (page: Page, selector: string, pattern: RegExp) =>
  page.waitForFunction((s, p) => new RegExp(p).test(document.querySelector(s)?.textContent ?? ''), { timeout: 20_000 }, selector, pattern.source)
    .catch(async (e) => { throw new Error(`${e}: ${selector} says "${await page.$eval(selector, (x) => x.textContent).catch(() => '?')}" (attempts: "${await page.$eval('#attempts-status', (x) => x.textContent).catch(() => '?')}")`); });
/** serious and critical axe violations, as "rule: target" lines */
async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
}
/** clicks Submit for credit, checks the confirmation names attempt `n`, and confirms */
async function submit(page: Page, n: number, of: number): Promise<string> {
  await page.click('#submit-credit');
  await page.waitForSelector('dialog#confirm[open]');
  const plan = await text(page, '#confirm-plan');
  expect(plan).toContain(`Attempt ${n} of ${of}: the last attempt counts.`);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-no');
  await page.click('#confirm-yes');
  await waitText(page, '#receipt', new RegExp(`Received: attempt ${n} of ${of}`));
  return plan;
}
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('submitting for credit from the page (serve --max-attempts 2)', () => {
  it('confirms, submits twice with a receipt each time, lists the attempts, then closes the button; the server stored both; drafts stay', async () => {
    const page = await browser.newPage();
    try {
      await page.setBypassCSP(true); // for axe's script only
      await page.setViewport({ width: 1280, height: 900 });
      const w = variants[0]!, k = key.variants[0]!;
      await open(page, open2.base, w.code, w.student);
      await waitText(page, '#attempts-summary', /^Attempts used: 0 of 2 · the last counts · no due time$/);
      // the first part right, the second wrong: a draft on this device
      const [p1, p2] = k.questions[0]!.parts;
      await page.type(`input[data-part="${p1!.id}"]`, String(p1!.answer));
      await page.type(`input[data-part="${p2!.id}"]`, '0.123');
      const typed = await values(page);

      // "Not yet" sends nothing
      await page.click('#submit-credit');
      await page.waitForSelector('dialog#confirm[open]');
      expect(await page.$eval('dialog#confirm', (d) => d.getAttribute('aria-labelledby'))).toBe('confirm-h');
      await page.click('#confirm-no');
      expect(await page.$eval('dialog#confirm', (d) => (d as HTMLDialogElement).open)).toBe(false);
      expect(await stored(open2, w.code)).toEqual([]);

      const plan = await submit(page, 1, 2);
      expect(plan).toContain('There is no due time.');
      // the receipt is focused (read out at once) and holds what to keep
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('receipt');
      const receipt1 = await text(page, '#receipt');
      const id1 = UUID.exec(receipt1)?.[0];
      expect(id1).toBeDefined();
      expect(receipt1).toMatch(/Received\s+\S/);
      expect(receipt1).toMatch(/Score\s+\d+ \/ \d+/);
      expect(receipt1).toContain('1 attempt left');
      // the feedback is shown as for a check
      expect(await text(page, `[id="fb-${p1!.id}"]`)).toMatch(/^Correct/);
      expect(await text(page, `[id="fb-${p2!.id}"]`)).toMatch(/^Not right yet/);
      expect(await text(page, '#score')).toMatch(/Score: \d+ \/ \d+/);
      await waitText(page, '#attempts-summary', /^Attempts used: 1 of 2/);
      expect(await page.$$eval('#attempts-list li', (li) => li.length)).toBe(1);

      const plan2 = await submit(page, 2, 2);
      expect(plan2).toContain('This is your last attempt.');
      const receipt2 = await text(page, '#receipt');
      const id2 = UUID.exec(receipt2)?.[0];
      expect(id2).toBeDefined();
      expect(id2).not.toBe(id1);
      expect(receipt2).toContain('no attempts left');
      await waitText(page, '#attempts-summary', /^Attempts used: 2 of 2/);
      const listed = await page.$$eval('#attempts-list li', (li) => li.map((x) => x.textContent ?? ''));
      expect(listed).toHaveLength(2);
      expect(listed[0]).toMatch(/^Attempt 1: \d+ \/ \d+, received .*\d\d:\d\d/);
      expect(listed[1]).toMatch(/^Attempt 2: \d+ \/ \d+, received /);
      // no attempts left: the button is disabled, and says why
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(await text(page, '#submit-reason')).toMatch(/used all 2 attempts/);
      expect(await values(page)).toEqual(typed);

      // the server really stored both, as the page's submissions, with the receipts' ids
      const rows = await stored(open2, w.code);
      expect(rows.map((r) => [r.attempt, r.kind, r.client, r.student, r.id])).toEqual([[1, 'submission', 'page', w.student, id1], [2, 'submission', 'page', w.student, id2]]);

      expect(await axeSerious(page)).toEqual([]);
      await page.screenshot({ path: join(shots, 'gradsheet-submit-1280.png'), fullPage: true });

      // a reload: the answers are back, and so are the attempts and the closed button
      await page.reload();
      await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
      await waitText(page, '#attempts-summary', /^Attempts used: 2 of 2/);
      expect(await values(page)).toEqual(typed);
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('at 390 px: no sideways scroll with the confirmation and the receipt; a submission refused (attempts used elsewhere) shows the server\'s sentence and keeps the answers', async () => {
    const page = await browser.newPage();
    try {
      await page.setBypassCSP(true);
      await page.setViewport({ width: 390, height: 844 });
      const w = variants[1]!;
      await open(page, open2.base, w.code, w.student);
      await waitText(page, '#attempts-summary', /^Attempts used: 0 of 2/);
      const first = key.variants[1]!.questions[0]!.parts[0]!;
      await page.type(`input[data-part="${first.id}"]`, String(first.answer));
      const typed = await values(page);
      await page.click('#submit-credit');
      await page.waitForSelector('dialog#confirm[open]');
      const fits = () => page.evaluate(() => document.documentElement.scrollWidth);
      expect(await fits()).toBeLessThanOrEqual(390);
      expect(await page.$eval('dialog#confirm', (d) => d.getBoundingClientRect().right)).toBeLessThanOrEqual(390);
      expect(await axeSerious(page)).toEqual([]);
      await page.click('#confirm-yes');
      await waitText(page, '#receipt', /Received: attempt 1 of 2/);
      expect(await fits()).toBeLessThanOrEqual(390);
      const receiptBox = await page.$eval('#receipt', (r) => [r.scrollWidth, r.clientWidth]);
      expect(receiptBox[0]).toBeLessThanOrEqual(receiptBox[1]!);
      await page.$eval('#receipt', (r) => r.scrollIntoView());
      await page.screenshot({ path: join(shots, 'gradsheet-submit-390.png'), fullPage: true });

      // the second attempt is made elsewhere (another device): this page still thinks one is left
      const res = await fetch(`${open2.base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet: w.code, student: w.student, answers: {} }) });
      expect(res.status).toBe(201);
      await page.click('#submit-credit');
      await page.waitForSelector('dialog#confirm[open]');
      await page.click('#confirm-yes');
      await waitText(page, '#score', /You have used all 2 attempts for worksheet .+; nothing was recorded\./);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('score');
      expect(await values(page)).toEqual(typed);
      await waitText(page, '#attempts-summary', /^Attempts used: 2 of 2/);
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect((await stored(open2, w.code)).map((r) => [r.attempt, r.client])).toEqual([[1, 'page'], [2, 'api']]);
      expect(await fits()).toBeLessThanOrEqual(390);
      expect(await axeSerious(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('a due time passed with late submissions refused (--due in the past, --late refuse)', () => {
  it('says submissions are closed, keeps the button disabled with the reason, and nothing is stored', async () => {
    const page = await browser.newPage();
    try {
      await page.setBypassCSP(true);
      await page.setViewport({ width: 390, height: 844 });
      const w = variants[2]!;
      await open(page, closed.base, w.code, w.student);
      await waitText(page, '#attempts-summary', /^Attempts used: 0 of 2 · the last counts · was due .+2020.+; submissions are closed$/);
      expect(await text(page, '#submit-reason')).toMatch(/^The due time \(.+2020.+\) has passed; submissions are closed\.$/);
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      await page.type('input[data-part]', '0.5');
      await page.click('#submit-credit');
      expect(await page.$eval('dialog#confirm', (d) => (d as HTMLDialogElement).open)).toBe(false);
      // a check still works: it is not an attempt, and nothing is stored
      await page.click('#check');
      await waitText(page, '#score', /Score:/);
      expect(await stored(closed, w.code)).toEqual([]);
      expect(await values(page)).toContain('0.5');
      expect(await axeSerious(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('a due time passed with late submissions flagged, unlimited attempts, checks recorded', () => {
  it('says the submission will be recorded as late, records it so, and records the page\'s check as a check', async () => {
    const late = await serve(['--due', '2020-01-06T09:00:00Z', '--late', 'flag', '--record-checks']);
    const page = await browser.newPage();
    try {
      await page.setViewport({ width: 1280, height: 900 });
      const w = variants[2]!;
      await open(page, late.base, w.code, w.student);
      await waitText(page, '#attempts-summary', /^Attempts used: 0 \(unlimited\) · the last counts · was due .+; submissions now are recorded as late$/);
      await page.click('#check');
      await waitText(page, '#score', /Score:/);
      await page.click('#submit-credit');
      await page.waitForSelector('dialog#confirm[open]');
      const plan = await text(page, '#confirm-plan');
      expect(plan).toContain('Attempt 1 (unlimited attempts): the last attempt counts.');
      expect(plan).toMatch(/Late: this submission will be recorded as late\./);
      await page.click('#confirm-yes');
      await waitText(page, '#receipt', /Received: attempt 1(?!\d)/);
      expect(await text(page, '#receipt')).toMatch(/Attempt\s+1 \(late\)/);
      await waitText(page, '#attempts-list', /Attempt 1: \d+ \/ \d+ \(late\)/);
      expect(await page.$eval('#submit-credit', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
      expect((await stored(late, w.code)).map((r) => [r.kind, r.client, r.late])).toEqual([['check', 'page', true], ['submission', 'page', true]]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
