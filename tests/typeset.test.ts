/**
 * "Typeset everywhere": titles and choice labels go through the same math rendering as prompts
 * (src/render/typeset.ts), the page header gets a readable Unicode form, the chart's axis titles
 * are set as SVG text with italic variables and raised scripts (src/render/tex-plain.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerKey, findChromium, generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { Grader } from '../src/grade/grade.js';
import { escapeHtml } from '../src/html.js';
import { NEAR_ONE_CHOICES, PATH_CHOICES, STEER_CHOICES } from '../src/problems/concept-memory.js';
import { REGIMES } from '../src/problems/rnn-long-range.js';
import { perStepChart } from '../src/render/chart.js';
import { renderTex, renderTexForPage } from '../src/render/math.js';
import { sheetView } from '../src/render/sheets.js';
import { texToSvg, texToUnicode } from '../src/render/tex-plain.js';
import { titleHtml, titleSegments, titleText } from '../src/render/typeset.js';
import { createHandler } from '../src/server/app.js';
import { gradsheet, ROOT } from './support/cli.js';
import { tempDir } from './support/tmp.js';

/** Titles people type that are not math: escaped text, no KaTeX. */
const PLAIN = [
  'Twenty steps back', 'A vector RNN forward pass', 'BPTT in the scalar RNN', 'Midterm: recurrent networks and BPTT', 'The LSTM cell path',
  'BPTT basics: the T = 3 scalar RNN', 'LSTM memory: gates, the cell path and dL3/dWhf', 'Vanishing and exploding gradients over many steps',
  'Ten steps back', 'State Jacobians', 'I/O and the x-axis', 'A = B', 'e.g. one step', 'C++ and 1/2 of it', 'Σύνοψη', 'Ω',
  'tanh_prime and hidden_size', 'a_long name', 'the forget-gate path', 'Cost $5', 'Step 3.', '循环神经网络的反向传播（第 3 题）',
];

/** Titles with math: segments, the TeX of each run as it is expected. */
const MATH: [string, ({ text: string } | { math: string })[]][] = [
  ['W_hf', [{ math: 'W_{hf}' }]],
  ['L_T', [{ math: 'L_T' }]],
  ['∂L₃/∂W_hf', [{ math: '\\partial L_3/\\partial W_{hf}' }]],
  ['Σ_t', [{ math: '\\sum_t' }]],
  ['∑_{t=1}^T L_t', [{ math: '\\sum_{t=1}^T L_t' }]],
  ['S_{j-1}', [{ math: 'S_{j-1}' }]],
  ['h_(t−1)', [{ math: 'h_{t-1}' }]],
  ['U^(k)', [{ math: 'U^{(k)}' }]],
  ['x² + 1', [{ math: 'x^2+1' }]],
  ['10⁻³ steps', [{ math: '10^{-3}' }, { text: ' steps' }]],
  ['The notes\' ∂L₃/∂W_hf', [{ text: 'The notes\' ' }, { math: '\\partial L_3/\\partial W_{hf}' }]],
  ['The per-step terms of ∂L₃/∂U', [{ text: 'The per-step terms of ' }, { math: '\\partial L_3/\\partial U' }]],
  ['The LSTM cell Jacobian ∂c_t/∂c_{t−1}', [{ text: 'The LSTM cell Jacobian ' }, { math: '\\partial c_t/\\partial c_{t-1}' }]],
  ['|∂L/∂U^(k)| by step', [{ math: '|\\partial L/\\partial U^{(k)}|' }, { text: ' by step' }]],
  ['W_hf, W_hi and W_hg', [{ math: 'W_{hf}' }, { text: ', ' }, { math: 'W_{hi}' }, { text: ' and ' }, { math: 'W_{hg}' }]],
  ['the forget-gate path (through W_hf)', [{ text: 'the forget-gate path (through ' }, { math: 'W_{hf}' }, { text: ')' }]],
  ['σ_t and σ²', [{ math: '\\sigma_t' }, { text: ' and ' }, { math: '\\sigma^2' }]],
  ['第 3 题：∂L₃/∂W_hf', [{ text: '第 3 题：' }, { math: '\\partial L_3/\\partial W_{hf}' }]],
  // $…$ is rich text, as in prompts: its math as written, the rest left alone (W_hf in the text too)
  ['The $\\partial L_3/\\partial W_{hf}$ term, not W_hf', [{ text: 'The ' }, { math: '\\partial L_3/\\partial W_{hf}' }, { text: ' term, not W_hf' }]],
];

