import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainNumber } from '../src/problems/format.js';
import type { AnswerKey } from '../src/problems/key.js';
import { titleSegments } from '../src/render/typeset.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

/** pdftotext of one page (or all), with KaTeX's minus and the spacing it splits glyphs with folded away. */
function pdfText(file: string, page?: number): string {
  const args = ['-layout', ...(page ? ['-f', String(page), '-l', String(page)] : []), file, '-'];
  return execFileSync('pdftotext', args, { encoding: 'utf8' });
}
const squash = (s: string) => s.replace(/\u2212/g, '-').replace(/\s+/g, '');
const pages = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
const pageSize = (file: string) => /Page size:\s+([\d.]+) x ([\d.]+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))!.slice(1).map(Number);

/** Numeric answers as the sheet prints them, long enough not to appear by chance (≥ 3 significant digits). */
function printedAnswers(key: AnswerKey): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const v of key.variants) for (const q of v.questions) for (const p of q.parts) {
    for (const x of [p.answer].flat(2)) {
      if (typeof x !== 'number') continue;
      const text = plainNumber(x, key.digits);
      if (!text.includes('e') && text.replace(/[-.0]/g, '').length >= 3) out.push({ id: p.id, text });
    }
  }
  return out;
}

describe('gradsheet render', () => {
  const dir = tempDir('gradsheet-render-');
  const roster = join(dir, 'roster.csv');
  let key: AnswerKey;
  let sheets: string[];

  beforeAll(() => {
    writeFileSync(roster, 'id,name\nann@x.edu,Ann Lee\nevil@x.edu,<img src=x onerror=alert(1)>\nbo@x.edu,"Bo ""B"" Ode"\n');
    const r = gradsheet(['render', '--bank', 'bptt-basics', '--roster', roster, '--secret-file', 'examples/demo.secret', '--out', join(dir, 'out'), '--html']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    key = JSON.parse(readFileSync(join(dir, 'out', 'key.json'), 'utf8'));
    sheets = readdirSync(join(dir, 'out', 'sheets')).map((f) => join(dir, 'out', 'sheets', f)).sort();
  }, 180_000);

  it('writes one worksheet PDF per student, the class set, the answer key, key.json and the HTML', () => {
    expect(sheets).toHaveLength(3);
    for (const f of ['class-set.pdf', 'answer-key.pdf', 'key.json', 'html/answer-key.html']) expect(existsSync(join(dir, 'out', f)), f).toBe(true);
    // for duplex printing, a sheet of an odd number of pages is followed by a blank page
    expect(pages(join(dir, 'out', 'class-set.pdf'))).toBe(sheets.reduce((n, f) => n + pages(f) + (pages(f) % 2), 0));
  });

  it('puts the student name and the worksheet code on every page', () => {
    for (const v of key.variants) {
      const file = sheets.find((f) => f.includes(v.code))!;
      for (let p = 1; p <= pages(file); p++) {
        const text = pdfText(file, p);
        expect(text, `${v.code} page ${p}`).toContain(v.code);
        expect(text, `${v.code} page ${p}`).toContain(v.name);
      }
    }
  });

  it('prints a roster name that is HTML as the text it is', () => {
    const evil = key.variants.find((v) => v.student === 'evil@x.edu')!;
    const file = sheets.find((f) => f.includes(evil.code))!;
    expect(pdfText(file, 1)).toContain('<img src=x onerror=alert(1)>');
    expect(readFileSync(join(dir, 'out', 'html', readdirSync(join(dir, 'out', 'html')).find((f) => f.startsWith(evil.code))!), 'utf8')).not.toContain('<img src=x');
  });

  it('shows every question and every part prompt', () => {
    for (const v of key.variants) {
      const text = pdfText(sheets.find((f) => f.includes(v.code))!);
      // a title's words as text; its math (∂L₃/∂U) is typeset, as tests/typeset.test.ts checks
      for (const q of v.questions) for (const s of titleSegments(q.title)) if ('text' in s && s.text.trim()) expect(text).toContain(s.text.trim());
      const labels = v.questions.flatMap((q) => q.parts.map((p) => `(${p.id.split('.')[1]})`));
      for (const label of labels) expect(text).toContain(label);
    }
  });

  it('embeds the KaTeX fonts and the text fonts', () => {
    const fonts = execFileSync('pdffonts', [sheets[0]!], { encoding: 'utf8' });
    expect(fonts).toMatch(/KaTeX_Main-Regular/);
    expect(fonts).toMatch(/KaTeX_Math-Italic/);
    expect(fonts).toMatch(/Liberation/);
    for (const line of fonts.split('\n').slice(2).filter(Boolean)) expect(line, line).toMatch(/\byes\s+yes\b/);
  });

  it('prints A4 by default', () => {
    const [w, h] = pageSize(sheets[0]!);
    expect(Math.abs(w! - 595.3)).toBeLessThan(1.5);
    expect(Math.abs(h! - 841.9)).toBeLessThan(1.5);
  });

  it('leaves every answer out of the student sheets and puts every one in the answer key', () => {
    const answers = printedAnswers(key);
    expect(answers.length).toBeGreaterThan(20);
    const keyText = squash(pdfText(join(dir, 'out', 'answer-key.pdf')));
    for (const v of key.variants) {
      const sheetText = squash(pdfText(sheets.find((f) => f.includes(v.code))!));
      for (const a of printedAnswers({ ...key, variants: [v] })) expect(sheetText, `${a.id} = ${a.text} leaked`).not.toContain(a.text);
    }
    for (const a of answers) expect(keyText, `${a.id} = ${a.text} missing from the key`).toContain(a.text);
  });

  it('lists the class with its codes on the key cover and writes the worked solutions', () => {
    const cover = pdfText(join(dir, 'out', 'answer-key.pdf'), 1);
    for (const v of key.variants) expect(cover).toContain(v.code);
    const all = pdfText(join(dir, 'out', 'answer-key.pdf'));
    expect(all).toMatch(/shared by every step/);
  });

  it('prints US Letter when asked', () => {
    const out = join(dir, 'letter');
    const r = gradsheet(['render', '--bank', 'bptt-basics', '--seed', '3', '--out', out, '--paper', 'letter']);
    expect(r.code).toBe(0);
    const [w, h] = pageSize(join(out, 'answer-key.pdf'));
    expect([Math.round(w!), Math.round(h!)]).toEqual([612, 792]);
  }, 120_000);

  it('says in one sentence how to get a browser when none is found', () => {
    const r = gradsheet(['render', '--bank', 'bptt-basics', '--seed', '1', '--out', join(dir, 'nobrowser')], { env: { GRADSHEET_CHROMIUM: '/nonexistent/chromium' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GRADSHEET_CHROMIUM is set to \/nonexistent\/chromium, which is not an executable file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('says in one sentence, at once, why a browser that dies on start did not start', () => {
    const fake = join(dir, 'dying-chromium');
    writeFileSync(fake, "#!/bin/sh\necho 'cannot open shared object file' >&2\nexit 127\n", { mode: 0o755 });
    const r = gradsheet(['render', '--bank', 'bptt-basics', '--seed', '1', '--out', join(dir, 'dying')], { env: { GRADSHEET_CHROMIUM: fake } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`gradsheet render: Chromium (${fake}) did not start: it exited (exit code 127): cannot open shared object file.\n`);
  });

  it('refuses an unknown paper size', () => {
    const r = gradsheet(['render', '--bank', 'bptt-basics', '--seed', '1', '--out', dir, '--paper', 'a5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--paper should be a4 or letter, not "a5"/);
  });
});
