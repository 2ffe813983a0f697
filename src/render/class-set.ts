/**
 * A class set, rendered: one worksheet PDF per student, the combined class-set PDF, and the answer
 * key (cover sheet with the class list, then every variant's answers and worked solutions).
 * HTML comes from the templates; PDFs from one Chromium (PdfRenderer); the combined PDF is the
 * students' PDFs concatenated with pdf-lib rather than printed a second time.
 */
import type { PDFDocument } from 'pdf-lib';
import type { Bank } from '../problems/bank.js';
import type { KeyVariant } from '../problems/key.js';
import { katexCss, type PdfPageOptions, type PdfRenderer } from './browser.js';
import { PdfJoiner, UnsupportedPdf } from './pdf-join.js';
import { coverView, sheetView, type Paper } from './sheets.js';
import type { Templates } from './templates.js';

export interface RenderedDocument {
  html: string;
  /** the document's own CSS: its running header and footer */
  head: string;
  pdf: PdfPageOptions;
}

const MARGIN = { top: '17mm', bottom: '14mm', left: '14mm', right: '14mm' };

/** A standalone HTML file (KaTeX CSS and fonts inlined), for --html; built only then. */
export function standaloneHtml(t: Templates, title: string, body: string, pageCss = ''): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title.replace(/[&<>"]/g, '')}</title>` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">` +
    `<style>${katexCss()}</style><style>${t.css}${pageCss}</style></head><body>${body}</body></html>`;
}

export function worksheetDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper): RenderedDocument {
  const view = sheetView(bank, variant, false);
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
  const label = { course: bank.course ?? '', bankTitle: `Answer key — ${bank.title}`, name: 'teacher only', code: bank.id };
  return { html: t.cover(coverView(bank, variants)), head: t.page(label), pdf: { format: paper, margin: MARGIN } };
}

/** One worksheet's answers and worked solutions. */
export function keyDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper): RenderedDocument {
  const view = sheetView(bank, variant, true);
  return { html: t.key(view), head: t.page({ ...view, bankTitle: `Answer key — ${bank.title}` }), pdf: { format: paper, margin: MARGIN } };
}

/** The cover and every worksheet's key (`keyCoverDocument`, `keyDocument`). */
export function keyDocuments(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper): { cover: RenderedDocument; keys: RenderedDocument[] } {
  return { cover: keyCoverDocument(t, bank, variants, paper), keys: variants.map((v) => keyDocument(t, bank, v, paper)) };
}

export async function renderPdf(renderer: PdfRenderer, t: Templates, doc: RenderedDocument): Promise<Uint8Array> {
  return renderer.render({ head: t.css + doc.head, body: doc.html }, doc.pdf);
}

/**
 * PDFs joined in order while they arrive in any order: each is appended as soon as all before it
 * are in, so the work overlaps the printing of later documents. Chromium's PDFs are joined by
 * copying their objects (`PdfJoiner`, under 1 ms a worksheet); should one have a structure that
 * cannot be copied so, everything is joined with pdf-lib instead (loaded then: ~0.3 s to import,
 * ~8 ms a worksheet).
 */
export class PdfConcatenation {
  readonly #pending = new Map<number, Uint8Array>();
  /** every document appended so far, kept for pdf-lib should the joiner meet one it cannot copy */
  readonly #appended: Uint8Array[] = [];
  #next = 0;
  #joiner: PdfJoiner | undefined = new PdfJoiner();
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

  /** Whether the general (pdf-lib) path is in use: some document could not be copied. */
  get usedPdfLib(): boolean {
    return this.#joiner === undefined;
  }

  async #appendReady(): Promise<void> {
    for (let bytes = this.#pending.get(this.#next); bytes !== undefined; bytes = this.#pending.get(this.#next)) {
      this.#pending.delete(this.#next);
      this.#next += 1;
      this.#appended.push(bytes);
      if (this.#joiner) {
        try {
          this.#joiner.add(bytes);
          continue;
        } catch (e) {
          if (!(e instanceof UnsupportedPdf)) throw e;
          this.#joiner = undefined;
          for (const earlier of this.#appended) await this.#appendWithPdfLib(earlier);
          continue;
        }
      }
      await this.#appendWithPdfLib(bytes);
    }
  }

  async #appendWithPdfLib(bytes: Uint8Array): Promise<void> {
    const { PDFDocument, ParseSpeeds } = await import('pdf-lib');
    this.#out ??= PDFDocument.create();
    const out = await this.#out;
    // Fastest: parse without pausing every 100 objects (those pauses are timers, ~1 ms each)
    const doc = await PDFDocument.load(bytes, { parseSpeed: ParseSpeeds.Fastest, updateMetadata: false });
    for (const page of await out.copyPages(doc, doc.getPageIndices())) out.addPage(page);
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
    if (this.count === 0) return (await import('pdf-lib')).PDFDocument.create().then((empty) => empty.save());
    if (this.#next !== this.count) throw new Error(`PdfConcatenation: ${this.#next} of ${this.count} documents supplied in order`);
    if (this.#joiner) return this.#joiner.finish();
    // no object streams: compressing them cost more time than the ~10% of file size they save
    return (await this.#out!).save({ useObjectStreams: false });
  }
}

/** Concatenates PDFs in order. */
export async function concatenatePdfs(pdfs: readonly Uint8Array[]): Promise<Uint8Array> {
  const joined = new PdfConcatenation(pdfs.length);
  // a failure surfaces from save(); the individual promises would only repeat it
  pdfs.forEach((bytes, i) => joined.set(i, bytes).catch(() => undefined));
  return joined.save();
}