/** The HTML the segments should give: text escaped, math typeset by the prompts' renderer. */
const expectedHtml = (segments: ({ text: string } | { math: string })[]) => segments.map((s) => ('text' in s ? escapeHtml(s.text) : renderTex(s.math))).join('');

describe('titles typeset (titleHtml)', () => {
  it.each(PLAIN)('leaves %j as escaped text', (title) => {
    expect(titleSegments(title)).toEqual([{ text: title }]);
    expect(titleHtml(title)).toBe(escapeHtml(title));
    expect(titleHtml(title)).not.toContain('katex');
  });

  it.each(MATH)('typesets %j', (title, segments) => {
    expect(titleSegments(title)).toEqual(segments);
    const html = titleHtml(title);
    expect(html).toContain('class="katex"');
    expect(html).toBe(expectedHtml(segments));
  });

  it('escapes HTML in the text around the math', () => {
    const html = titleHtml('<b>&"x"</b> W_hf');
    expect(html.startsWith('&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt; <span class="katex">')).toBe(true);
    expect(html).not.toContain('<b>');
  });

  it('reports a $…$ title KaTeX cannot typeset as the bank\'s fault, naming it', () => {
    expect(() => titleHtml('Bad $\\frac{1$ title')).toThrow(/The title "Bad \$\\\\frac\{1\$ title" has math KaTeX cannot typeset/);
  });
});

describe('titles as plain Unicode, for the page header (titleText)', () => {
  it.each([
    ['∂L₃/∂W_hf', '∂L₃/∂W(hf)'],
    ['W_hf', 'W(hf)'],
    ['L_T', 'L(T)'],
    ['L_3 and x^2', 'L₃ and x²'],
    ['S_{j-1}', 'S(j−1)'],
    ['U^(k)', 'U⁽ᵏ⁾'],
    ['∑_{t=1}^T L_t', '∑(t=1)ᵀ L(t)'],
    ['The $\\partial L_3/\\partial W_{hf}$ term', 'The ∂L₃/∂W(hf) term'],
    ['$\\frac{\\partial L}{\\partial U} = \\sum_k x_k$', '∂L/∂U = ∑(k) x(k)'],
    ['$\\mathrm{diag}(x)\\,\\text{for all } t$', 'diag(x) for all t'],
    ['Twenty steps back', 'Twenty steps back'],
    ['循环神经网络', '循环神经网络'],
  ])('%j → %j', (title, text) => {
    expect(titleText(title)).toBe(text);
  });
});

describe('choices: typeset for display, the values graded unchanged', () => {
  it('typesets the weights in every choice that names one, and leaves words as words', () => {
    for (const c of [...PATH_CHOICES, ...STEER_CHOICES]) expect(titleHtml(c), c).toContain('class="katex"');
    for (const c of [...NEAR_ONE_CHOICES, ...REGIMES]) expect(titleHtml(c), c).toBe(escapeHtml(c));
  });

  it('gives the sheet view each choice as its value and its typeset HTML', () => {
    const bank = parseBank(JSON.parse(readFileSync(join(ROOT, 'question-banks/midterm.json'), 'utf8')));
    const [variant] = generateKeyVariants(bank, practiceSecret('t'), practiceStudents(1).map((id) => ({ id, name: id })));
    const view = sheetView(bank, variant!, false);
    const parts = view.questions.flatMap((q) => q.parts).filter((p) => p.kind === 'choice');
    expect(parts.length).toBeGreaterThan(0);
    for (const p of parts) for (const c of p.choices) expect(c.html).toBe(titleHtml(c.value));
    expect(parts.flatMap((p) => p.choices.map((c) => c.value))).toContain('the forget-gate path (through W_hf)');
    expect(view.questions.find((q) => q.id === 'q7')!.titleHtml).toBe(titleHtml('∂L₃/∂W_hf'));
    expect(view.bankTitle).toBe('Midterm: recurrent networks and BPTT');
  });
});

