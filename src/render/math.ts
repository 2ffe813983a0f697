/**
 * TeX to HTML with KaTeX, in Node, strict: a TeX error in our own templates or problem types is
 * a build error naming the offending TeX, never a silent fallback.
 */
import { escapeHtml } from '../html.js';
import katex from 'katex';
import { GradsheetError } from '../errors.js';
import { splitRichText } from '../problems/richtext.js';
import { renderToLeanString } from './katex/lean.js';

const cache = new Map<string, string>();

let lean = true;

/**
 * Whether math is typeset with lean lists (katex/lean.ts; the default) or exactly as KaTeX prints
 * it. For the test that prints both and compares them; clears the cache.
 */
export function setLeanKatex(on: boolean): void {
  lean = on;
  cache.clear();
}

function typeset(tex: string, options: katex.KatexOptions): string {
  return lean ? renderToLeanString(tex, options) : katex.renderToString(tex, options);
}

export function renderTex(tex: string, display = false): string {
  const key = (display ? 'D' : 'I') + tex;
  let html = cache.get(key);
  if (html === undefined) {
    try {
      html = typeset(tex, { displayMode: display, output: 'html', strict: 'error', throwOnError: true, trust: false });
    } catch (e) {
      throw new GradsheetError('internal', `KaTeX cannot typeset ${JSON.stringify(tex)}: ${(e as Error).message}`, { cause: e });
    }
    if (cache.size > 20000) cache.clear();
    cache.set(key, html);
  }
  return html;
}

const pageCache = new Map<string, string>();

/**
 * TeX for the self-check page (a browser, read by screen readers too): KaTeX's own HTML with
 * MathML beside it (`htmlAndMathml`), so assistive technology reads the formula. The PDF path
 * (renderTex, lean and HTML only) is untouched.
 */
export function renderTexForPage(tex: string, display = false): string {
  const key = (display ? 'D' : 'I') + tex;
  let html = pageCache.get(key);
  if (html === undefined) {
    try {
      html = katex.renderToString(tex, { displayMode: display, output: 'htmlAndMathml', strict: 'error', throwOnError: true, trust: false });
    } catch (e) {
      throw new GradsheetError('internal', `KaTeX cannot typeset ${JSON.stringify(tex)}: ${(e as Error).message}`, { cause: e });
    }
    if (pageCache.size > 20000) pageCache.clear();
    pageCache.set(key, html);
  }
  return html;
}

/** Rich text as HTML for the self-check page: the math with MathML (renderTexForPage). */
export function renderRichForPage(text: string): string {
  return splitRichText(text).map((s) => ('math' in s ? renderTexForPage(s.math) : escapeHtml(s.text))).join('');
}

/** Rich text (plain text with $…$ TeX) as HTML: the text escaped, the math typeset. */
export function renderRich(text: string): string {
  return splitRichText(text).map((s) => ('math' in s ? renderTex(s.math) : escapeHtml(s.text))).join('');
}
