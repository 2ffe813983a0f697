/**
 * The PDF joiner on hand-made PDFs (every structure it must copy, and every one it must refuse),
 * read back by poppler (pdfinfo, pdftotext) and checked against pdf-lib as a second reader.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { PdfConcatenation } from '../src/render/class-set.js';
import { PdfJoiner, UnsupportedPdf } from '../src/render/pdf-join.js';
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
const FONT = '<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>';

/** A one-page PDF that says `words`, with its objects numbered from `first` (so two of them collide). */
function textPdf(words: string, first = 1, extraPage = ''): Uint8Array {
  const [catalog, pages, page, content, font] = [first, first + 1, first + 2, first + 3, first + 4];
  return makePdf({
    [catalog]: `<</Type /Catalog /Pages ${pages} 0 R>>`,
    [pages]: `<</Type /Pages /Kids [${page} 0 R] /Count 1>>`,
    [page]: `<</Type /Page /Parent ${pages} 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 ${font} 0 R>>>> /Contents ${content} 0 R${extraPage}>>`,
    [content]: stream(`BT /F1 18 Tf 20 100 Td (${words}) Tj ET`),
    [font]: FONT,
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
  const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)![1]);
  return Array.from({ length: pages }, (_, i) => {
    const r = spawnSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), path, '-'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  });
}

function join2(...pdfs: Uint8Array[]): Uint8Array {
  const joiner = new PdfJoiner();
  for (const pdf of pdfs) joiner.add(pdf);
  return joiner.finish();
}

describe('joining PDFs by copying their objects', () => {
  it('keeps every page, in order, with its own content, when the inputs number their objects alike', async () => {
    const joined = join2(textPdf('first'), textPdf('second'), textPdf('third', 40));
    expect(pageTexts(joined)).toEqual(['first', 'second', 'third']);
    // a second reader agrees
    const doc = await PDFDocument.load(joined);
    expect(doc.getPageCount()).toBe(3);
    expect(doc.getPages().map((p) => p.getSize())).toEqual([{ width: 300, height: 200 }, { width: 300, height: 200 }, { width: 300, height: 200 }]);
  });

  it('leaves strings alone, even when they look like references or hold brackets', () => {
    const uri = '(http://example.org/a\\(5 0 R\\)?q=<<1 0 R>> [2 0 R])';
    const annotated = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R /Annots [6 0 R]>>',
      4: stream('BT /F1 18 Tf 20 100 Td (linked) Tj ET'),
      5: FONT,
      6: `<</Type /Annot /Subtype /Link /Rect [0 0 100 100] /A <</S /URI /URI ${uri}>> /Note <3520302052>>>`,
    }, '<</Size 7 /Root 1 0 R>>');
    const joined = join2(textPdf('before'), annotated);
    const text = Buffer.from(joined).toString('latin1');
    expect(text).toContain(`/URI ${uri}`);
    expect(text).toContain('/Note <3520302052>');
    expect(pageTexts(joined)).toEqual(['before', 'linked']);
    expect(execFileSync('pdfinfo', ['-url', save(joined)], { encoding: 'utf8' })).toContain('http://example.org/a(5 0 R)?q=<<1 0 R>> [2 0 R]');
  });

  it('copies stream data byte for byte, binary and "endstream"-like bytes included', () => {
    const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)) + 'endstreamendobj';
    const pdf = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R /Blob 6 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (blob) Tj ET'),
      5: FONT,
      6: stream(binary),
    }, '<</Size 7 /Root 1 0 R>>');
    const joined = Buffer.from(join2(pdf));
    expect(joined.includes(Buffer.from(`stream\n${binary}\nendstream`, 'latin1'))).toBe(true);
    expect(pageTexts(joined)).toEqual(['blob']);
  });

  it('flattens a page tree of several levels, in its order', () => {
    const nested = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>>',
      3: '<</Type /Pages /Parent 2 0 R /Kids [6 0 R] /Count 1>>',
      4: '<</Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1>>',
      5: '<</Type /Page /Parent 4 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 9 0 R>>>> /Contents 8 0 R>>',
      6: '<</Type /Page /Parent 3 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 9 0 R>>>> /Contents 7 0 R>>',
      7: stream('BT /F1 18 Tf 20 100 Td (one) Tj ET'),
      8: stream('BT /F1 18 Tf 20 100 Td (two) Tj ET'),
      9: FONT,
      10: '<</Producer (a nested maker) /Title (Nested \\(10 0 R\\))>>',
    }, '<</Size 11 /Root 1 0 R /Info 10 0 R>>');
    expect(pageTexts(join2(nested, textPdf('three')))).toEqual(['one', 'two', 'three']);
  });

  it('refuses what it cannot copy faithfully, and appends nothing of it', async () => {
    const refused = (pdf: Uint8Array) => {
      const joiner = new PdfJoiner();
      joiner.add(textPdf('kept'));
      expect(() => joiner.add(pdf)).toThrow(UnsupportedPdf);
      return pageTexts(joiner.finish());
    };
    // a page tree that passes attributes down to its pages
    expect(refused(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 300 200]>>',
      3: '<</Type /Page /Parent 2 0 R /Contents 4 0 R>>',
      4: stream(''),
    }, '<</Size 5 /Root 1 0 R>>'))).toEqual(['kept']);
    // a catalog with more than its pages (here an outline)
    expect(refused(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R /Outlines 4 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200]>>',
      4: '<</Type /Outlines /Count 0>>',
    }, '<</Size 5 /Root 1 0 R>>'))).toEqual(['kept']);
    // an object that points at the catalog
    expect(refused(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Back 1 0 R>>',
    }, '<</Size 4 /Root 1 0 R>>'))).toEqual(['kept']);
    // an incremental update
    const updated = Buffer.from(textPdf('x')).toString('latin1').replace('<</Size 6 /Root 1 0 R>>', '<</Size 6 /Root 1 0 R /Prev 9>>');
    expect(refused(new Uint8Array(Buffer.from(updated, 'latin1')))).toEqual(['kept']);
    // what pdf-lib writes: object streams and a cross-reference stream
    const modern = await PDFDocument.create();
    modern.addPage([300, 200]).drawText('modern', { font: await modern.embedFont(StandardFonts.Helvetica) });
    expect(refused(await modern.save({ useObjectStreams: true }))).toEqual(['kept']);
  });
});

describe('the class set', () => {
  it('falls back to pdf-lib for the whole set when one PDF cannot be copied, keeping the order', async () => {
    const modern = await PDFDocument.create();
    modern.addPage([300, 200]).drawText('modern', { x: 20, y: 100, font: await modern.embedFont(StandardFonts.Helvetica) });
    const joined = new PdfConcatenation(3);
    await joined.set(0, textPdf('first'));
    expect(joined.usedPdfLib).toBe(false);
    await joined.set(2, textPdf('third'));
    await joined.set(1, await modern.save({ useObjectStreams: true }));
    expect(joined.usedPdfLib).toBe(true);
    expect(pageTexts(await joined.save())).toEqual(['first', 'modern', 'third']);
  });
});
