/**
 * An adversarial look at the PDF joiner (src/render/pdf-join.ts), written independently of it.
 *
 * The contract under test: `PdfJoiner.add` either appends every page of a PDF, so that the joined
 * file reads exactly like the inputs (poppler is the judge, pdf-lib a second reader), or throws
 * `UnsupportedPdf` and appends nothing (the caller then falls back to pdf-lib). Any other
 * exception, or a joined file that reads differently from its inputs, is a bug.
 *
 *  - a seeded property test over random, valid, Skia-like PDFs with every syntactic freedom the
 *    joiner's tokenizer has to get right;
 *  - a seeded mutation test (one byte changed in a valid PDF: refuse with `UnsupportedPdf`, or
 *    join it as poppler reads it);
 *  - structures that must be refused, and damaged files;
 *  - minimal inputs for the defects this review found in the first version (each was a wrong
 *    result or an unexpected exception; all now refused or joined faithfully);
 *  - real Chromium PDFs from the CLI, compared page by page (text and pixels).
 *
 * Deterministic by default. For a longer hunt: PDF_JOIN_DOCS_SEED, PDF_JOIN_FUZZ_SEED and
 * PDF_JOIN_FUZZ_EDITS (e.g. 1500) change the seeds and the number of mutations;
 * PDF_JOIN_VERBOSE=1 logs whether each odd file was refused or accepted.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFString, StandardFonts } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PdfConcatenation } from '../src/render/class-set.js';
import { PdfJoiner, UnsupportedPdf } from '../src/render/pdf-join.js';
import { tempDir } from './support/tmp.js';

const dir = tempDir('gradsheet-pdf-join-adv-');
let files = 0;

function save(bytes: Uint8Array): string {
  const path = join(dir, `f-${++files}.pdf`);
  writeFileSync(path, bytes);
  return path;
}

const latin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');

// ---------------------------------------------------------------------------------------------
// seeded randomness

type Rng = () => number;
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
function shuffle<T>(r: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

// ---------------------------------------------------------------------------------------------
// building PDF files by hand

interface FileObject {
  num: number;
  value: string;
  gen?: number;
}

interface FileOptions {
  /** the end of line between structural lines ('\n', '\r\n' or '\r') */
  eol?: string;
  /** how each 20-byte cross-reference entry ends (' \n', '\r\n' or ' \r') */
  xrefEol?: string;
  /** cross-reference subsections for the objects there are, instead of one with free entries */
  subsections?: boolean;
  version?: string;
  /** bytes written after an object (by number) that the cross-reference table does not list */
  junkAfter?: Record<number, string>;
}

/** A PDF with a classic cross-reference table; objects are written in the order given. */
function buildPdf(objects: FileObject[], trailer: string, o: FileOptions = {}): Uint8Array {
  const eol = o.eol ?? '\n';
  const xrefEol = o.xrefEol ?? ' \n';
  let out = `%PDF-${o.version ?? '1.4'}${eol}%\xE2\xE3\xCF\xD3${eol}`;
  const at = new Map<number, { offset: number; gen: number }>();
  for (const obj of objects) {
    at.set(obj.num, { offset: out.length, gen: obj.gen ?? 0 });
    out += `${obj.num} ${obj.gen ?? 0} obj${eol}${obj.value}${eol}endobj${eol}`;
    if (o.junkAfter?.[obj.num] !== undefined) out += o.junkAfter[obj.num];
  }
  const xrefAt = out.length;
  const size = Math.max(...objects.map((x) => x.num)) + 1;
  const entry = (n: number) => {
    const e = at.get(n);
    return e ? `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n${xrefEol}` : `0000000000 00001 f${xrefEol}`;
  };
  out += `xref${eol}`;
  if (o.subsections) {
    out += `0 1${eol}0000000000 65535 f${xrefEol}`;
    const nums = [...at.keys()].sort((a, b) => a - b);
    for (let i = 0; i < nums.length;) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j += 1;
      out += `${nums[i]} ${j - i + 1}${eol}`;
      for (let k = i; k <= j; k++) out += entry(nums[k]!);
      i = j + 1;
    }
  } else {
    out += `0 ${size}${eol}0000000000 65535 f${xrefEol}`;
    for (let n = 1; n < size; n++) out += entry(n);
  }
  out += `trailer${eol}${trailer}${eol}startxref${eol}${xrefAt}${eol}%%EOF${eol}`;
  return latin1(out);
}

/** `makePdf` of tests/pdf-join.test.ts: numbered values, written in key order. */
function makePdf(objects: Record<number, string>, trailer: string, o: FileOptions = {}): Uint8Array {
  return buildPdf(Object.entries(objects).map(([n, value]) => ({ num: Number(n), value })), trailer, o);
}

const stream = (content: string, dict = '') => `<</Length ${content.length}${dict}>>\nstream\n${content}\nendstream`;
const FONT = '<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>';

/** A one-page PDF that says `words`, its objects numbered from `first`. */
function textPdf(words: string, first = 1, extraPage = '', extraCatalog = ''): Uint8Array {
  const [catalog, pages, page, content, font] = [first, first + 1, first + 2, first + 3, first + 4];
  return makePdf({
    [catalog]: `<</Type /Catalog /Pages ${pages} 0 R${extraCatalog}>>`,
    [pages]: `<</Type /Pages /Kids [${page} 0 R] /Count 1>>`,
    [page]: `<</Type /Page /Parent ${pages} 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 ${font} 0 R>>>> /Contents ${content} 0 R${extraPage}>>`,
    [content]: stream(`BT /F1 18 Tf 20 100 Td (${words}) Tj ET`),
    [font]: FONT,
  }, `<</Size ${font + 1} /Root ${catalog} 0 R>>`);
}

// ---------------------------------------------------------------------------------------------
// reading PDFs back

interface Reading {
  /** poppler's complaints (empty for a clean file) */
  errors: string;
  pages: number;
  texts: string[];
  sizes: [number, number][];
  rotations: number[];
}

/** The file as poppler reads it: page count, each page's text, size and rotation. */
function poppler(bytes: Uint8Array): Reading {
  const path = save(bytes);
  const info = spawnSync('pdfinfo', ['-f', '1', '-l', '100000', path], { encoding: 'utf8' });
  const txt = spawnSync('pdftotext', [path, '-'], { encoding: 'utf8' });
  const errors = (info.stderr + txt.stderr).trim() + (info.status !== 0 || txt.status !== 0 ? ` (exit ${info.status}/${txt.status})` : '');
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)?.[1] ?? -1);
  const sizes = [...info.stdout.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  const rotations = [...info.stdout.matchAll(/^Page\s+\d+ rot:\s+(\d+)/gm)].map((m) => Number(m[1]));
  const texts = txt.stdout.split('\f').slice(0, -1).map((t) => t.trim());
  return { errors, pages, texts, sizes, rotations };
}

