/**
 * A class set, rendered: one worksheet PDF per student, the combined class-set PDF, and the answer
 * key (cover sheet with the class list, then every variant's answers and worked solutions).
 * HTML comes from the templates; PDFs from one Chromium (PdfRenderer); the combined PDF is the
 * students' PDFs concatenated with pdf-lib rather than printed a second time.
 */
import { PDFDocument } from 'pdf-lib';
import type { Bank } from '../problems/bank.js';
import type { KeyVariant } from '../problems/key.js';
import { katexCss, type PdfPageOptions, type PdfRenderer } from './browser.js';
import { coverView, sheetView, type Paper } from './sheets.js';
import type { Templates } from './templates.js';

export interface RenderedDocument {
  html: string;
  pdf: PdfPageOptions;
}

const MARGIN = { top: '17mm', bottom: '14mm', left: '14mm', right: '14mm' };

/** A standalone HTML file (KaTeX CSS and fonts inlined), for --html; built only then. */
export function standaloneHtml(t: Templates, title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title.replace(/[&<>"]/g, '')}</title>` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">` +
    `<style>${katexCss()}</style><style>${t.css}</style></head><body>${body}</body></html>`;
}

export function worksheetDocument(t: Templates, bank: Bank, variant: KeyVariant, paper: Paper): RenderedDocument {
  const view = sheetView(bank, variant, false);
  const html = t.worksheet(view);
  return {
    html,
    pdf: { format: paper, headerTemplate: t.header(view), footerTemplate: t.footer(view), margin: MARGIN },
  };
}

/**
 * The answer key as documents: the cover sheet (class list), then one document per worksheet, so
 * each key page's running header names the worksheet and student it belongs to. The PDFs are
 * concatenated afterwards; with --html the command writes them as one file.
 */
export function keyDocuments(t: Templates, bank: Bank, variants: readonly KeyVariant[], paper: Paper): { cover: RenderedDocument; keys: RenderedDocument[] } {
  const coverHtml = t.cover(coverView(bank, variants));
  const coverLabel = { course: bank.course ?? '', bankTitle: `Answer key — ${bank.title}`, name: 'teacher only', code: bank.id };
  const doc = (html: string, label: object): RenderedDocument => ({
    html,
    pdf: { format: paper, headerTemplate: t.header(label), footerTemplate: t.footer(label), margin: MARGIN },
  });
  const keys = variants.map((v) => {
    const view = sheetView(bank, v, true);
    return doc(t.key(view), { ...view, bankTitle: `Answer key — ${bank.title}` });
  });
  return { cover: doc(coverHtml, coverLabel), keys };
}

export async function renderPdf(renderer: PdfRenderer, t: Templates, doc: RenderedDocument): Promise<Uint8Array> {
  return renderer.render({ head: t.css, body: doc.html }, doc.pdf);
}

/** Concatenates PDFs in order. */
export async function concatenatePdfs(pdfs: readonly Uint8Array[]): Promise<Uint8Array> {
  const out = await PDFDocument.create();
  for (const bytes of pdfs) {
    const doc = await PDFDocument.load(bytes);
    const pages = await out.copyPages(doc, doc.getPageIndices());
    for (const page of pages) out.addPage(page);
  }
  return out.save();
}
