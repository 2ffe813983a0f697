/**
 * Printing like a teacher would (issue 14): the duplex class set (each worksheet starts on a front
 * page), the answer key's tables (every part's label, printed answer and points, in the row of its
 * worksheet's table), --key full|answers|none, and the separate answer sheet. Each class set is
 * rendered once, in `beforeAll`, and read back with poppler (pdfinfo, pdftotext). The joining and
 * the order of printing are also tested without a browser, with pdf-lib and a fake printer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PdfPageOptions, Printer, RenderInput } from '../src/render/browser.js';
import { PdfConcatenation, documentCount, printClassSet, type RenderedDocument } from '../src/render/class-set.js';
import type { Templates } from '../src/render/templates.js';
import type { AnswerKey, KeyPart } from '../src/problems/key.js';
import { gradsheet, type CliResult } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const pages = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
const pageSize = (file: string) => /Page size:\s+([\d.]+) x ([\d.]+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))!.slice(1).map((x) => Math.round(Number(x)));
/** The text of one page (or all), KaTeX's minus as a hyphen. */
const pdfText = (file: string, page?: number) =>
  execFileSync('pdftotext', ['-layout', ...(page ? ['-f', String(page), '-l', String(page)] : []), file, '-'], { encoding: 'utf8' }).replace(/\u2212/g, '-');
/** Every page's text, in order. */
const pageTexts = (file: string) => pdfText(file).split('\f').slice(0, pages(file));

/**
 * A number as the sheets print it at `digits` significant figures, worked out here from
 * toPrecision: 0.3050, -12.35, 21810; below 1e-4 and from 1e6 on as "m×10e", m to `digits`
 * figures (KaTeX's `m \times 10^{e}` read back as text).
 */
function printed(x: number, digits: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6) {
    const [m, e] = x.toExponential(digits - 1).split('e');
    return `${m}×10${Number(e)}`;
  }
  const p = x.toPrecision(digits);
  return p.includes('e') ? String(Number(p)) : p;
}

interface Word { x0: number; y0: number; x1: number; y1: number; text: string }
const yMid = (w: Word) => (w.y0 + w.y1) / 2;

/** The words of each page with their boxes (pdftotext -bbox). */
function pageWords(file: string): Word[][] {
  const html = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return html.split('<page ').slice(1).map((page) => [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)]
    .map((m) => ({ x0: Number(m[1]), y0: Number(m[2]), x1: Number(m[3]), y1: Number(m[4]), text: unescape(m[5]!).replace(/\u2212/g, '-') })));
}

interface TableRow { label: string; points: string; answer: Word[] }
interface FoundTable { page: number; rows: TableRow[]; total: string }

/**
 * The answer tables of the key, read from the words' positions: a table is headed by its
 * worksheet's code (above the column heading "Part"); it spans its column (up to the next code to the right) and runs down to the
 * next code in its column. Its rows are its labels ("1(a)"); a row's words are those nearer its
 * label than the labels above and below; its points are the rightmost word on the label's line.
 */
function answerTables(file: string, codes: readonly string[]): Map<string, FoundTable> {
  const found = new Map<string, FoundTable>();
  pageWords(file).forEach((words, p) => {
    // a table's heading: a code with the table's "Part" column heading just below it (codes also
    // stand in the class list on the cover and in the running headers)
    const heads = words.filter((w) => codes.includes(w.text) && words.some((p) => p.text === 'Part' && Math.abs(p.x0 - w.x0) < 4 && p.y0 > w.y1 && p.y0 - w.y1 < 30));
    for (const head of heads) {
      const right = Math.min(...heads.filter((h) => h.x0 > head.x0 + 20).map((h) => h.x0), Infinity);
      const below = Math.min(...heads.filter((h) => Math.abs(h.x0 - head.x0) < 5 && h.y0 > head.y0).map((h) => h.y0), Infinity);
      const mine = words.filter((w) => w.x0 >= head.x0 - 2 && w.x0 < right - 2 && w.y0 > head.y1 && w.y1 < below);
      const totalWord = mine.find((w) => w.text === 'Total')!;
      expect(totalWord, `the table of ${head.text} has a total row`).toBeDefined();
      const labels = mine.filter((w) => /^\d+\([a-z]+\)$/.test(w.text) && w.y1 < totalWord.y0).sort((a, b) => a.y0 - b.y0);
      const rows = labels.map((label, k): TableRow => {
        const top = k === 0 ? label.y0 - 2 : (yMid(labels[k - 1]!) + yMid(label)) / 2;
        const bottom = k === labels.length - 1 ? totalWord.y0 : (yMid(label) + yMid(labels[k + 1]!)) / 2;
        const inRow = mine.filter((w) => w !== label && yMid(w) > top && yMid(w) <= bottom);
        const onLine = inRow.filter((w) => Math.abs(yMid(w) - yMid(label)) < 3);
        const points = onLine.reduce((a, w) => (w.x0 > a.x0 ? w : a));
        return { label: label.text, points: points.text, answer: inRow.filter((w) => w !== points) };
      });
      const total = mine.filter((w) => Math.abs(yMid(w) - yMid(totalWord)) < 3).reduce((a, w) => (w.x0 > a.x0 ? w : a));
      found.set(head.text, { page: p + 1, rows, total: total.text });
    }
  });
  return found;
}