function join2(...pdfs: Uint8Array[]): Uint8Array {
  const joiner = new PdfJoiner();
  for (const pdf of pdfs) joiner.add(pdf);
  return joiner.finish();
}

/** What a joiner holding just the one-page PDF "kept" writes. */
const KEPT_ALONE = join2(textPdf('kept'));

type Outcome = { refused: true; reason: string } | { refused: false; joined: Reading; alone: Reading };

/**
 * Adds `pdf` after a one-page PDF that says "kept". Refusing must be by `UnsupportedPdf` and leave
 * just "kept"; accepting must give "kept" followed by the pages poppler reads in `pdf` alone.
 */
function refusedOrFaithful(pdf: Uint8Array): Outcome {
  const outcome = refusedOrFaithfulInner(pdf);
  if (process.env.PDF_JOIN_VERBOSE) console.log(outcome.refused ? `refused: ${outcome.reason}` : 'accepted');
  return outcome;
}

function refusedOrFaithfulInner(pdf: Uint8Array): Outcome {
  const joiner = new PdfJoiner();
  joiner.add(textPdf('kept'));
  let error: unknown;
  try {
    joiner.add(pdf);
  } catch (e) {
    error = e;
  }
  const out = joiner.finish();
  if (error !== undefined) {
    // any other exception escapes PdfConcatenation instead of making it fall back to pdf-lib
    expect(error, String(error)).toBeInstanceOf(UnsupportedPdf);
    expect(Buffer.from(out).equals(Buffer.from(KEPT_ALONE)), 'a refused PDF must leave nothing behind').toBe(true);
    return { refused: true, reason: (error as Error).message };
  }
  const joined = poppler(out);
  expect(joined.errors).toBe('');
  const alone = poppler(pdf);
  expect(joined.texts).toEqual(['kept', ...alone.texts]);
  expect(joined.pages).toBe(1 + alone.pages);
  expect(joined.sizes).toEqual([[300, 200], ...alone.sizes]);
  expect(joined.rotations).toEqual([0, ...alone.rotations]);
  return { refused: false, joined, alone };
}

/** Must be refused with `UnsupportedPdf`, leaving nothing of it behind. */
function mustRefuse(pdf: Uint8Array): string {
  const outcome = refusedOrFaithful(pdf);
  expect(outcome.refused, 'accepted a PDF it has to refuse').toBe(true);
  return outcome.refused ? outcome.reason : '';
}

// ---------------------------------------------------------------------------------------------
// random Skia-like PDFs

interface PageSpec {
  text: string;
  width: number;
  height: number;
  rotate: number;
  /** the raw literal of the page's /Extra /Tag string */
  tag: string;
  font: string;
}

interface RandomDoc {
  bytes: Uint8Array;
  pages: PageSpec[];
  /** what it was built from, to build variants of it */
  objects: FileObject[];
  trailer: string;
  options: FileOptions;
}

/** Values with no reference in them, but much that looks like one or like the end of something. */
const NASTY = [
  '(5 0 R)',
  '(a\\(b\\)c \\\\ (nested 7 0 R (deeper 1 0 R)) end)',
  '<3520302052>',
  '< 35 20 30 20 52 >',
  '<</N12 12.5 /R -3 /S [1 0 /R] /T (R) /U <00ff>>>',
  '[/F12 12.5 0 /R -3 0 (0 R) 4 /R]',
  '/Name#20With#23Hash',
  '(line\r\nbreak \\\r\n continued\rand\ncarriage)',
  '(\\0533 0 R \\) \\( \\\\)',
  '(stream\nendstream\nendobj\n1 0 obj)',
  '/endobj',
  '/stream',
  '[-.5 +7 .25 0.0 -0 12.]',
  '[true false null]',
  '[[[]] <<>> [<<>>] ()]',
  '(>>)',
  '(])',
  '<>',
  '(%not a comment 3 0 R)',
];

/** Random end of line or other whitespace between tokens. */
function space(r: Rng): string {
  return pick(r, [' ', ' ', ' ', '  ', '\n', '\r\n', '\t', '\r', '\f', ' \n ']);
}

/** A reference written in one of the ways the syntax allows. */
function ref(r: Rng, n: number): string {
  return pick(r, [`${n} 0 R`, `${n} 0 R`, `${n}  0  R`, `${n}\n0\nR`, `${n}\r\n0 R`, `${n} 0\tR`, `${n}\f0\fR`, `${String(n).padStart(3, '0')} 0 R`]);
}

