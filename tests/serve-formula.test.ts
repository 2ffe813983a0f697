/**
 * Formula parts on the self-check page, in a real Chromium against a real `gradsheet serve` of the
 * shipped `derivations` bank (rnn.recursion): the formula box says which symbols it takes, reads
 * the formula back typeset as the student types (or says what it cannot read), and "Check my
 * answers" marks an equivalent formula right and names a catalogued mistake made as a formula;
 * no serious axe violation.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findChromium, practiceStudents } from '../src/index.js';
import { gradsheet } from './support/cli.js';
import { serveChild } from './support/serve-child.js';
import { tempDir } from './support/tmp.js';
import { openWorksheet } from './support/self-check-page.js';

const SEED = 'serve-formula';
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
let child: ChildProcess, base: string, browser: Browser, code: string;
const student = practiceStudents(1)[0]!;

beforeAll(async () => {
  const dir = tempDir('gradsheet-formula-');
  const made = gradsheet(['generate', '--bank', 'derivations', '--seed', SEED, '--count', '1', '--out', dir]);
  expect(made.code, made.stderr).toBe(0);
  code = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8')).variants[0].code;
  ({ child, base } = await serveChild(['--bank', 'derivations', '--seed', SEED, '--practice', '--data', join(dir, 'db')]));
  browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  child?.kill('SIGTERM');
});

const feedback = (page: Page, part: string) => page.$eval(`#fb-${part.replace('.', '\\.')}`, (e) => (e as HTMLElement).innerText);
const preview = (page: Page, part: string) => page.$eval(`#pv-${part.replace('.', '\\.')}`, (e) => (e as HTMLElement).innerText);

it('reads a formula back as it is typed, says what it cannot read, and marks formulas right or names the mistake', async () => {
  const page = await browser.newPage();
  // axe is injected as a script of its own: the page's CSP allows only its own
  await page.setBypassCSP(true);
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await openWorksheet(page, base, code, student);
  const box = (part: string) => `input.formula-input[data-part="${part}"]`;
  expect(await page.$$eval('input.formula-input', (els) => els.length)).toBeGreaterThanOrEqual(3);
  expect(await page.$eval('#fs-q1\\.a', (e) => (e as HTMLElement).textContent)).toMatch(/^A formula in .*Write products with \*/s);
  // (a) ∂s₁/∂U typed as a student would, read back typeset
  await page.type(box('q1.a'), '(1−s₁²)·x₁');
  await page.waitForFunction(() => /Reads as/.test(document.querySelector('#pv-q1\\.a')?.textContent ?? ''), { timeout: 10_000 });
  expect(await page.$eval('#pv-q1\\.a .katex-mathml', (e) => e.textContent)).toMatch(/s/);
  // (b) a symbol the part does not have: said at once, in a sentence
  await page.type(box('q1.b'), 'q_7 + 1');
  await page.waitForFunction(() => /not one of this part's symbols/.test(document.querySelector('#pv-q1\\.b')?.textContent ?? ''), { timeout: 10_000 });
  expect(await preview(page, 'q1.b')).toMatch(/The formula uses "q_7", which is not one of this part's symbols/);
  // (b) then the recursion without its tanh' factor: a catalogued mistake
  await page.$eval(box('q1.b'), (e) => { (e as HTMLInputElement).value = ''; });
  await page.type(box('q1.b'), 'x2 + W*D1');
  await page.click('#check');
  await page.waitForFunction(() => !document.querySelector('#fb-q1\\.a')?.hasAttribute('hidden'), { timeout: 20_000 });
  expect(await feedback(page, 'q1.a')).toMatch(/Correct/);
  expect(await feedback(page, 'q1.b')).toMatch(/tanh'/);
  expect(errors).toEqual([]);
  await page.addScriptTag({ content: axeSource });
  const serious = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => x.id);
  });
  expect(serious).toEqual([]);
  // a picture of the first question's formula parts, to look at
  const q1 = await page.$('#part-q1\\.a');
  await q1!.scrollIntoView();
  await page.screenshot({ path: join(process.env.TMPDIR ?? '/tmp', 'serve-formula.png'), fullPage: false });
  await page.close();
}, 90_000);