/** Words into lines (top to bottom), each line's words left to right. */
function lines(words: readonly Word[]): string[][] {
  const sorted = [...words].sort((a, b) => yMid(a) - yMid(b));
  const out: Word[][] = [];
  for (const w of sorted) {
    const line = out.at(-1);
    if (line && Math.abs(yMid(w) - yMid(line[0]!)) < 4) line.push(w);
    else out.push([w]);
  }
  return out.map((l) => l.sort((a, b) => a.x0 - b.x0).map((w) => w.text));
}

/** What a row of the table must hold for a part: its answer as printed, in its shape. */
function checkRow(row: TableRow, part: KeyPart, digits: number): void {
  const where = `${part.id} (${row.label})`;
  expect(row.points, `${where} points`).toBe(String(part.points));
  const a = part.answer;
  if (typeof a === 'string') {
    // a choice is typeset (W_hg as W with the subscript hg): compared without spaces and TeX's _ { }
    const plain = (t: string) => t.replace(/[\s_{}]/g, '');
    expect(plain(lines(row.answer).map((l) => l.join(' ')).join(' ')), where).toBe(plain(a));
  } else if (typeof a === 'number') {
    expect(row.answer.sort((x, y) => x.x0 - y.x0).map((w) => w.text).join(''), where).toBe(printed(a, digits));
  } else {
    // entries only: brackets and the transpose mark dropped; a vector is printed as a row (transposed)
    const entries = lines(row.answer).map((l) => l.flatMap((t) => t.replace(/[[\]\u23a1-\u23a6]/g, ' ').trim().split(/\s+/)).filter((t) => /^-?\d/.test(t))).filter((l) => l.length);
    const expected = Array.isArray(a[0]) ? (a as number[][]).map((r) => r.map((x) => printed(x, digits))) : [(a as number[]).map((x) => printed(x, digits))];
    expect(entries, where).toEqual(expected);
  }
}

/** Checks every worksheet's table: one per code, its rows in order with every part's label, answer and points, and its total. */
function checkTables(file: string, key: AnswerKey): Map<string, FoundTable> {
  const tables = answerTables(file, key.variants.map((v) => v.code));
  expect([...tables.keys()].sort()).toEqual(key.variants.map((v) => v.code).sort());
  for (const v of key.variants) {
    const table = tables.get(v.code)!;
    const parts = v.questions.flatMap((q, n) => q.parts.map((p) => ({ label: `${n + 1}(${p.id.slice(q.id.length + 1)})`, part: p })));
    expect(table.rows.map((r) => r.label), v.code).toEqual(parts.map((p) => p.label));
    parts.forEach(({ part }, k) => checkRow(table.rows[k]!, part, key.digits));
    expect(table.total, `${v.code} total`).toBe(String(parts.reduce((s, p) => s + p.part.points, 0)));
  }
  return tables;
}

/** The worksheets of a render, in the class list's order (key.json's). */
function sheetsInOrder(out: string, key: AnswerKey): string[] {
  const files = readdirSync(join(out, 'sheets'));
  return key.variants.map((v) => join(out, 'sheets', files.find((f) => f.startsWith(`${v.code}-`))!));
}