describe('the chart\'s axis titles as SVG text', () => {
  it('sets variables in italic, scripts smaller and shifted, ∂ and digits upright, all escaped', () => {
    expect(texToSvg('|\\partial L_{20}/\\partial U^{(k)}|')).toBe(
      '|∂<tspan font-style="italic">L</tspan><tspan baseline-shift="sub" font-size="75%">20</tspan>/∂<tspan font-style="italic">U</tspan>' +
      '<tspan baseline-shift="super" font-size="75%">(<tspan font-style="italic">k</tspan>)</tspan>|');
    expect(texToSvg('a<b \\text{& c}')).toBe('<tspan font-style="italic">a</tspan> &lt; <tspan font-style="italic">b</tspan>&amp; c');
    expect(texToUnicode('|\\partial L_{20}/\\partial U^{(k)}|')).toBe('|∂L₂₀/∂U⁽ᵏ⁾|');
  });

  it('prints no plain TeX-like label in the chart', () => {
    const svg = perStepChart([1e-9, 1e-6, 1e-3, 1], { yLabel: '|\\partial L_{4}/\\partial U^{(k)}|' });
    const text = svg.replace(/<[^>]+>/g, '');
    expect(text).not.toMatch(/[_^]|\\/);
    expect(svg).toContain('<tspan baseline-shift="super" font-size="75%">−9</tspan>');
    expect(svg).toContain('step <tspan font-style="italic">k</tspan>');
    expect(svg).toContain('aria-label="|∂L₄/∂U⁽ᵏ⁾| against step k on a log scale"');
  });
});

/** pdftotext of a PDF (all pages, or one). */
const pdfText = (file: string, page?: number) => execFileSync('pdftotext', [...(page ? ['-f', String(page), '-l', String(page)] : []), file, '-'], { encoding: 'utf8' });

