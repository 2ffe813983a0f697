/**
 * TeX to HTML with KaTeX, in Node, strict: a TeX error in our own templates or problem types is
 * a build error naming the offending TeX, never a silent fallback.
 */
import { escapeHtml } from '../html.js';
import katex from 'katex';
import { GradsheetError } from '../errors.js';
import { splitRichText } from '../problems/richtext.js';
import { leanKatexTree } from './katex-lean.js';

const cache = new Map<string, string>();

/** KaTeX's build tree (what renderToString prints), exported by KaTeX as `__renderToDomTree`. */
type DomTree = Parameters<typeof leanKatexTree>[0] & { toMarkup(): string };
const renderToDomTree = (katex as unknown as { __renderToDomTree?: (tex: string, options: katex.KatexOptions) => DomTree }).__renderToDomTree;

let lean = true;

/**
 * Whether math is typeset with lean lists (katex-lean.ts; the default) or exactly as KaTeX prints
 * it. For the test that prints both and compares them; clears the cache.
 */
export function setLeanKatex(on: boolean): void {
  lean = on;
  cache.clear();
}

function typeset(tex: string, options: katex.KatexOptions): string {
  // a KaTeX without the tree export still typesets, only with its own (heavier) lists
  if (!lean || renderToDomTree === undefined) return katex.renderToString(tex, options);
  const tree = renderToDomTree(tex, options);
  leanKatexTree(tree);
  return tree.toMarkup();
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



/** Rich text (plain text with $…$ TeX) as HTML: the text escaped, the math typeset. */
export function renderRich(text: string): string {
  return splitRichText(text).map((s) => ('math' in s ? renderTex(s.math) : escapeHtml(s.text))).join('');
}