describe('gradsheet render, printed for a class', () => {
  const dir = tempDir('gradsheet-print-');
  const run: Record<string, CliResult> = {};
  const keys: Record<string, AnswerKey> = {};
  const render = (name: string, args: string[]) => {
    const r = gradsheet(['render', ...args, '--out', join(dir, name)]);
    run[name] = r;
    expect(r.stderr, name).toBe('');
    expect(r.code, name).toBe(0);
    keys[name] = JSON.parse(readFileSync(join(dir, name, 'key.json'), 'utf8'));
  };

  beforeAll(() => {
    // vanishing-exploding with lots of room to work prints three pages a sheet: an odd number, so
    // the duplex set has blank backs
    render('full', ['--bank', 'vanishing-exploding', '--working-space', 'lots', '--seed', 'print', '--count', '3']);
    render('answers', ['--bank', 'vanishing-exploding', '--working-space', 'lots', '--seed', 'print', '--count', '3', '--simplex', '--key', 'answers']);
    // the midterm's answers are numbers, vectors, 2 × 2 matrices and choices
    render('midterm', ['--bank', 'midterm', '--seed', 'print', '--count', '4', '--key', 'answers', '--answer-sheet']);
    render('letter', ['--bank', 'midterm', '--seed', 'letter', '--count', '1', '--paper', 'letter', '--answer-sheet', '--simplex', '--no-key']);
    render('none', ['--bank', 'bptt-basics', '--seed', 'print', '--count', '1', '--key', 'none']);
  }, 300_000);

  describe('the class set', () => {
    it('starts every worksheet on a front page: a blank page after a sheet of odd pages', () => {
      const key = keys.full!, out = join(dir, 'full');
      const sheets = sheetsInOrder(out, key);
      const counts = sheets.map(pages);
      expect(counts.some((n) => n % 2 === 1), 'a sheet with an odd number of pages').toBe(true);
      const classSet = join(out, 'class-set.pdf');
      expect(pages(classSet)).toBe(counts.reduce((s, n) => s + n + (n % 2), 0));
      const texts = pageTexts(classSet);
      let first = 1;
      key.variants.forEach((v, i) => {
        expect(first % 2, `${v.code} starts on an odd page`).toBe(1);
        expect(pdfText(classSet, first), `page ${first}`).toContain(v.code);
        for (let p = first; p < first + counts[i]!; p++) expect(texts[p - 1], `page ${p}`).toContain(v.code);
        if (counts[i]! % 2 === 1) expect(texts[first + counts[i]! - 1]!.trim(), `page ${first + counts[i]!} is blank`).toBe('');
        first += counts[i]! + (counts[i]! % 2);
      });
      // the per-student files have no blank page
      for (const f of sheets) expect(pageTexts(f).every((t) => t.trim() !== ''), f).toBe(true);
    });

    it('with --simplex is the sheets one after another', () => {
      const key = keys.answers!, out = join(dir, 'answers');
      const counts = sheetsInOrder(out, key).map(pages);
      const classSet = join(out, 'class-set.pdf');
      expect(pages(classSet)).toBe(counts.reduce((s, n) => s + n, 0));
      let first = 1;
      key.variants.forEach((v, i) => {
        expect(pdfText(classSet, first), `page ${first}`).toContain(v.code);
        first += counts[i]!;
      });
    });

    it('is printed in the same size as the sheets, blank pages included', () => {
      const classSet = join(dir, 'full', 'class-set.pdf');
      const sizes = new Set(execFileSync('pdfinfo', ['-f', '1', '-l', String(pages(classSet)), classSet], { encoding: 'utf8' }).match(/size:\s+[\d.]+ x [\d.]+/g));
      expect(sizes.size).toBe(1);
    });
  });

  describe('the answer key', () => {
    it('has the cover, then a table of every worksheet with each part\'s label, printed answer and points, then the worked solutions', () => {
      const file = join(dir, 'full', 'answer-key.pdf');
      const texts = pageTexts(file);
      expect(texts[0]).toMatch(/Class list/);
      const tables = checkTables(file, keys.full!);
      const firstSolution = texts.findIndex((t) => /Answer:/.test(t)) + 1;
      expect(firstSolution).toBeGreaterThan(1);
      for (const [code, t] of tables) expect(t.page, `${code}'s table comes before the worked solutions`).toBeLessThan(firstSolution);
      // the worked solutions write out the products of Jacobians
      expect(texts.slice(firstSolution - 1).join('')).toMatch(/∏/);
    });

    it('prints vectors, matrices and choices in their table rows (midterm)', () => {
      const key = keys.midterm!;
      expect(new Set(key.variants.flatMap((v) => v.questions.flatMap((q) => q.parts.map((p) => p.kind))))).toEqual(new Set(['number', 'vector', 'matrix', 'choice']));
      checkTables(join(dir, 'midterm', 'answer-key.pdf'), key);
    });

    it('with --key answers has the cover and the tables only: no worked solutions, fewer pages', () => {
      const full = join(dir, 'full', 'answer-key.pdf'), answers = join(dir, 'answers', 'answer-key.pdf');
      const text = pdfText(answers);
      expect(text).toMatch(/Class list/);
      expect(text).not.toMatch(/Answer:/);
      expect(text).not.toMatch(/∏/);
      expect(text).not.toMatch(/Answers are printed to/); // the first line of a worksheet's worked solutions
      checkTables(answers, keys.answers!);
      expect(pages(answers)).toBeLessThan(pages(full));
    });

    it('is not written with --key none or --no-key', () => {
      expect(existsSync(join(dir, 'none', 'answer-key.pdf'))).toBe(false);
      expect(existsSync(join(dir, 'letter', 'answer-key.pdf'))).toBe(false);
      expect(run.none!.stdout).not.toMatch(/answer-key/);
      expect(existsSync(join(dir, 'none', 'class-set.pdf'))).toBe(true);
    });
  });

  describe('the separate answer sheet', () => {
    const check = (name: string, paper: number[]) => {
      const key = keys[name]!, out = join(dir, name);
      const files = readdirSync(join(out, 'answer-sheets'));
      expect(files).toHaveLength(key.variants.length);
      for (const v of key.variants) {
        const file = join(out, 'answer-sheets', files.find((f) => f.startsWith(`${v.code}-`))!);
        expect(pages(file), `${v.code}: one page`).toBe(1);
        expect(pageSize(file)).toEqual(paper);
        const text = pdfText(file);
        expect(text).toContain(v.code);
        expect(text).toContain(v.name);
        expect(text).toContain(v.student);
        v.questions.forEach((q, n) => {
          for (const p of q.parts) expect(text, p.id).toContain(`${n + 1}(${p.id.slice(q.id.length + 1)})`);
        });
      }
    };

    it('is one page per student on A4, with the code, the name and every part\'s label', () => check('midterm', [596, 843]));

    it('is one page on US Letter too', () => check('letter', [612, 792]));

    it('is joined with a blank back after each page, or none with --simplex', () => {
      const joined = join(dir, 'midterm', 'answer-sheets.pdf');
      expect(pages(joined)).toBe(2 * keys.midterm!.variants.length);
      const texts = pageTexts(joined);
      keys.midterm!.variants.forEach((v, i) => {
        expect(texts[2 * i]).toContain(v.code);
        expect(texts[2 * i + 1]!.trim()).toBe('');
      });
      expect(pages(join(dir, 'letter', 'answer-sheets.pdf'))).toBe(1);
    });

    it('is what the worksheet sends the answers to, and only when there is one', () => {
      const [withSheet] = sheetsInOrder(join(dir, 'midterm'), keys.midterm!);
      const [without] = sheetsInOrder(join(dir, 'full'), keys.full!);
      expect(pdfText(withSheet!, 1).replace(/\s+/g, ' ')).toContain('Write your answers on the separate answer sheet.');
      expect(pdfText(without!, 1)).not.toMatch(/answer sheet/);
      expect(existsSync(join(dir, 'full', 'answer-sheets'))).toBe(false);
      expect(existsSync(join(dir, 'full', 'answer-sheets.pdf'))).toBe(false);
    });
  });

  describe('usage', () => {
    it.each([
      [['--key', 'bogus'], /^gradsheet render: --key should be full, answers or none, not "bogus"\.\n$/],
      [['--no-key', '--key', 'full'], /^gradsheet render: --no-key means --key none, so it cannot go with --key full\.\n$/],
      // Node's own sentence (parseArgs), with the usage after it
      [['--key'], /^gradsheet render: [^\n]*--key[^\n]*\. Usage: gradsheet render [^\n]*\n$/],
    ])('refuses %j in one sentence', (args, message) => {
      const r = gradsheet(['render', '--bank', 'bptt-basics', '--seed', '1', '--out', join(dir, 'refused'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'refused'))).toBe(false);
    });
  });
});

