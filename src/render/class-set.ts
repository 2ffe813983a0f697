/**
 * A class set, rendered: one worksheet PDF per student, the combined class-set PDF, and the answer
 * key (cover sheet with the class list, then every variant's answers and worked solutions).
 * HTML comes from the templates; PDFs from a Printer (browser.ts); the combined PDF is the
 * students' PDFs joined with pdf-lib rather than printed a second time.
 */
import type { PDFDocument } from 'pdf-lib';
import type { Bank } from '../problems/bank.js';
import type { KeyVariant } from '../problems/key.js';
import { katexCss, type PdfPageOptions, type Printer } from './browser.js';
import { coverView, sheetView, type Paper, type SheetOptions } from './sheets.js';
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
export function standaloneClassSet(t: Templates, title: string, variants: readonly KeyVariant[], sheets: readonly RenderedDocument[], cover: RenderedDocument, keys: readonly RenderedDocument[]): { sheets: string[]; key: string } {
  const keyBody = cover.html + keys.map((k) => `<div class="page-break"></div>${k.html}`).join('');
  return {
    sheets: sheets.map((s, i) => standaloneHtml(t, `${titleText(title)} — ${variants[i]!.code}`, s.html, s.head)),
    key: standaloneHtml(t, `Answer key — ${titleText(title)}`, keyBody, cover.head),
  };
}

export function worksheetDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper, options: SheetOptions = {}): RenderedDocument {
  const view = sheetView(bank, variant, false, options);
  const html = t.worksheet(view);
  return {
    html,
    head: t.page(view),
    pdf: { format: paper, margin: MARGIN },
  };
}

/**
 * The answer key as documents: the cover sheet (class list), then one document per worksheet
 * (`keyDocument`), so each key page's running header names the worksheet and student it belongs
 * to. The PDFs are concatenated afterwards; with --html the command writes them as one file.
 */
export function keyCoverDocument(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper): RenderedDocument {
  const label = { course: bank.course ?? '', bankTitle: `Answer key — ${titleText(bank.title)}`, name: 'teacher only', code: bank.id };
  return { html: t.cover(coverView(bank, variants)), head: t.page(label), pdf: { format: paper, margin: MARGIN } };
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
  sheet(i: number): RenderedDocument;
  /** the answer key's cover and one key document per sheet; absent when no key is printed */
  key?: { cover(): RenderedDocument; sheet(i: number): RenderedDocument };
}

/**
 * Prints a class set: every worksheet (handed to `onSheet` as it comes, and joined into the class
 * set while later ones print), then the answer key. Each document is built just before it is
 * printed, one more at a time than the printer's pool holds, so a page never waits for HTML and
 * building overlaps Chromium's work. `onPrinted` is called after each document.
 */
export async function printClassSet(printer: Printer, t: Templates, docs: ClassSetDocuments, on: { sheet(i: number, pdf: Uint8Array): Promise<void>; printed(): void }): Promise<{ classSet: Uint8Array; answerKey: Uint8Array | undefined }> {
  const width = printer.poolSize + 1;
  const classSet = new PdfConcatenation(docs.count);
  await inOrderPool(docs.count, width, async (i) => {
    const pdf = await renderPdf(printer, t, docs.sheet(i));
    on.printed();
    await on.sheet(i, pdf);
    await classSet.set(i, pdf);
  });
  let answerKey: Uint8Array | undefined;
  const key = docs.key;
  if (key) {
    const joined = new PdfConcatenation(docs.count + 1);
    await inOrderPool(docs.count + 1, width, async (i) => {
      const pdf = await renderPdf(printer, t, i === 0 ? key.cover() : key.sheet(i - 1));
      on.printed();
      await joined.set(i, pdf);
    });
    answerKey = await joined.save();
  }
  return { classSet: await classSet.save(), answerKey };
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

  constructor(readonly count: number) {}

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
      for (const page of await out.copyPages(doc, doc.getPageIndices())) out.addPage(page);
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
