/**
 * A class set, rendered: one worksheet PDF per student, the combined class-set PDF, optionally a
 * separate answer sheet per student (and all of them joined), and the answer key (cover sheet with
 * the class list, then every worksheet's answers in compact tables, then every variant's answers
 * and worked solutions). HTML comes from the templates; PDFs from a Printer (browser.ts); the
 * combined PDFs are the students' PDFs joined with pdf-lib rather than printed a second time —
 * for duplex printing with a blank page after each document of an odd number of pages, so every
 * student's sheet starts on the front of a sheet of paper.
 */
import type { PDFDocument } from 'pdf-lib';
import type { Bank } from '../problems/bank.js';
import type { WorkingSpace } from '../problems/working-space.js';
import type { KeyVariant } from '../problems/key.js';
import { katexCss, type PdfPageOptions, type Printer } from './browser.js';
import { answerSheetView, answerTablesView, coverView, sheetView, type Paper, type SheetOptions, type SheetView } from './sheets.js';
import type { Templates } from './templates.js';
import { titleText } from './typeset.js';

export interface RenderedDocument {
  html: string;
  /** the document's own CSS: its running header and footer */
  head: string;
  pdf: PdfPageOptions;
}

/** The page margins (they hold the running header and footer). */
export const MARGIN = { top: '15mm', bottom: '13mm', left: '13mm', right: '13mm' };

