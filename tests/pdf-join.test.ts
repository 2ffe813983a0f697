/**
 * Joining PDFs into the class set and the answer key (`PdfConcatenation`, pdf-lib): hand-made PDFs
 * whose object numbers collide, a PDF with object streams, arrival in any order, and real sheets
 * printed by Chromium, read back by poppler (pdfinfo, pdftotext, pdftoppm).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PdfConcatenation, concatenatePdfs } from '../src/render/class-set.js';
import { tempDir } from './support/tmp.js';

const dir = tempDir('gradsheet-pdf-join-');
let files = 0;

/** A PDF from numbered object values ("<<…>>", or a dictionary followed by a stream body). */
function makePdf(objects: Record<number, string>, trailer: string): Uint8Array {
  let text = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets: number[] = [];
  const size = Math.max(...Object.keys(objects).map(Number)) + 1;
  for (const [n, value] of Object.entries(objects)) {
    offsets[Number(n)] = Buffer.byteLength(text, 'latin1');
    text += `${n} 0 obj\n${value}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(text, 'latin1');
  text += `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) text += offsets[n] === undefined ? '0000000000 00001 f \n' : `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  text += `trailer\n${trailer}\nstartxref\n${xrefAt}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

const stream = (content: string) => `<</Length ${content.length}>>\nstream\n${content}\nendstream`;

/** A one-page PDF that says `words`, with its objects numbered from `first` (so two of them collide). */
function textPdf(words: string, first = 1): Uint8Array {
  const [catalog, pages, page, content, font] = [first, first + 1, first + 2, first + 3, first + 4];
  return makePdf({
    [catalog]: `<</Type /Catalog /Pages ${pages} 0 R>>`,
    [pages]: `<</Type /Pages /Kids [${page} 0 R] /Count 1>>`,
    [page]: `<</Type /Page /Parent ${pages} 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 ${font} 0 R>>>> /Contents ${content} 0 R>>`,
    [content]: stream(`BT /F1 18 Tf 20 100 Td (${words}) Tj ET`),
    [font]: '<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>',
  }, `<</Size ${font + 1} /Root ${catalog} 0 R>>`);
}

function save(bytes: Uint8Array): string {
  const path = join(dir, `joined-${++files}.pdf`);
  writeFileSync(path, bytes);
  return path;
}

/** The text of each page, read by poppler, which must report no error on the way. */
function pageTexts(bytes: Uint8Array): string[] {
  const path = save(bytes);
  const info = spawnSync('pdfinfo', [path], { encoding: 'utf8' });
  expect(info.stderr).toBe('');
  const txt = spawnSync('pdftotext', [path, '-'], { encoding: 'utf8' });
  expect(txt.stderr).toBe('');
  const texts = txt.stdout.split('\f').slice(0, -1).map((t) => t.trim());
  expect(texts.length).toBe(Number(/Pages:\s+(\d+)/.exec(info.stdout)![1]));
  return texts;
}

describe('PdfConcatenation', () => {
  it('joins PDFs whose object numbers collide, in their order whatever order they arrive in', async () => {
    const joined = new PdfConcatenation(3);
    await Promise.all([joined.set(2, textPdf('third', 1)), joined.set(0, textPdf('first', 1)), joined.set(1, textPdf('second', 7))]);
    expect(pageTexts(await joined.save())).toEqual(['first', 'second', 'third']);
  });

  it('joins a PDF with object streams and several pages', async () => {
    const modern = await PDFDocument.create();
    const font = await modern.embedFont(StandardFonts.Helvetica);
    for (const words of ['modern one', 'modern two']) modern.addPage([300, 200]).drawText(words, { x: 20, y: 100, font });
    const joined = await concatenatePdfs([textPdf('plain'), await modern.save({ useObjectStreams: true })]);
    expect(pageTexts(joined)).toEqual(['plain', 'modern one', 'modern two']);
  });

  it('refuses to save before every document is in, then saves, the same bytes each time', async () => {
    const joined = new PdfConcatenation(2);
    await joined.set(1, textPdf('second'));
    await expect(joined.save()).rejects.toThrow('0 of 2 documents supplied in order');
    await joined.set(0, textPdf('first'));
    const bytes = await joined.save();
    expect(await joined.save()).toBe(bytes);
    expect(pageTexts(bytes)).toEqual(['first', 'second']);
  });

  it('fails, naming nothing it made up, when a document is not a PDF', async () => {
    const joined = new PdfConcatenation(1);
    await expect(joined.set(0, new Uint8Array(Buffer.from('not a pdf')))).rejects.toThrow();
    await expect(joined.save()).rejects.toThrow();
  });
});

describe('the class set of real Chromium sheets', () => {
  const out = join(dir, 'render');
  let sheets: string[] = [];

  // --simplex: the class set is exactly the sheets, no blank backs (those are tested in render-print.test.ts)
  beforeAll(() => {
    const r = spawnSync(process.execPath, ['dist/cli.js', 'render', '--bank', 'bptt-basics', '--seed', '5', '--count', '3', '--out', out, '--simplex'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`render failed: ${r.stderr}`);
    const n = (f: string) => Number(/-(\d+)\.pdf$/.exec(f)![1]);
    sheets = readdirSync(join(out, 'sheets')).filter((f) => f.endsWith('.pdf')).sort((a, b) => n(a) - n(b)).map((f) => join(out, 'sheets', f));
  }, 60_000);

  /** Each page as a small grey image (PGM bytes). */
  function pixels(path: string): Buffer[] {
    const prefix = join(dir, `px-${++files}`);
    const r = spawnSync('pdftoppm', ['-r', '20', '-gray', path, prefix], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const base = prefix.split('/').at(-1)!;
    return readdirSync(dir).filter((f) => f.startsWith(`${base}-`)).sort().map((f) => readFileSync(join(dir, f)));
  }

  it('is the sheets, page by page: text, pixels and embedded fonts', () => {
    expect(sheets.length).toBe(3);
    const classSet = new Uint8Array(readFileSync(join(out, 'class-set.pdf')));
    expect(pageTexts(classSet)).toEqual(sheets.flatMap((s) => pageTexts(new Uint8Array(readFileSync(s)))));
    const setPixels = pixels(join(out, 'class-set.pdf'));
    const sheetPixels = sheets.flatMap((s) => pixels(s));
    expect(setPixels.length).toBe(sheetPixels.length);
    setPixels.forEach((px, i) => expect(px.equals(sheetPixels[i]!), `page ${i + 1} differs`).toBe(true));
    const fonts = (path: string) => spawnSync('pdffonts', [path], { encoding: 'utf8' }).stdout.split('\n').slice(2).filter(Boolean);
    const setFonts = fonts(join(out, 'class-set.pdf'));
    expect(setFonts.every((l) => / yes yes yes /.test(l))).toBe(true);
    expect(setFonts.length).toBe(sheets.reduce((s, f) => s + fonts(f).length, 0));
  });

  it('the answer key reads cleanly, the cover first', () => {
    const texts = pageTexts(new Uint8Array(readFileSync(join(out, 'answer-key.pdf'))));
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.every((t) => t.length > 0)).toBe(true);
    expect(texts[0]).toMatch(/Answer key/);
  });
});