/** A dictionary from entries, in random order, with random spacing, now and then a comment. */
function dict(r: Rng, entries: [string, string][], comments = true): string {
  let out = pick(r, ['<<', '<< ', '<<\n', '<<\r\n']);
  for (const [key, value] of shuffle(r, [...entries])) {
    if (comments && r() < 0.15) out += `%${pick(r, [' 9 0 R', ' >> ] ) ( <<', ' /Type /Catalog', 'stream', ''])}${pick(r, ['\n', '\r', '\r\n'])}`;
    const sep = /^[\/(<\[]/.test(value) && r() < 0.4 ? '' : space(r);
    out += `/${key}${sep}${value}${space(r)}`;
  }
  return out + '>>';
}

function randomDoc(r: Rng, id: string): RandomDoc {
  const pageCount = int(r, 1, 6);
  const bound = 9 * pageCount + 8;
  const pool = shuffle(r, Array.from({ length: bound + int(r, 0, 12) }, (_, i) => i + 1));
  const alloc = () => pool.shift()!;
  const objects: FileObject[] = [];
  const put = (num: number, value: string) => objects.push({ num, value });
  const streamEol = pick(r, ['\n', '\r\n']);
  const streamOf = (data: string, extra: [string, string][] = []): string => {
    const entries: [string, string][] = [...extra];
    if (r() < 0.3) {
      const n = alloc();
      put(n, `${data.length}`);
      entries.push(['Length', ref(r, n)]);
    } else entries.push(['Length', `${data.length}`]);
    if (r() < 0.2) entries.push(['Note', '(a stream\nendstream endobj)']);
    return `${dict(r, entries)}${pick(r, ['', ' ', '\n', '\r\n'])}stream${streamEol}${data}${pick(r, ['\n', '\r\n', ''])}endstream`;
  };

  // fonts, named like Skia and worse
  const fontNames = shuffle(r, ['Helvetica', 'Courier', 'Times-Roman']).slice(0, int(r, 1, 3));
  const fonts = fontNames.map((base) => {
    const num = alloc();
    const resName = pick(r, ['F', 'R', 'G', 'Font']) + int(r, 0, 120);
    put(num, dict(r, [['Type', '/Font'], ['Subtype', '/Type1'], ['BaseFont', `/${base}`]]));
    return { num, base, resName: `${resName}x${num}` };
  });
  const resourceValue = () => dict(r, [
    ['Font', dict(r, fonts.map((f) => [f.resName, ref(r, f.num)] as [string, string]))],
    ['ProcSet', '[/PDF /Text]'],
  ]);
  const sharedResources = r() < 0.5 ? alloc() : undefined;
  if (sharedResources !== undefined) put(sharedResources, resourceValue());

  // pages, each under the parent the tree gives it
  const pageNums = Array.from({ length: pageCount }, alloc);
  const parentOf = new Map<number, number>();
  const leaves = new Map<number, number>();
  const countLeaves = (children: number[]) => children.reduce((s, k) => s + (leaves.get(k) ?? 1), 0);
  const treeRoot = (function build(kids: number[], parent: number | undefined, depth: number): number {
    const node = alloc();
    const children: number[] = [];
    if (kids.length <= 1 || depth > 3 || r() < 0.4) {
      for (const k of kids) { children.push(k); parentOf.set(k, node); }
    } else {
      let rest = [...kids];
      while (rest.length > 0) {
        const take = int(r, 1, rest.length);
        const group = rest.slice(0, take);
        rest = rest.slice(take);
        if (group.length === 1 && r() < 0.5) { children.push(group[0]!); parentOf.set(group[0]!, node); } else children.push(build(group, node, depth + 1));
      }
    }
    const kidsText = `[${pick(r, ['', ' '])}${children.map((k) => ref(r, k)).join(pick(r, [' ', '\n', ' % a kid\n', '  ']))}${pick(r, ['', ' '])}]`;
    const count = countLeaves(children);
    leaves.set(node, count);
    const entries: [string, string][] = [['Type', '/Pages'], ['Kids', kidsText], ['Count', String(count)]];
    if (parent !== undefined) entries.push(['Parent', ref(r, parent)]);
    put(node, dict(r, entries));
    return node;
  })(pageNums, undefined, 0);

  const pages: PageSpec[] = pageNums.map((num, i) => {
    const font = pick(r, fonts);
    const word = `${id}p${i}`;
    const width = pick(r, [300, 612, 595.5, 200, 420.25]);
    const height = pick(r, [200, 792, 841.5, 300]);
    const rotate = pick(r, [0, 0, 0, 90, 180, 270]);
    const tag = `${word} \\(${pick(r, ['5 0 R', 'x', ')('.replace(')(', '\\)\\('), '\\\\'])}\\) (n ${num} 0 R)`;
    const entries: [string, string][] = [
      ['Type', '/Page'],
      ['Parent', ref(r, parentOf.get(num)!)],
      ['MediaBox', `[0 0 ${width} ${height}]`],
      ['Resources', sharedResources !== undefined && r() < 0.7 ? ref(r, sharedResources) : resourceValue()],
    ];
    if (rotate !== 0 || r() < 0.3) entries.push(['Rotate', String(rotate)]);
    const body = `${r() < 0.15 ? '% endstream endobj 3 0 obj\n' : ''}BT /${font.resName} 14 Tf 10 20 Td (${word}) Tj ET`;
    if (r() < 0.3) {
      const [a, b] = [alloc(), alloc()];
      put(a, streamOf('q\n'));
      put(b, streamOf(`${body}\nQ`));
      entries.push(['Contents', `[${ref(r, a)} ${ref(r, b)}]`]);
    } else {
      const c = alloc();
      put(c, streamOf(body));
      entries.push(['Contents', ref(r, c)]);
    }
    const [extra, next] = [alloc(), alloc()];
    put(extra, dict(r, [['Tag', `(${tag})`], ['Page', ref(r, num)], ['Next', ref(r, next)], ['Junk', pick(r, NASTY)]]));
    put(next, `[/Arr${space(r)}1 2.5 -3 (s) ${ref(r, font.num)} <</In ${ref(r, font.num)}>> ${pick(r, NASTY)}]`);
    entries.push(['Extra', ref(r, extra)]);
    if (r() < 0.6) entries.push(['Junk', `[${Array.from({ length: int(r, 1, 4) }, () => pick(r, NASTY)).join(space(r))}]`]);
    if (r() < 0.3) entries.push([pick(r, ['N12', 'R', 'F12', 'Xstream', 'endobj']), pick(r, NASTY)]);
    put(num, dict(r, entries));
    return { text: word, width, height, rotate, tag, font: font.base };
  });

  const catalog = alloc();
  put(catalog, pick(r, [
    `<</Type /Catalog /Pages ${ref(r, treeRoot)}>>`,
    `<</Type/Catalog/Pages ${ref(r, treeRoot)}>>`,
    `<< /Pages ${ref(r, treeRoot)} /Type /Catalog >>`,
    `<<%c\n/Type /Catalog\r\n/Pages ${ref(r, treeRoot)}>>`,
  ]));
  let info: number | undefined;
  if (r() < 0.6) {
    info = alloc();
    put(info, dict(r, [['Producer', '(fuzz \\(1 0 R\\) (nested) \\\\)'], ['Title', '<FEFF00410042>'], ['Keywords', pick(r, NASTY)]]));
  }
  const size = Math.max(...objects.map((o) => o.num)) + 1;
  const trailerEntries: [string, string][] = [['Size', String(size)], ['Root', ref(r, catalog)], ['ID', '[<0123456789abcdef> <0123456789ABCDEF>]']];
  if (info !== undefined) trailerEntries.push(['Info', ref(r, info)]);
  const options: FileOptions = {
    eol: pick(r, ['\n', '\r\n', '\r']),
    xrefEol: pick(r, [' \n', '\r\n', ' \r']),
    subsections: r() < 0.4,
    version: pick(r, ['1.3', '1.4', '1.6']),
  };
  const trailer = dict(r, trailerEntries, false);
  shuffle(r, objects);
  // pages in the order of the tree: the order they were listed in
  return { bytes: buildPdf(objects, trailer, options), pages, objects, trailer, options };
}

/** pdf-lib's view of the joined file: every page, its box, rotation, content, and where its references lead. */
async function checkWithPdfLib(bytes: Uint8Array, expected: PageSpec[]): Promise<void> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  expect(doc.getPageCount()).toBe(expected.length);
  doc.getPages().forEach((page, i) => {
    const e = expected[i]!;
    expect(page.getMediaBox()).toEqual({ x: 0, y: 0, width: e.width, height: e.height });
    expect(page.getRotation().angle).toBe(e.rotate);
    const extra = page.node.lookup(PDFName.of('Extra'), PDFDict);
    expect(extra.lookup(PDFName.of('Tag'), PDFString).asString()).toBe(e.tag);
    expect(extra.get(PDFName.of('Page'))).toBe(page.ref);
    const font = extra.lookup(PDFName.of('Next'), PDFArray).lookup(5, PDFDict);
    expect(font.lookup(PDFName.of('BaseFont'), PDFName).asString()).toBe(`/${e.font}`);
    const contents = page.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray().map((x) => doc.context.lookup(x)) : [contents];
    const data = streams.map((s) => text((s as PDFRawStream).contents)).join('\n');
    expect(data).toContain(`(${e.text}) Tj`);
  });
}

// ---------------------------------------------------------------------------------------------

/**
 * A mutated PDF appended after a good one: 'refused' (UnsupportedPdf, nothing appended),
 * 'accepted' (joined as poppler reads it alone), 'unreadable' (accepted, but poppler itself has
 * to repair the input, so there is nothing to compare with), or the violation, described.
 */
function judgeMutant(bytes: Uint8Array, what: string): string {
  const joiner = new PdfJoiner();
  joiner.add(textPdf('kept'));
  try {
    joiner.add(bytes);
  } catch (e) {
    if (!(e instanceof UnsupportedPdf)) return `${what}: threw ${String(e)}`;
    return Buffer.from(joiner.finish()).equals(Buffer.from(KEPT_ALONE)) ? 'refused' : `${what}: refused but appended`;
  }
  const alone = poppler(bytes);
  // a file poppler itself has to repair, or whose /Count it believes over its /Kids
  if (alone.errors !== '' || alone.sizes.length !== alone.texts.length) return 'unreadable';
  const joined = poppler(joiner.finish());
  const expected = { errors: '', texts: ['kept', ...alone.texts], sizes: [[300, 200], ...alone.sizes], rotations: [0, ...alone.rotations] };
  const got = { errors: joined.errors, texts: joined.texts, sizes: joined.sizes, rotations: joined.rotations };
  return JSON.stringify(got) === JSON.stringify(expected) ? 'accepted' : `${what}: joined ${JSON.stringify(got)}, poppler reads the input as ${JSON.stringify(expected)}`;
}

describe('property: random Skia-like PDFs join to what they were', () => {
  const r = mulberry32(Number(process.env.PDF_JOIN_DOCS_SEED ?? 0x5eed));
  const docs = Array.from({ length: 36 }, (_, i) => randomDoc(r, `d${i}`));

  it('the generator makes valid PDFs (poppler reads each cleanly, as generated)', () => {
    for (const doc of docs) {
      const read = poppler(doc.bytes);
      expect(read.errors).toBe('');
      expect(read.texts).toEqual(doc.pages.map((p) => p.text));
      expect(read.sizes).toEqual(doc.pages.map((p) => [p.width, p.height]));
      expect(read.rotations).toEqual(doc.pages.map((p) => p.rotate));
    }
  });

  it('joins every one of them, in random groups, with the right pages, text, boxes, rotations and references', async () => {
    // pdf-lib, the second reader, misreads some of these on its own (e.g. "endstream" in the data of
    // a stream whose /Length is a reference): it checks the joins of those it reads right alone
    const pdfLibReads = new Set<RandomDoc>();
    for (const doc of docs) {
      try {
        await checkWithPdfLib(doc.bytes, doc.pages);
        pdfLibReads.add(doc);
      } catch { /* pdf-lib's own limits */ }
    }
    expect(pdfLibReads.size).toBeGreaterThan(docs.length / 2);
    const refusals: string[] = [];
    let checkedByPdfLib = 0;
    for (let trial = 0; trial < 30; trial++) {
      const chosen = Array.from({ length: int(r, 1, 4) }, () => pick(r, docs));
      const joiner = new PdfJoiner();
      const expected: PageSpec[] = [];
      for (const doc of chosen) {
        try {
          joiner.add(doc.bytes);
          expected.push(...doc.pages);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsupportedPdf);
          refusals.push((e as Error).message);
        }
      }
      if (expected.length === 0) continue;
      const joined = joiner.finish();
      const read = poppler(joined);
      const context = `trial ${trial}: ${chosen.map((d) => d.pages[0]!.text.replace(/p0$/, '')).join(' + ')}`;
      expect(read.errors, context).toBe('');
      expect(read.pages, context).toBe(expected.length);
      expect(read.texts, context).toEqual(expected.map((p) => p.text));
      expect(read.sizes, context).toEqual(expected.map((p) => [p.width, p.height]));
      expect(read.rotations, context).toEqual(expected.map((p) => p.rotate));
      if (chosen.every((d) => pdfLibReads.has(d))) {
        await checkWithPdfLib(joined, expected);
        checkedByPdfLib += 1;
      }
    }
    // all of these keep to the structure the joiner claims to copy: none should need the fallback
    expect(refusals).toEqual([]);
    expect(checkedByPdfLib).toBeGreaterThan(8);
  });

  it('refuses (or joins faithfully) a page whose comments or strings say "/Type /Pages"', () => {
    // not a defect: the type test of pdf-join.ts:110 reads comments and strings too, so such a page
    // costs the whole set the pdf-lib fallback
    for (const extra of [' % /Type /Pages\n', ' /Note (/Type /Pages)']) refusedOrFaithful(textPdf('typed', 1, extra));
  });

  /**
   * Judges `edits` mutants (PDF_JOIN_FUZZ_EDITS overrides; the generator seeded from `seed`, or
   * PDF_JOIN_FUZZ_SEED): every one must be refused or joined faithfully, and at least `minAccepted`
   * joined. `mutant` gives a mutant's bytes and description, or null when the edit changed nothing.
   */
  function judgeMutants(seed: number, edits: number, minAccepted: number, mutant: (m: () => number) => { bytes: Uint8Array; what: string } | null): void {
    const m = mulberry32(Number(process.env.PDF_JOIN_FUZZ_SEED ?? seed));
    const violations: string[] = [];
    let accepted = 0;
    for (let i = 0; i < Number(process.env.PDF_JOIN_FUZZ_EDITS ?? edits); i++) {
      const made = mutant(m);
      if (made === null) continue;
      const verdict = judgeMutant(made.bytes, made.what);
      if (verdict === 'accepted') accepted += 1;
      else if (verdict !== 'refused' && verdict !== 'unreadable') violations.push(verdict);
    }
    if (process.env.PDF_JOIN_FUZZ_EDITS) console.log(`accepted ${accepted}`);
    expect(violations).toEqual([]);
    expect(accepted).toBeGreaterThan(minAccepted);
  }

  it('refuses, with UnsupportedPdf and nothing appended, or joins faithfully, every one-byte mutation', () => {
    const interesting = '0123456789 ()<>[]/%\\R\n\rse#+-';
    judgeMutants(0xbad5eed, 60, 10, (m) => {
      const doc = pick(m, docs);
      const bytes = new Uint8Array(doc.bytes);
      const source = text(doc.bytes);
      const startxref = source.lastIndexOf('startxref');
      const xrefAt = Number(/startxref\s+(\d+)/.exec(source.slice(startxref))![1]);
      // mostly the objects, now and then the table or the trailer
      const at = m() < 0.85 ? int(m, 0, xrefAt - 1) : int(m, xrefAt, startxref - 1);
      bytes[at] = interesting.charCodeAt(int(m, 0, interesting.length - 1));
      if (bytes[at] === doc.bytes[at]) return null;
      return { bytes, what: `${doc.pages[0]!.text.replace(/p0$/, '')} byte ${at} ${JSON.stringify(source.slice(Math.max(0, at - 20), at))}+${JSON.stringify(String.fromCharCode(doc.bytes[at]!))}->${JSON.stringify(String.fromCharCode(bytes[at]!))}` };
    });
  });

  it('refuses, with UnsupportedPdf and nothing appended, or joins faithfully, every one-character edit of an object (table rebuilt)', () => {
    const interesting = '0123456789 ()<>[]/%\\R\n\rse#+-.';
    judgeMutants(0xed17, 80, 20, (m) => {
      const doc = pick(m, docs);
      const k = int(m, 0, doc.objects.length - 1);
      const value = doc.objects[k]!.value;
      // in a stream, the dictionary and the keyword (the data is nobody's business but the reader's)
      const limit = value.includes('stream') ? value.indexOf('stream') + 7 : value.length;
      const at = int(m, 0, limit - 1);
      const ch = interesting[int(m, 0, interesting.length - 1)]!;
      const op = pick(m, ['replace', 'replace', 'insert', 'delete'] as const);
      const edited = op === 'replace' ? value.slice(0, at) + ch + value.slice(at + 1) : op === 'insert' ? value.slice(0, at) + ch + value.slice(at) : value.slice(0, at) + value.slice(at + 1);
      if (edited === value) return null;
      const objects = doc.objects.map((o, n) => (n === k ? { ...o, value: edited } : o));
      return { bytes: buildPdf(objects, doc.trailer, doc.options), what: `${doc.pages[0]!.text.replace(/p0$/, '')} object ${doc.objects[k]!.num}: ${op} ${JSON.stringify(ch)} at ${at} in ${JSON.stringify(value.slice(Math.max(0, at - 25), at + 15))}` };
    });
  });
});