/** A standalone HTML file (KaTeX CSS and fonts inlined), for --html; built only then. */
export function standaloneHtml(t: Templates, title: string, body: string, pageCss = ''): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title.replace(/[&<>"]/g, '')}</title>` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">` +
    `<style>${katexCss()}</style><style>${t.css}${pageCss}</style></head><body>${body}</body></html>`;
}

/**
 * The standalone HTML of a class set, for --html: one file per worksheet (in the order given) and
 * the answer key as one file (cover, then each variant's key after a page break), built from the
 * same documents that are printed.
 */
export function standaloneClassSet(t: Templates, title: string, variants: readonly KeyVariant[], docs: ClassSetDocuments): { sheets: string[]; answerSheets: string[] | undefined; key: string | undefined } {
  const each = (doc: (i: number) => RenderedDocument, kind: string) => variants.map((v, i) => {
    const d = doc(i);
    return standaloneHtml(t, `${titleText(title)} — ${kind}${v.code}`, d.html, d.head);
  });
  let key: string | undefined;
  if (docs.key) {
    const cover = docs.key.cover();
    const rest = keyDocumentsAfterCover(docs);
    const keyBody = cover.html + Array.from({ length: rest.count }, (_, i) => `<div class="page-break"></div>${rest.doc(i).html}`).join('');
    key = standaloneHtml(t, `Answer key — ${titleText(title)}`, keyBody, cover.head);
  }
  return {
    sheets: each((i) => docs.sheet(i), ''),
    answerSheets: docs.answerSheet ? each(docs.answerSheet, 'answer sheet ') : undefined,
    key,
  };
}

/** A worksheet; with `answerSheet`, its instructions send the answers to the separate answer sheet. */
export function worksheetDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper, options: SheetOptions & { answerSheet?: boolean } = {}): RenderedDocument {
  return worksheetFromView(t, sheetView(bank, variant, false, options), paper, options.answerSheet === true);
}

function worksheetFromView(t: Templates, sheet: SheetView, paper: Paper, answerSheet: boolean): RenderedDocument {
  const view = { ...sheet, separateAnswerSheet: answerSheet };
  return { html: t.worksheet(view), head: t.page(view), pdf: { format: paper, margin: MARGIN } };
}

/**
 * The answer key as documents: the cover sheet (class list), then one document per worksheet
 * (`keyDocument`), so each key page's running header names the worksheet and student it belongs
 * to. The PDFs are concatenated afterwards; with --html the command writes them as one file.
 */
export function keyCoverDocument(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper, follows?: { tables: boolean; solutions: boolean }): RenderedDocument {
  return { html: t.cover(coverView(bank, variants, follows)), head: t.page(keyLabel(bank)), pdf: { format: paper, margin: MARGIN } };
}

/** The running header of the answer key's pages that belong to no one worksheet. */
function keyLabel(bank: Bank): { course: string; bankTitle: string; name: string; code: string } {
  return { course: bank.course ?? '', bankTitle: `Answer key — ${titleText(bank.title)}`, name: 'teacher only', code: bank.id };
}

/**
 * Every worksheet's answers as compact tables (one per worksheet: part, answer at the printed
 * precision, points, total), several to a page: one document for the whole class, printed once.
 */
export function answerTablesDocument(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper, solutionsFollow: boolean): RenderedDocument {
  return { html: t.keyTables(answerTablesView(bank, variants, solutionsFollow)), head: t.page(keyLabel(bank)), pdf: { format: paper, margin: MARGIN } };
}

/** One student's separate answer sheet: a page of answer boxes and ticks, labelled 1(a), with the code. */
export function answerSheetDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper): RenderedDocument {
  // the answer sheet shows boxes, not the room to work: no worked solution is needed to size it
  return answerSheetFromView(t, sheetView(bank, variant, false, { workingSpace: 'none' }), paper);
}

function answerSheetFromView(t: Templates, sheet: SheetView, paper: Paper): RenderedDocument {
  const view = answerSheetView(sheet);
  return { html: t.answerSheet(view), head: t.page(view), pdf: { format: paper, margin: MARGIN } };
}

/** One worksheet's answers and worked solutions. */
export function keyDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper): RenderedDocument {
  const view = sheetView(bank, variant, true);
  return { html: t.key(view), head: t.page({ ...view, bankTitle: `Answer key — ${view.bankTitle}` }), pdf: { format: paper, margin: MARGIN } };
}

/** The cover and every worksheet's key (`keyCoverDocument`, `keyDocument`). */
export function keyDocuments(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper): { cover: RenderedDocument; keys: RenderedDocument[] } {
  return { cover: keyCoverDocument(t, bank, variants, paper), keys: variants.map((v) => keyDocument(t, bank, v, paper)) };
}

export async function renderPdf(printer: Printer, t: Templates, doc: RenderedDocument): Promise<Uint8Array> {
  return printer.print({ head: t.css + doc.head, body: doc.html }, doc.pdf);
}

/**
 * Runs `task(0)` … `task(count - 1)`, started in index order, at most `width` at once. After a
 * failure no further task starts; the first failure is thrown once the running tasks have ended.
 */
export async function inOrderPool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0, failed = false;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count && !failed) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  }));
}

/** A class set's documents, each built when asked for (just before it is printed). */
export interface ClassSetDocuments {
  count: number;
  /**
   * for printing on both sides: in the joined PDFs (class set, answer sheets) every document
   * starts on a front page, a blank page following one of an odd number of pages
   */
  duplex?: boolean;
  sheet(i: number): RenderedDocument;
  /** each student's separate answer sheet; absent when none is printed */
  answerSheet?(i: number): RenderedDocument;
  /**
   * the answer key: its cover, the answer tables of every sheet (one document), and one key
   * document (worked solutions) per sheet — tables and solutions each where asked for; absent
   * when no key is printed
   */
  key?: { cover(): RenderedDocument; tables?(): RenderedDocument; sheet?(i: number): RenderedDocument };
}

/** How much of the answer key is printed: cover, tables and worked solutions; cover and tables; nothing. */
export type KeyContents = 'full' | 'answers' | 'none';

export interface ClassSetOptions {
  paper: Paper;
  key: KeyContents;
  /** a separate answer sheet per student */
  answerSheets: boolean;
  duplex: boolean;
  /** room to work on the worksheets (the bank's own setting when absent) */
  workingSpace?: WorkingSpace;
}

/**
 * The documents of a class set as `options` ask. Each is built when asked for (so building
 * overlaps the printing of the ones before); with `keep`, a document is built once and kept (for
 * --html, which writes every document before they are printed).
 */
export function classSetDocuments(t: Templates, bank: Bank, variants: readonly KeyVariant[], options: ClassSetOptions, keep = false): ClassSetDocuments {
  const { paper } = options;
  const made = <T>(build: (i: number) => T): ((i: number) => T) => {
    if (!keep) return build;
    const kept = new Map<number, T>();
    return (i) => {
      if (!kept.has(i)) kept.set(i, build(i));
      return kept.get(i)!;
    };
  };
  const solutions = options.key === 'full';
  const cover = made(() => keyCoverDocument(t, bank, variants, paper, { tables: true, solutions }));
  const tables = made(() => answerTablesDocument(t, bank, variants, paper, solutions));
  const keys = made((i) => keyDocument(t, bank, variants[i]!, paper));
  // a student's worksheet and answer sheet are built from one view: it is kept from the one to the other
  const views = new Map<number, SheetView>();
  const viewOf = (i: number): SheetView => {
    const view = views.get(i) ?? sheetView(bank, variants[i]!, false, options.workingSpace ? { workingSpace: options.workingSpace } : {});
    if (options.answerSheets) views.set(i, view);
    return view;
  };
  return {
    count: variants.length,
    duplex: options.duplex,
    sheet: made((i) => worksheetFromView(t, viewOf(i), paper, options.answerSheets)),
    ...(options.answerSheets ? {
      answerSheet: made((i) => {
        const view = viewOf(i);
        views.delete(i);
        return answerSheetFromView(t, view, paper);
      }),
    } : {}),
    ...(options.key === 'none' ? {} : { key: { cover: () => cover(0), tables: () => tables(0), ...(solutions ? { sheet: keys } : {}) } }),
  };
}

/** The answer key's documents after its cover: the tables (if any), then each sheet's key (if any). */
function keyDocumentsAfterCover(docs: ClassSetDocuments): { count: number; doc(i: number): RenderedDocument } {
  const key = docs.key;
  const tables = key?.tables, sheet = key?.sheet;
  const first = tables ? 1 : 0;
  return {
    count: first + (sheet ? docs.count : 0),
    doc: (i) => (tables && i === 0 ? tables() : sheet!(i - first)),
  };
}

/** How many documents `printClassSet` prints (for a progress bar). */
export function documentCount(docs: ClassSetDocuments): number {
  return docs.count + (docs.answerSheet ? docs.count : 0) + (docs.key ? 1 + keyDocumentsAfterCover(docs).count : 0);
}

export interface PrintedClassSet {
  classSet: Uint8Array;
  /** every answer sheet joined, when answer sheets are printed */
  answerSheets: Uint8Array | undefined;
  answerKey: Uint8Array | undefined;
}

/**
 * Prints a class set: every worksheet (handed to `on.sheet` as it comes, and joined into the class
 * set while later ones print), then the answer sheets (likewise, `on.answerSheet`), then the answer
 * key. Each document is built just before it is printed, one more at a time than the printer's
 * pool holds, so a page never waits for HTML and building overlaps Chromium's work. `on.printed`
 * is called after each document.
 */
export async function printClassSet(printer: Printer, t: Templates, docs: ClassSetDocuments, on: { sheet(i: number, pdf: Uint8Array): Promise<void>; answerSheet?(i: number, pdf: Uint8Array): Promise<void>; printed(): void }): Promise<PrintedClassSet> {
  const width = printer.poolSize + 1;
  const duplex = docs.duplex === true;
  /** prints documents 0 … count - 1, handing each to `each`, and joins them */
  const printJoined = async (count: number, doc: (i: number) => RenderedDocument, pad: boolean, each?: (i: number, pdf: Uint8Array) => Promise<void>): Promise<PdfConcatenation> => {
    const joined = new PdfConcatenation(count, { duplex: pad });
    await inOrderPool(count, width, async (i) => {
      const pdf = await renderPdf(printer, t, doc(i));
      on.printed();
      await each?.(i, pdf);
      await joined.set(i, pdf);
    });
    return joined;
  };
  const classSet = await printJoined(docs.count, (i) => docs.sheet(i), duplex, on.sheet);
  const answerSheet = docs.answerSheet;
  const answerSheets = answerSheet ? await printJoined(docs.count, (i) => answerSheet(i), duplex, on.answerSheet) : undefined;
  let answerKey: Uint8Array | undefined;
  const key = docs.key;
  if (key) {
    const rest = keyDocumentsAfterCover(docs);
    // the key is read, not handed out: no blank pages in it
    answerKey = await (await printJoined(1 + rest.count, (i) => (i === 0 ? key.cover() : rest.doc(i - 1)), false)).save();
  }
  return { classSet: await classSet.save(), answerSheets: await answerSheets?.save(), answerKey };
}

/**
 * PDFs joined in order while they arrive in any order: each is appended with pdf-lib as soon as
 * all before it are in, so the work overlaps the printing of later documents.
 */
export class PdfConcatenation {
  readonly #pending = new Map<number, Uint8Array>();
  #next = 0;
  #out: Promise<PDFDocument> | undefined;
  #appending: Promise<void> = Promise.resolve();
  #saved: Promise<Uint8Array> | undefined;
  readonly #duplex: boolean;

  /**
   * `duplex`: each document starts on a front page — after one with an odd number of pages, a
   * blank page the size of its last page.
   */
  constructor(readonly count: number, options: { duplex?: boolean } = {}) {
    this.#duplex = options.duplex === true;
  }

  /** Supplies document `index` (0-based); resolves once everything that could be appended is. */
  set(index: number, bytes: Uint8Array): Promise<void> {
    this.#pending.set(index, bytes);
    this.#appending = this.#appending.then(() => this.#appendReady());
    return this.#appending;
  }

  async #appendReady(): Promise<void> {
    const { PDFDocument, ParseSpeeds } = await import('pdf-lib');
    this.#out ??= PDFDocument.create();
    const out = await this.#out;
    for (let bytes = this.#pending.get(this.#next); bytes !== undefined; bytes = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#next += 1;
      // Fastest: parse without pausing every 100 objects (those pauses are timers, ~1 ms each)
      const doc = await PDFDocument.load(bytes, { parseSpeed: ParseSpeeds.Fastest, updateMetadata: false });
      const pages = await out.copyPages(doc, doc.getPageIndices());
      for (const page of pages) out.addPage(page);
      if (this.#duplex && pages.length % 2 === 1) {
        const { width, height } = pages[pages.length - 1]!.getSize();
        out.addPage([width, height]);
      }
    }
  }

  /** The joined PDF; every document must have been supplied. Saving again gives the same bytes. */
  save(): Promise<Uint8Array> {
    if (this.#saved === undefined) {
      const saving = this.#save();
      this.#saved = saving;
      // a save that failed (documents missing) may be tried again once they are in
      saving.catch(() => { if (this.#saved === saving) this.#saved = undefined; });
    }
    return this.#saved;
  }

  async #save(): Promise<Uint8Array> {
    await this.#appending;
    if (this.#next !== this.count) throw new Error(`PdfConcatenation: ${this.#next} of ${this.count} documents supplied in order`);
    const { PDFDocument } = await import('pdf-lib');
    // no object streams: compressing them cost more time than the ~10% of file size they save
    return (await (this.#out ?? PDFDocument.create())).save({ useObjectStreams: false });
  }
}

/** Concatenates PDFs in order. */
export async function concatenatePdfs(pdfs: readonly Uint8Array[]): Promise<Uint8Array> {
  const joined = new PdfConcatenation(pdfs.length);
  // a failure surfaces from save(); the individual promises would only repeat it
  pdfs.forEach((bytes, i) => joined.set(i, bytes).catch(() => undefined));
  return joined.save();
}
