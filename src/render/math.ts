/**
 * TeX to HTML with KaTeX, in Node, strict: a TeX error in our own templates or problem types is
 * a build error naming the offending TeX, never a silent fallback.
 */
import { escapeHtml } from '../html.js';
import katex from 'katex';
import { GradsheetError } from '../errors.js';
import { splitRichText } from '../problems/richtext.js';
import { renderToLeanString } from './katex/lean.js';

/** Where math is shown: printed (lean HTML only) or on the self-check page (HTML with MathML). */
type Medium = 'print' | 'page';
const caches: Record<Medium, Map<string, string>> = { print: new Map(), page: new Map() };

let lean = true;

/**
 * Whether math is typeset with lean lists (katex/lean.ts; the default) or exactly as KaTeX prints
 * it. For the test that prints both and compares them; clears the cache.
 */
export function setLeanKatex(on: boolean): void {
  lean = on;
  caches.print.clear();
}

/**
 * TeX typeset for a medium, cached. Printed: KaTeX's HTML, made lean. The self-check page (a
 * browser, read by screen readers too): KaTeX's own HTML with MathML beside it (`htmlAndMathml`),
 * so assistive technology reads the formula.
 */
function typeset(tex: string, display: boolean, medium: Medium): string {
  const cache = caches[medium];
  const key = (display ? 'D' : 'I') + tex;
  let html = cache.get(key);
  if (html === undefined) {
    const options: katex.KatexOptions = { displayMode: display, output: medium === 'page' ? 'htmlAndMathml' : 'html', strict: 'error', throwOnError: true, trust: false };
    try {
      html = medium === 'print' && lean ? renderToLeanString(tex, options) : katex.renderToString(tex, options);
    } catch (e) {
      throw new GradsheetError('internal', `KaTeX cannot typeset ${JSON.stringify(tex)}: ${(e as Error).message}`, { cause: e });
    }
    if (cache.size > 20000) cache.clear();
    cache.set(key, html);
  }
  return html;
}

/** TeX as printed HTML (worksheets, keys). */
export function renderTex(tex: string, display = false): string {
  return typeset(tex, display, 'print');
}

/** TeX for the self-check page: with MathML. The printed form (renderTex) is untouched. */
export function renderTexForPage(tex: string, display = false): string {
  return typeset(tex, display, 'page');
}

/** Rich text (plain text with $…$ TeX) as HTML for a medium: the text escaped, the math typeset. */
function rich(text: string, medium: Medium): string {
  return splitRichText(text).map((s) => ('math' in s ? typeset(s.math, false, medium) : escapeHtml(s.text))).join('');
}

/** Rich text as printed HTML. */
export function renderRich(text: string): string {
  return rich(text, 'print');
}

/** Rich text as HTML for the self-check page: the math with MathML. */
export function renderRichForPage(text: string): string {
  return rich(text, 'page');
}