describe('structures it must refuse (UnsupportedPdf, nothing appended)', () => {
  it('a catalog with anything but its pages', () => {
    for (const extra of [
      ' /Outlines 9 0 R', ' /Names <</Dests 9 0 R>>', ' /Dests 9 0 R', ' /AcroForm <</Fields []>>', ' /StructTreeRoot 9 0 R',
      ' /OpenAction [3 0 R /Fit]', ' /PageLabels <</Nums [0 <</S /D>>]>>', ' /MarkInfo <</Marked true>>', ' /Lang (en)',
      ' /ViewerPreferences <</DisplayDocTitle true>>', ' /Metadata 9 0 R', ' /PageMode /UseOutlines', ' /Version /1.7',
      '/OpenAction 3 0 R', // no space before the key
    ]) {
      const pdf = makePdf({
        1: `<</Type /Catalog /Pages 2 0 R${extra}>>`,
        2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
        3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
        4: stream('BT /F1 18 Tf 20 100 Td (x) Tj ET'),
        5: FONT,
        9: '<</Type /Outlines /Count 0>>',
      }, '<</Size 10 /Root 1 0 R>>');
      mustRefuse(pdf);
    }
  });

  it('attributes a page-tree node hands down, at the root or further down', () => {
    for (const attribute of ['/Resources <</Font <</F1 5 0 R>>>>', '/MediaBox [0 0 300 200]', '/CropBox [0 0 100 100]', '/Rotate 90']) {
      // the page lacks what it would inherit only where the attribute is required; /Rotate and /CropBox change the output
      const page = '<</Type /Page /Parent 6 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>';
      mustRefuse(makePdf({
        1: '<</Type /Catalog /Pages 2 0 R>>',
        2: `<</Type /Pages /Kids [6 0 R] /Count 1 ${attribute}>>`,
        3: page,
        4: stream('BT /F1 18 Tf 20 100 Td (x) Tj ET'),
        5: FONT,
        6: `<</Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1>>`,
      }, '<</Size 7 /Root 1 0 R>>'));
      mustRefuse(makePdf({
        1: '<</Type /Catalog /Pages 2 0 R>>',
        2: '<</Type /Pages /Kids [6 0 R] /Count 1>>',
        3: page,
        4: stream('BT /F1 18 Tf 20 100 Td (x) Tj ET'),
        5: FONT,
        6: `<</Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1\n${attribute}>>`,
      }, '<</Size 7 /Root 1 0 R>>'));
    }
  });

  it('objects or references of a generation other than 0', () => {
    const base = {
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (x) Tj ET'),
    };
    // the font is object 5 1
    const objects: FileObject[] = [...Object.entries(base).map(([n, value]) => ({ num: Number(n), value })), { num: 5, gen: 1, value: FONT }];
    mustRefuse(buildPdf(objects.map((o) => (o.num === 3 ? { ...o, value: o.value.replace('5 0 R', '5 1 R') } : o)), '<</Size 6 /Root 1 0 R>>'));
    // a reference 5 1 R to an object 5 0 (which the reference does not reach: poppler reads null)
    mustRefuse(buildPdf([...Object.entries(base).map(([n, value]) => ({ num: Number(n), value: value.replace('/F1 5 0 R', '/F1 5 1 R') })), { num: 5, value: FONT }], '<</Size 6 /Root 1 0 R>>'));
  });

  it('incremental updates, hybrid files, encryption, cross-reference and object streams', async () => {
    const plain = text(textPdf('x'));
    const withTrailer = (extra: string) => latin1(plain.replace('<</Size 6 /Root 1 0 R>>', `<</Size 6 /Root 1 0 R${extra}>>`));
    mustRefuse(withTrailer(' /Prev 9'));
    mustRefuse(withTrailer(' /XRefStm 9'));
    mustRefuse(withTrailer(' /Encrypt <</Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4>>'));
    // a real incremental update: the page's text changed in a second section
    const body = plain;
    const xref1 = Number(/startxref\n(\d+)/.exec(body)![1]);
    const newContent = stream('BT /F1 18 Tf 20 100 Td (updated) Tj ET');
    const at = body.length;
    let update = `4 0 obj\n${newContent}\nendobj\n`;
    const xref2 = at + update.length;
    update += `xref\n0 1\n0000000000 65535 f \n4 1\n${String(at).padStart(10, '0')} 00000 n \ntrailer\n<</Size 6 /Root 1 0 R /Prev ${xref1}>>\nstartxref\n${xref2}\n%%EOF\n`;
    mustRefuse(latin1(body + update));
    // what pdf-lib writes with object streams: a cross-reference stream
    const modern = await PDFDocument.create();
    modern.addPage([300, 200]).drawText('modern', { font: await modern.embedFont(StandardFonts.Helvetica) });
    mustRefuse(await modern.save({ useObjectStreams: true }));
  });

  it('a page tree that is deeper than it allows, or loops', () => {
    const objects: Record<number, string> = { 1: '<</Type /Catalog /Pages 10 0 R>>', 4: stream('BT /F1 18 Tf 20 100 Td (deep) Tj ET'), 5: FONT };
    const depth = 70;
    for (let d = 0; d < depth; d++) objects[10 + d] = `<</Type /Pages /Kids [${d + 1 < depth ? 11 + d : 3} 0 R] /Count 1${d > 0 ? ` /Parent ${9 + d} 0 R` : ''}>>`;
    objects[3] = `<</Type /Page /Parent ${9 + depth} 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>`;
    refusedOrFaithful(makePdf(objects, `<</Size ${10 + depth} /Root 1 0 R>>`));
    mustRefuse(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [6 0 R] /Count 1>>',
      6: '<</Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1>>',
    }, '<</Size 7 /Root 1 0 R>>'));
  });
});