describe('printed: the midterm worksheet and key, and a bank whose title is math', () => {
  const dir = tempDir('gradsheet-typeset-');
  beforeAll(() => {
    const midterm = gradsheet(['render', '--bank', 'midterm', '--seed', 't', '--count', '1', '--out', join(dir, 'midterm')]);
    expect(midterm.stderr).toBe('');
    expect(midterm.code).toBe(0);
    const bank = JSON.parse(readFileSync(join(ROOT, 'question-banks/midterm.json'), 'utf8'));
    bank.id = 'typeset-title';
    bank.title = 'Practice: ∂L₃/∂W_hf and L_T';
    bank.questions = bank.questions.filter((q: { id: string }) => q.id === 'q7');
    writeFileSync(join(dir, 'bank.json'), JSON.stringify(bank));
    const own = gradsheet(['render', '--bank', join(dir, 'bank.json'), '--seed', 't', '--count', '1', '--out', join(dir, 'own')]);
    expect(own.code, own.stderr).toBe(0);
  }, 180_000);

  it('shows no plain W_hf (nor any other x_y or ^( notation) on the sheet or in the key', () => {
    for (const file of ['class-set.pdf', 'answer-key.pdf']) {
      const text = pdfText(join(dir, 'midterm', file));
      expect(text, file).not.toContain('W_hf');
      expect(text, file).not.toMatch(/\b[A-Za-z]_[A-Za-z0-9{]|\^\(/);
    }
  });

  it('typesets q7\'s title ∂L₃/∂W_hf on the sheet and in the key', () => {
    for (const file of ['class-set.pdf', 'answer-key.pdf']) {
      expect(pdfText(join(dir, 'midterm', file)).replace(/\s+/g, ''), file).toContain('7.∂L3/∂Whf');
    }
  });

  it('typesets a math bank title in the headings, and puts its Unicode form in the running header', () => {
    const sheet = pdfText(join(dir, 'own', 'class-set.pdf'), 1);
    expect(sheet).toContain('Practice: ∂L₃/∂W(hf) and L(T)');
    expect(sheet.replace(/\s+/g, '')).toContain('Practice:∂L3/∂WhfandLT');
    const key = pdfText(join(dir, 'own', 'answer-key.pdf'));
    expect(key).toContain('Answer key — Practice: ∂L₃/∂W(hf) and L(T)');
    expect(key.replace(/\s+/g, '')).toContain('Answerkey—Practice:∂L3/∂WhfandLT');
    expect(key).not.toMatch(/W_hf|L_T/);
  });
});

describe('the self-check page: typeset titles and choices, plain values', () => {
  const bank = parseBank(JSON.parse(readFileSync(join(ROOT, 'question-banks/midterm.json'), 'utf8')));
  const variants = generateKeyVariants(bank, practiceSecret('typeset-serve'), practiceStudents(1).map((id) => ({ id, name: id })));
  const v = variants[0]!;
  const dirAssets = join(ROOT, 'templates/serve');
  const assets = { pageHtml: readFileSync(join(dirAssets, 'page.html'), 'utf8'), appJs: readFileSync(join(dirAssets, 'app.js'), 'utf8'), appCss: readFileSync(join(dirAssets, 'app.css'), 'utf8') };
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer(createHandler({ grader: Grader.fromKey(answerKey(bank, variants)), assets }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends titleHtml with KaTeX for q7, and choicesHtml beside the unchanged choices', async () => {
    const w = await (await fetch(`${base}/api/v1/worksheets/${v.code}?student=${encodeURIComponent(v.student)}`)).json();
    const q7 = w.questions.find((q: { id: string }) => q.id === 'q7');
    expect(q7.title).toBe('∂L₃/∂W_hf');
    // the page's math carries MathML for screen readers (the PDF's stays lean HTML)
    const pageTitle = (t: string) => titleHtml(t, (tex) => renderTexForPage(tex));
    expect(q7.titleHtml).toBe(pageTitle('∂L₃/∂W_hf'));
    expect(q7.titleHtml).toContain('class="katex"');
    expect(q7.titleHtml).toContain('<math');
    expect(titleHtml('∂L₃/∂W_hf')).not.toContain('<math');
    expect(w.questions.find((q: { id: string }) => q.id === 'q5').titleHtml).toBe('Twenty steps back');
    const choiceParts = w.questions.flatMap((q: { parts: { kind: string }[] }) => q.parts).filter((p: { kind: string }) => p.kind === 'choice');
    const keyed = v.questions.flatMap((q) => q.parts).filter((p) => p.kind === 'choice');
    expect(choiceParts.map((p: { choices: string[] }) => p.choices)).toEqual(keyed.map((p) => p.choices));
    for (const p of choiceParts) expect(p.choicesHtml).toEqual(p.choices.map((c: string) => pageTitle(c)));
  });

  it('shows them typeset in Chromium and grades a choice picked by its typeset label', async () => {
    const browser = await puppeteer.launch({ executablePath: findChromium(), pipe: true, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 390, height: 844 });
      await page.goto(`${base}/`);
      await page.type('#code', v.code);
      await page.type('#student', v.student);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
      expect(await page.$eval('#h-q7', (h) => [h.querySelector('.katex') !== null, h.getAttribute('aria-label')])).toEqual([true, 'Q7. ∂L₃/∂W_hf']);
      const part = v.questions.find((q) => q.id === 'q8')!.parts.find((p) => p.kind === 'choice' && /W_h/.test(String(p.answer)))!;
      const id = await page.$$eval(`input[name="${part.id}"]`, (rs, answer) => rs.find((r) => (r as HTMLInputElement).value === answer)!.id, part.answer);
      // the typeset label is clicked, not the radio
      await page.click(`label[for="${id}"] .katex`);
      await page.click('#check');
      await page.waitForFunction(() => /Score:/.test(document.getElementById('score')!.textContent ?? ''));
      expect(await page.$eval(`[id="fb-${part.id}"]`, (el) => el.textContent ?? '')).toMatch(/^Correct/);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