/** A Printer whose PDF for a document is `pages` pages `100 + n` points wide, n and pages read from the body ("n" or "n×pages"). */
function fakePrinter(): Printer & { printed: string[] } {
  const printer = {
    poolSize: 2, printed: [] as string[],
    async print(doc: RenderInput, _pdf: PdfPageOptions): Promise<Uint8Array> {
      printer.printed.push(doc.body);
      const [, n, count] = /(\d+)(?:×(\d+))?/.exec(doc.body)!;
      const out = await PDFDocument.create();
      for (let p = 0; p < Number(count ?? 1); p++) out.addPage([100 + Number(n), 200 + p]);
      return out.save();
    },
    async close() {},
  };
  return printer;
}

const doc = (body: string): RenderedDocument => ({ html: body, head: '', pdf: { format: 'A4' } });
const sizes = async (pdf: Uint8Array) => (await PDFDocument.load(pdf)).getPages().map((p) => `${p.getWidth() - 100}:${p.getHeight() - 200}`);

describe('joining for duplex printing', () => {
  it('adds a blank page the size of the last after each document of an odd number of pages', async () => {
    const make = async (widths: number[]) => {
      const d = await PDFDocument.create();
      widths.forEach((w, i) => d.addPage([w, 300 + i]));
      return d.save();
    };
    const joined = new PdfConcatenation(3, { duplex: true });
    await Promise.all([joined.set(2, await make([30])), joined.set(0, await make([10, 11, 12])), joined.set(1, await make([20, 21]))]);
    const pdf = await PDFDocument.load(await joined.save());
    expect(pdf.getPages().map((p) => `${p.getWidth()}×${p.getHeight()}`)).toEqual(['10×300', '11×301', '12×302', '12×302', '20×300', '21×301', '30×300', '30×300']);
    const simplex = new PdfConcatenation(1);
    await simplex.set(0, await make([10, 11, 12]));
    expect((await PDFDocument.load(await simplex.save())).getPageCount()).toBe(3);
  });

  it('prints the sheets, the answer sheets, then the key (cover, tables, worked solutions), padding the sheets and answer sheets but not the key', async () => {
    const printer = fakePrinter();
    const answerSheets: number[] = [];
    const docs = {
      count: 2, duplex: true,
      sheet: (i: number) => doc(`${i}×3`),
      answerSheet: (i: number) => doc(`${10 + i}`),
      key: { cover: () => doc('50'), tables: () => doc('51×3'), sheet: (i: number) => doc(`${60 + i}`) },
    };
    expect(documentCount(docs)).toBe(2 + 2 + 1 + 1 + 2);
    let printed = 0;
    const result = await printClassSet(printer, { css: '' } as Templates, docs, {
      sheet: async () => {},
      answerSheet: async (i) => { answerSheets.push(i); },
      printed: () => { printed += 1; },
    });
    expect(printer.printed).toEqual(['0×3', '1×3', '10', '11', '50', '51×3', '60', '61']);
    expect(printed).toBe(8);
    expect(answerSheets.sort()).toEqual([0, 1]);
    expect(await sizes(result.classSet)).toEqual(['0:0', '0:1', '0:2', '0:2', '1:0', '1:1', '1:2', '1:2']);
    expect(await sizes(result.answerSheets!)).toEqual(['10:0', '10:0', '11:0', '11:0']);
    expect(await sizes(result.answerKey!)).toEqual(['50:0', '51:0', '51:1', '51:2', '60:0', '61:0']);
  });

  it('prints the key\'s cover and tables only when there are no worked solutions', async () => {
    const printer = fakePrinter();
    const docs = { count: 2, sheet: (i: number) => doc(`${i}`), key: { cover: () => doc('50'), tables: () => doc('51') } };
    expect(documentCount(docs)).toBe(4);
    const result = await printClassSet(printer, { css: '' } as Templates, docs, { sheet: async () => {}, printed: () => {} });
    expect(printer.printed).toEqual(['0', '1', '50', '51']);
    expect(result.answerSheets).toBeUndefined();
    expect(await sizes(result.answerKey!)).toEqual(['50:0', '51:0']);
  });
});