describe('damaged files: refused with UnsupportedPdf, or joined as poppler reads them', () => {
  it('every truncation of a valid file', () => {
    const full = text(textPdf('cut'));
    for (let cut = 0; cut < full.length; cut += 2) refusedOrFaithful(latin1(full.slice(0, cut)));
  });

  it('a cross-reference table pointing one byte off, at another object, or at garbage', () => {
    const pdf = text(textPdf('offsets'));
    const entries = [...pdf.matchAll(/^(\d{10}) 00000 n $/gm)];
    for (const [i, e] of entries.entries()) {
      const offset = Number(e[1]);
      for (const to of [offset - 1, offset + 1, Number(entries[(i + 1) % entries.length]![1]), 0, 9]) {
        const bad = pdf.slice(0, e.index) + String(to).padStart(10, '0') + pdf.slice(e.index! + 10);
        refusedOrFaithful(latin1(bad));
      }
    }
  });

  it('startxref pointing elsewhere in the file', () => {
    const pdf = text(textPdf('startxref'));
    const xrefAt = Number(/startxref\n(\d+)/.exec(pdf)![1]);
    for (const to of [0, 9, xrefAt - 1, xrefAt + 1, xrefAt + 5]) refusedOrFaithful(latin1(pdf.replace(/startxref\n\d+/, `startxref\n${to}`)));
  });

  it('startxref pointing past the end of the file (a file with a hole in it, or cut and given an end again)', () => {
    // BUG: a RangeError from Buffer.from in latin1() (pdf-join.ts:34, called at :44), not UnsupportedPdf
    const pdf = text(textPdf('hole'));
    const failures: string[] = [];
    const xrefAt = pdf.indexOf('xref');
    const cases = [pdf.replace(/startxref\n\d+/, 'startxref\n999999'), ...[20, 120, xrefAt - 5].map((cut) => `${pdf.slice(0, cut)}\nstartxref\n${xrefAt}\n%%EOF\n`)];
    for (const bad of cases) {
      try {
        refusedOrFaithful(latin1(bad));
      } catch (e) {
        failures.push(`${JSON.stringify(bad.slice(-40))}: ${String(e).split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a cross-reference entry pointing past the end of the file', () => {
    const pdf = text(textPdf('past the end'));
    const e = [...pdf.matchAll(/^(\d{10}) 00000 n $/gm)].at(-1)!;
    // BUG: a RangeError from Buffer.from in parse() (pdf-join.ts:74), not UnsupportedPdf
    refusedOrFaithful(latin1(pdf.slice(0, e.index) + '0000999999' + pdf.slice(e.index! + 10)));
  });

  it('objects written after the cross-reference table', () => {
    const pdf = text(textPdf('after the table'));
    // move the font (object 5) to between the trailer and startxref
    const fontAt = pdf.indexOf('5 0 obj');
    const fontEnd = pdf.indexOf('endobj\n', fontAt) + 'endobj\n'.length;
    const font = pdf.slice(fontAt, fontEnd);
    let moved = pdf.slice(0, fontAt) + pdf.slice(fontEnd);
    const xrefAt = moved.indexOf('xref\n');
    const entryFix = (s: string, num: number, offset: number) => s.replace(new RegExp(`^(0 \\d+\\n(?:.*\\n){${num}})\\d{10}`, 'm'), `$1${String(offset).padStart(10, '0')}`);
    const startxrefAt = moved.indexOf('startxref');
    moved = moved.slice(0, startxrefAt) + font + moved.slice(startxrefAt);
    moved = entryFix(moved, 5, startxrefAt).replace(/startxref\n\d+/, `startxref\n${xrefAt}`);
    expect(poppler(latin1(moved)).errors).toBe('');
    refusedOrFaithful(latin1(moved));
  });

  it('junk after %%EOF, a missing header, an empty file', () => {
    const pdf = text(textPdf('junk'));
    refusedOrFaithful(latin1(`${pdf}\0\0`));
    refusedOrFaithful(latin1(`${pdf}%%EOF\n`));
    refusedOrFaithful(latin1(pdf.replace('%PDF-1.4', '%PDX-1.4')));
    refusedOrFaithful(new Uint8Array(0));
  });

  it('a reference to an object that is not there, or free', () => {
    refusedOrFaithful(textPdf('dangling', 1, ' /Extra 77 0 R'));
    refusedOrFaithful(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R /Free 6 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (free) Tj ET'),
      5: FONT,
      7: '<<>>',
    }, '<</Size 8 /Root 1 0 R>>'));
  });
});

describe('accepted odd but valid files are joined faithfully', () => {
  it('CR-only lines, CRLF lines, subsections, a version of 2.0, and pdf-lib output with a classic table', async () => {
    for (const eol of ['\r', '\r\n']) {
      refusedOrFaithful(makePdf({
        1: '<</Type /Catalog /Pages 2 0 R>>',
        2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
        3: `<</Type /Page${eol}/Parent 2 0 R${eol}/MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>`,
        4: `<</Length 35>>${eol === '\r' ? '\n' : eol}stream\r\nBT /F1 18 Tf 20 100 Td (crlf) Tj ET\r\nendstream`,
        5: FONT,
      }, '<</Size 6 /Root 1 0 R>>', { eol, xrefEol: eol === '\r' ? ' \r' : '\r\n', subsections: true, version: '2.0' }));
    }
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([300, 200]).drawText('made by pdf-lib', { x: 20, y: 100, font });
    doc.addPage([200, 300]).drawText('second', { x: 20, y: 100, font });
    const outcome = refusedOrFaithful(await doc.save({ useObjectStreams: false }));
    if (!outcome.refused) expect(outcome.joined.texts).toEqual(['kept', 'made by pdf-lib', 'second']);
  });

  it('the same document several times, and with colliding numbers', () => {
    const a = textPdf('alpha');
    const read = poppler(join2(a, a, textPdf('beta', 3), a));
    expect(read.errors).toBe('');
    expect(read.texts).toEqual(['alpha', 'alpha', 'beta', 'alpha']);
  });

  it('a link annotation whose destination is a page of the same document', () => {
    const pdf = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R 6 0 R] /Count 2>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R /Annots [7 0 R]>>',
      4: stream('BT /F1 18 Tf 20 100 Td (from) Tj ET'),
      5: FONT,
      6: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 8 0 R>>',
      7: '<</Type /Annot /Subtype /Link /Rect [0 0 100 100] /Dest [6 0 R /XYZ 0 200 0] /P 3 0 R>>',
      8: stream('BT /F1 18 Tf 20 100 Td (to) Tj ET'),
    }, '<</Size 9 /Root 1 0 R>>');
    const joined = join2(textPdf('zero'), pdf);
    expect(poppler(joined).texts).toEqual(['zero', 'from', 'to']);
    // the link goes to the third page of the joined file
    const out = text(joined);
    const annot = /\/Type \/Annot[^]*?\/Dest \[(\d+) 0 R/.exec(out)!;
    const kids = /\/Kids \[([^\]]*)\]/.exec(out)![1]!.split(/ 0 R ?/).filter(Boolean).map(Number);
    expect(Number(annot[1])).toBe(kids[2]);
  });
});

describe('once wrong results (minimal inputs from an independent review), now refused or joined faithfully', () => {
  it('a comment inside /Kids that holds a reference is not read as a kid', () => {
    // poppler (and the PDF syntax) ignores the comment: one page. pdf-join.ts:116 matches the
    // raw text of the array with a regular expression, so the page is listed twice.
    const pdf = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R % was: 3 0 R 3 0 R\n] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (once) Tj ET'),
      5: FONT,
    }, '<</Size 6 /Root 1 0 R>>');
    expect(poppler(pdf).texts).toEqual(['once']);
    refusedOrFaithful(pdf);
  });

  it('a page-tree node whose /Type is written with a #-escape (/Page#73 is /Pages) is not taken for a page', () => {
    // the type tests (pdf-join.ts:110, 117) match raw text, not the decoded name
    const pdf = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [6 0 R] /Count 2>>',
      3: '<</Type /Page /Parent 6 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (one) Tj ET'),
      5: FONT,
      6: '<</Type /Page#73 /Parent 2 0 R /Kids [3 0 R 7 0 R] /Count 2>>',
      7: '<</Type /Page /Parent 6 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 8 0 R>>',
      8: stream('BT /F1 18 Tf 20 100 Td (two) Tj ET'),
    }, '<</Size 9 /Root 1 0 R>>');
    const alone = poppler(pdf);
    expect(alone.errors).toBe('');
    expect(alone.texts).toEqual(['one', 'two']);
    refusedOrFaithful(pdf);
  });

  it('references that poppler reads though they are odd (a signed number, a number glued to R) are renumbered or refused', () => {
    // poppler's lexer reads "+4" as 4, and stops a number at the first non-digit, so "4 0R" and
    // "4 +0 R" are references to object 4 for it; INTEGER (pdf-join.ts:259) is /^\d+$/ and the
    // tokenizer keeps "0R" as one token (pdf-join.ts:253), so they are copied unchanged and then
    // point at whatever object 4 is in the joined file
    const failures: string[] = [];
    for (const contents of ['+4 0 R', '4 0R', '4 +0 R']) {
      const pdf = makePdf({
        1: '<</Type /Catalog /Pages 2 0 R>>',
        2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
        3: `<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents ${contents}>>`,
        4: stream('BT /F1 18 Tf 20 100 Td (signed) Tj ET'),
        5: FONT,
      }, '<</Size 6 /Root 1 0 R>>');
      const alone = poppler(pdf);
      expect(alone.errors).toBe('');
      expect(alone.texts).toEqual(['signed']);
      try {
        refusedOrFaithful(pdf);
      } catch (e) {
        failures.push(`/Contents ${contents}: ${String(e).split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('an unlisted (dead) object after a stream is not copied into the stream (the stream ends where /Length says)', async () => {
    // Object 5 is free in the table but its old bytes are still in the file, after stream 4.
    // pdf-join.ts:91 takes the last "endstream" before the next listed object, so the dead
    // "5 0 obj" is copied too; in the joined file object 5 is the first document's content, and
    // pdf-lib (which parses the body in order) replaces it by the dead one.
    const dead = `5 0 obj\n${stream('BT /F1 18 Tf 20 100 Td (dead) Tj ET')}\nendobj\n`;
    const pdf = buildPdf([
      { num: 1, value: '<</Type /Catalog /Pages 2 0 R>>' },
      { num: 2, value: '<</Type /Pages /Kids [3 0 R] /Count 1>>' },
      { num: 3, value: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 6 0 R>>>> /Contents 4 0 R>>' },
      { num: 4, value: stream('BT /F1 18 Tf 20 100 Td (live) Tj ET') },
      { num: 6, value: FONT },
    ], '<</Size 7 /Root 1 0 R>>', { junkAfter: { 4: dead } });
    expect(poppler(pdf).texts).toEqual(['live']);
    const alone = await PDFDocument.load(pdf);
    expect(text((alone.getPage(0).node.Contents() as PDFRawStream).contents)).toContain('(live)');
    const joined = join2(textPdf('first'), pdf);
    expect(poppler(joined).texts).toEqual(['first', 'live']);
    const doc = await PDFDocument.load(joined);
    const contents = doc.getPages().map((p) => text((p.node.Contents() as PDFRawStream).contents));
    expect(contents[0]).toContain('(first)');
    expect(contents[1]).toContain('(live)');
    // and the joined file holds no object header that its table does not list
    expect(text(joined)).not.toContain('(dead)');
  });
});

describe('more once-wrong results', () => {
  it('a trailer /Info that names a page is refused (it dropped the page and wrote "undefined 0 R")', () => {
    // pdf-join.ts:104 drops the /Info object without asking what else it is; the page is then
    // neither copied nor refused, and pdf-join.ts:170 pushes renumber.get(page) === undefined
    const pdf = makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R] /Count 1>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (info) Tj ET'),
      5: FONT,
    }, '<</Size 6 /Root 1 0 R /Info 3 0 R>>');
    expect(poppler(pdf).texts).toEqual(['info']);
    refusedOrFaithful(pdf);
  });

  it('a damaged file makes PdfConcatenation fall back to pdf-lib (which reads it), not fail', async () => {
    // the RangeError of pdf-join.ts:44 is not an UnsupportedPdf, so class-set.ts:106 rethrows it
    const hole = latin1(text(textPdf('hole')).replace(/startxref\n\d+/, 'startxref\n999999'));
    expect((await PDFDocument.load(hole)).getPageCount()).toBe(1);
    const joined = new PdfConcatenation(2);
    const done = Promise.all([joined.set(0, textPdf('first')), joined.set(1, hole)]);
    await expect(done.then(() => joined.save()).then((b) => poppler(b).texts)).resolves.toEqual(['first', 'hole']);
  });

  it('the same page listed twice in /Kids', () => {
    refusedOrFaithful(makePdf({
      1: '<</Type /Catalog /Pages 2 0 R>>',
      2: '<</Type /Pages /Kids [3 0 R 3 0 R] /Count 2>>',
      3: '<</Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>',
      4: stream('BT /F1 18 Tf 20 100 Td (twice) Tj ET'),
      5: FONT,
    }, '<</Size 6 /Root 1 0 R>>'));
  });
});

// ---------------------------------------------------------------------------------------------
// real Chromium PDFs

describe('real Chromium PDFs', () => {
  const out = join(dir, 'render');
  let sheets: string[] = [];

  beforeAll(() => {
    const r = spawnSync(process.execPath, ['dist/cli.js', 'render', '--bank', 'bptt-basics', '--seed', '5', '--count', '3', '--out', out], { encoding: 'utf8', timeout: 60_000 });
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

  it('the class set is the sheets, page by page: text, boxes and pixels', () => {
    expect(sheets.length).toBe(3);
    const classSet = readFileSync(join(out, 'class-set.pdf'));
    const joined = poppler(classSet);
    expect(joined.errors).toBe('');
    const parts = sheets.map((s) => poppler(readFileSync(s)));
    for (const p of parts) expect(p.errors).toBe('');
    expect(joined.texts).toEqual(parts.flatMap((p) => p.texts));
    expect(joined.sizes).toEqual(parts.flatMap((p) => p.sizes));
    const setPixels = pixels(join(out, 'class-set.pdf'));
    const sheetPixels = sheets.flatMap((s) => pixels(s));
    expect(setPixels.length).toBe(sheetPixels.length);
    setPixels.forEach((px, i) => expect(px.equals(sheetPixels[i]!), `page ${i + 1} differs`).toBe(true));
    // every font embedded, as many as in the sheets together
    const fonts = (path: string) => spawnSync('pdffonts', [path], { encoding: 'utf8' }).stdout.split('\n').slice(2).filter(Boolean);
    const setFonts = fonts(join(out, 'class-set.pdf'));
    expect(setFonts.every((l) => / yes yes yes /.test(l))).toBe(true);
    expect(setFonts.length).toBe(sheets.reduce((s, f) => s + fonts(f).length, 0));
    // made by the joiner, not by pdf-lib
    expect(text(classSet)).toContain('/Producer (gradsheet)');
  });

  it('the answer key reads cleanly', () => {
    const key = poppler(readFileSync(join(out, 'answer-key.pdf')));
    expect(key.errors).toBe('');
    expect(key.pages).toBeGreaterThan(1);
    expect(key.texts.every((t) => t.length > 0)).toBe(true);
  });

  it('PdfConcatenation copies real sheets (no fallback) in any arrival order, repeated sheets too', async () => {
    const bytes = sheets.map((s) => new Uint8Array(readFileSync(s)));
    const order = [bytes[2]!, bytes[0]!, bytes[2]!, bytes[1]!];
    const joined = new PdfConcatenation(order.length);
    await Promise.all([3, 1, 0, 2].map((i) => joined.set(i, order[i]!)));
    expect(joined.usedPdfLib).toBe(false);
    const read = poppler(await joined.save());
    expect(read.errors).toBe('');
    expect(read.texts).toEqual(order.flatMap((b) => poppler(b).texts));
    const doc = await PDFDocument.load(await joined.save());
    expect(doc.getPageCount()).toBe(read.pages);
  });

  it('a truncated or byte-damaged real sheet is refused with UnsupportedPdf or joined faithfully', () => {
    const sheet = readFileSync(sheets[0]!);
    const m = mulberry32(77);
    for (let i = 0; i < 12; i++) refusedOrFaithful(new Uint8Array(sheet.subarray(0, int(m, 0, sheet.length - 1))));
    // a Skia page dictionary is near the end: damage it
    const s = text(sheet);
    const pageAt = s.indexOf('/Type /Page\n');
    for (const ch of ['(', ')', '<', '>', '[', '%', '9']) {
      const bad = new Uint8Array(sheet);
      bad[pageAt - 2] = ch.charCodeAt(0);
      refusedOrFaithful(bad);
    }
  });

  it('a real sheet passed through pdf-lib (classic table) is copied or refused, never garbled', async () => {
    const doc = await PDFDocument.load(readFileSync(sheets[1]!));
    refusedOrFaithful(await doc.save({ useObjectStreams: false }));
  });
});
