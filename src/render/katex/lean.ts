/**
 * KaTeX's HTML with fewer elements, printed the same.
 *
 * Chromium's work on a page grows with its elements (style, two print layouts, paint, PDF), and
 * KaTeX's markup is most of a worksheet's: 92% of its HTML, 1,240 of its 1,390 elements. The
 * build tree KaTeX prints (`katex.__renderToDomTree`) is rewritten before it is printed:
 *  - KaTeX places everything raised or lowered (a subscript, a superscript, a `\raisebox`) in a
 *    "vlist": an inline table whose cell holds one zero-height block per item, each with a strut
 *    that fixes the item's baseline. For one item that is nine elements around the item. It
 *    becomes one, `vlist-x`: an inline-block moved by `vertical-align` to exactly where the table
 *    put the item's baseline (the block's `top` plus the strut's height), with the item's margins.
 *    Its line height is 0, so that, like the table's zero-height block, it adds nothing to the
 *    height of the line: the `katex-strut` of the enclosing base still decides that, as KaTeX
 *    intends. Lists of two or more items (fractions, limits, accents, matrices) stay tables.
 *  - Elements whose only classes are KaTeX's atom classes (`mord`, `mrel`…, which katex.css has no
 *    rule for) go, their children taking their place; the glue on either side of a bare symbol
 *    (`=`, `+`) becomes that symbol's margins; a size change around a lean list's one symbol moves
 *    onto the symbol.
 * This reads KaTeX's internals (its build tree has no public API), so katex is pinned to one
 * exact version in package.json, and tests/katex-lean.test.ts fails if that version is not the
 * one installed or if the rewrite stops removing elements.
 * Anything not shaped exactly as KaTeX 0.19.1 builds it is left as it is, and so is every element
 * that CSS places by its parent (`.vlist>span>span`…; a document fragment, such as a matrix cell's
 * content, counts as its parent). A list stays a table when its item sets lines of its own (laps,
 * `\not`) or is taller or deeper than KaTeX declares (a one-sided `\smash`), and a script with a
 * size of its own keeps its size element. The bench worksheet goes from 1,388 elements
 * to 656, and Chromium's work per document falls by about a third. tests/katex-lean.test.ts prints
 * both forms of every shipped bank's worksheet and key, and of constructions the banks do not use,
 * and compares the pages pixel by pixel; tests/katex-lean-adversarial.test.ts does the same for
 * 461 other strings in five contexts (inline, wrapping, display, and the templates' wrapping
 * displays).
 */

import katex from 'katex';

/** KaTeX's build tree (what renderToString prints), exported by KaTeX as `__renderToDomTree`. */
type DomTree = TreeNode & { toMarkup(): string };
const renderToDomTree = (katex as unknown as { __renderToDomTree?: (tex: string, options: katex.KatexOptions) => DomTree }).__renderToDomTree;

/**
 * `katex.renderToString(tex, options)` with lean lists. A KaTeX without the tree export (not the
 * pinned version) still typesets, only with its own heavier lists: the pixel tests catch that.
 */
export function renderToLeanString(tex: string, options: katex.KatexOptions): string {
  if (renderToDomTree === undefined) return katex.renderToString(tex, options);
  const tree = renderToDomTree(tex, options);
  leanKatexTree(tree);
  return tree.toMarkup();
}

/** The CSS that goes with the lean lists, after katex.css. */
export const LEAN_VLIST_CSS = '.katex .vlist-x{display:inline-block;position:relative;line-height:0}.katex .vlist-x>span{display:inline-block}';

/** The parts of KaTeX's build tree (`katex.__renderToDomTree`) this looks at; other nodes are passed by. */
interface TreeNode {
  classes?: string[];
  children?: TreeNode[];
  style?: Record<string, string | undefined>;
  attributes?: Record<string, string>;
  text?: string;
  /** KaTeX's own measure of the node, in em of its parent */
  height?: number;
  depth?: number;
}

const EM = /^(-?\d+(?:\.\d+)?)em$/;

/** A length in em, as KaTeX writes one (four decimals at most). */
const emOf = (value: number): string => `${+value.toFixed(4)}em`;

function em(value: string | undefined): number | undefined {
  const m = value === undefined ? null : EM.exec(value);
  return m ? Number(m[1]) : undefined;
}

function isSpan(node: TreeNode | undefined, classes: readonly string[]): node is TreeNode & { children: TreeNode[]; classes: string[] } {
  return node !== undefined && Array.isArray(node.children) && Array.isArray(node.classes) &&
    node.classes.length === classes.length && classes.every((c, i) => node.classes![i] === c) &&
    (node.attributes === undefined || Object.keys(node.attributes).length === 0);
}

function styleKeys(node: TreeNode): string[] {
  return Object.entries(node.style ?? {}).filter(([, v]) => v !== undefined).map(([k]) => k);
}

/**
 * The item of a one-item vlist and where its baseline goes (em above the list's baseline), if
 * `node` is exactly such a list as KaTeX builds it; otherwise undefined.
 */
function oneItemList(node: TreeNode): { item: TreeNode; raise: number; marginLeft?: string; marginRight?: string } | undefined {
  const t2 = isSpan(node, ['vlist-t', 'vlist-t2']);
  if (!t2 && !isSpan(node, ['vlist-t'])) return undefined;
  if (styleKeys(node).length > 0) return undefined;
  const rows = node.children!;
  if (rows.length !== (t2 ? 2 : 1)) return undefined;
  const first = rows[0];
  if (!isSpan(first, ['vlist-r']) || styleKeys(first).length > 0 || first.children.length !== (t2 ? 2 : 1)) return undefined;
  const cell = first.children[0];
  if (!isSpan(cell, ['vlist']) || cell.children.length !== 1 || styleKeys(cell).join() !== 'height') return undefined;
  if (t2) {
    // the depth row (a cell with an empty span) and the zero-width space beside the first cell
    const spacer = first.children[1];
    if (!isSpan(spacer, ['vlist-s']) || spacer.children.length !== 1 || spacer.children[0]!.text !== '\u200b') return undefined;
    const depthRow = rows[1];
    if (!isSpan(depthRow, ['vlist-r']) || depthRow.children.length !== 1) return undefined;
    const depthCell = depthRow.children[0];
    if (!isSpan(depthCell, ['vlist']) || depthCell.children.length !== 1 || !isSpan(depthCell.children[0], []) || depthCell.children[0].children.length !== 0) return undefined;
  }
  const wrap = cell.children[0]!;
  if (!isSpan(wrap, []) || wrap.children.length !== 2) return undefined;
  const keys = styleKeys(wrap);
  if (!keys.includes('top') || keys.some((k) => k !== 'top' && k !== 'marginLeft' && k !== 'marginRight')) return undefined;
  const [strut, item] = wrap.children as [TreeNode, TreeNode];
  if (!isSpan(strut, ['pstrut']) || strut.children.length !== 0 || styleKeys(strut).join() !== 'height') return undefined;
  const top = em(wrap.style!.top), height = em(strut.style!.height);
  if (top === undefined || height === undefined || !Array.isArray(item.children)) return undefined;
  if (setsOwnLines(item) || hidden(item)) return undefined;
  // The block sits on the list's baseline (the bottom of the first row) and is moved by `top`; its
  // line's baseline is the strut's height below its top (the strut is the tallest thing on it).
  return { item, raise: -(top + height), marginLeft: wrap.style!.marginLeft, marginRight: wrap.style!.marginRight };
}

/**
 * Classes of elements that set lines of their own (absolutely placed laps and `\\not`, blocks,
 * flex boxes, SVG): inside a lean list they would inherit its line height of 0 and move, so a
 * list whose item holds one is left a table.
 */
const OWN_LINES: ReadonlySet<string> = new Set(['katex-inner', 'clap', 'llap', 'rlap', 'katex-smash', 'katex-overlay', 'katex-stretchy', 'hide-tail',
  'halfarrow-left', 'halfarrow-right', 'brace-left', 'brace-center', 'brace-right', 'katex-vbox', 'katex-thinbox', 'cd-label-left', 'cd-label-right', 'svg-align']);

function setsOwnLines(node: TreeNode): boolean {
  // an SVG node: children and attributes, but no class list
  if (!Array.isArray(node.classes) && node.attributes !== undefined) return true;
  if (node.classes?.some((c) => OWN_LINES.has(c))) return true;
  return Array.isArray(node.children) && node.children.some(setsOwnLines);
}

/**
 * Whether KaTeX has declared an item shorter (or shallower) than what it holds: `\\smash[t]` and
 * `\\smash[b]` set the item's height (depth) to 0 so that the table hides it. The lean list has
 * its item's real height, so such a list stays a table.
 */
function hidden(item: TreeNode): boolean {
  let height = 0, depth = 0;
  const measure = (node: TreeNode): void => {
    height = Math.max(height, node.height ?? 0);
    depth = Math.max(depth, node.depth ?? 0);
    if (Array.isArray(node.children)) node.children.forEach(measure);
  };
  (item.children ?? []).forEach(measure);
  return (item.height === 0 && height > 0) || (item.depth === 0 && depth > 0);
}

/** Rewrites, in place, every one-item vlist under `node` (depth first) into a `vlist-x`. */
function leanVLists(node: TreeNode): void {
  const children = node.children;
  if (!Array.isArray(children)) return;
  for (const child of children) leanVLists(child);
  const list = oneItemList(node);
  if (list === undefined) return;
  node.classes = ['vlist-x'];
  node.children = [list.item];
  const style: Record<string, string> = { verticalAlign: emOf(list.raise) };
  if (list.marginLeft !== undefined) style.marginLeft = list.marginLeft;
  if (list.marginRight !== undefined) style.marginRight = list.marginRight;
  node.style = style;
}

/**
 * KaTeX's atom classes, which only name what an element is (an ordinary symbol, a relation, a
 * script-size atom…): katex.css has no rule that mentions them, so an element with nothing else
 * (no other class, no style, no attribute) is a bare `<span>` with no effect on the page.
 */
export const ATOM_CLASSES: ReadonlySet<string> = new Set(['mord', 'mbin', 'mrel', 'mopen', 'mclose', 'mpunct', 'minner', 'mtight']);

/** Parents whose children katex.css places by the `>` combinator (`.vlist>span>span`, `.delim-size1>span`…): their children keep their elements. */
const PLACING_CLASSES: ReadonlySet<string> = new Set(['vlist', 'vlist-x', 'katex-inner', 'delim-size1', 'delim-size4', 'mfrac']);

/** An atom class, or one of the empty strings KaTeX leaves in class lists (it prints none of them). */
const isAtom = (c: string): boolean => c === '' || ATOM_CLASSES.has(c);

function isSymbol(node: TreeNode | undefined): node is TreeNode & { text: string; classes: string[] } {
  return node !== undefined && typeof node.text === 'string' && !Array.isArray(node.children) && Array.isArray(node.classes);
}

/** KaTeX's DocumentFragment: children and nothing else (a Span always has attributes, a symbol no children). */
function isFragment(node: TreeNode): boolean {
  return Array.isArray(node.children) && node.attributes === undefined && styleKeys(node).length === 0;
}

function plain(node: TreeNode): boolean {
  return styleKeys(node).length === 0 && Object.keys(node.attributes ?? {}).length === 0;
}

/** A symbol printed as bare text: no class, no style, no italic correction. */
function isBareText(node: TreeNode | undefined): boolean {
  return isSymbol(node) && node.classes.length === 0 && plain(node) && !((node as { italic?: number }).italic! > 0);
}

/** A horizontal space (`\,`, `\quad`, the glue around `=` and `+`): an empty inline-block with a right margin. */
function spaceWidth(node: TreeNode | undefined): string | undefined {
  if (node === undefined || !Array.isArray(node.children) || node.children.length > 0 || !Array.isArray(node.classes)) return undefined;
  if (node.classes[0] !== 'mspace' || node.classes.slice(1).some((c) => !isAtom(c))) return undefined;
  if (Object.keys(node.attributes ?? {}).length > 0 || styleKeys(node).join() !== 'marginRight') return undefined;
  return em(node.style!.marginRight) === undefined ? undefined : node.style!.marginRight;
}

/**
 * Removes, in place, the elements under `node` that do nothing: a symbol with only atom classes is
 * printed as bare text, a span with only atom classes is replaced by its children, a `msupsub`
 * around a lean list by the list, a size change around a lean list's one symbol is moved onto the
 * symbol, and the spaces on either side of a bare symbol become that symbol's margins. What CSS
 * places by its parent keeps its element.
 */
function unwrap(node: TreeNode, placedByParent: boolean): void {
  const children = node.children;
  if (!Array.isArray(children)) return;
  const classes = node.classes ?? [];
  const placing = placedByParent || classes.some((c) => PLACING_CLASSES.has(c)) || isSpan(children[0], ['pstrut']);
  for (const child of children) {
    // A document fragment prints only its children, which are then its parent's children in the
    // page (a matrix cell's content, a \\raisebox body): placed if its parent places. And
    // `.mfrac>span>span`: the grandchildren of a fraction are placed.
    unwrap(child, isFragment(child) ? placing : classes.includes('mfrac'));
  }
  if (placing) {
    if (classes[0] === 'vlist-x') {
      mergeSizeIntoSymbol(node);
      mergeListIntoSymbol(node);
    }
    return;
  }
  let out: TreeNode[] = [];
  for (const child of children) {
    const atomsOnly = Array.isArray(child.classes) && child.classes.every(isAtom);
    if (isSymbol(child)) {
      if (atomsOnly) child.classes = [];
      out.push(child);
    } else if (atomsOnly && child.classes!.some((c) => c !== '') && Array.isArray(child.children) && plain(child)) {
      out.push(...child.children);
    } else if (isSpan(child, ['msupsub']) && plain(child) && child.children.length === 1 && child.children[0]!.classes?.[0] === 'vlist-x') {
      out.push(child.children[0]!);
    } else {
      out.push(child);
    }
  }
  // spaces around bare text: [space a] text [space b] → <span style="margin-left:a;margin-right:b">text</span>
  const merged: TreeNode[] = [];
  for (let i = 0; i < out.length; i++) {
    const child = out[i]!;
    if (!isBareText(child)) {
      merged.push(child);
      continue;
    }
    const before = spaceWidth(merged.at(-1));
    // every space that follows (`,\\quad` is a comma, then a quad and a thin space)
    let afterEm = 0, spacesAfter = 0;
    for (let width = spaceWidth(out[i + 1]); width !== undefined; width = spaceWidth(out[i + 1 + spacesAfter])) {
      afterEm += em(width)!;
      spacesAfter += 1;
    }
    if (before === undefined && spacesAfter === 0) {
      merged.push(child);
      continue;
    }
    // a space becomes the wrapper (a span of the same parent, so of the same font size)
    const wrapper = before !== undefined ? merged.pop()! : out[i + 1]!;
    wrapper.classes = [];
    wrapper.children = [child];
    wrapper.style = { ...(before !== undefined ? { marginLeft: before } : {}), ...(spacesAfter > 0 ? { marginRight: emOf(afterEm) } : {}) };
    merged.push(wrapper);
    i += spacesAfter;
  }
  out = merged;
  node.children = out;
}

/**
 * `vlist-x > sizing > one symbol` → `vlist-x > symbol` with the sizing classes: the size rules
 * (`.katex-sizing.reset-size6.size3`) name the element itself, so the symbol sets its own size.
 */
function mergeSizeIntoSymbol(list: TreeNode): void {
  const sizing = list.children?.[0];
  if (sizing === undefined || list.children!.length !== 1 || !Array.isArray(sizing.classes) || sizing.classes[0] !== 'katex-sizing' || !plain(sizing)) return;
  const only = sizing.children;
  if (!Array.isArray(only) || only.length !== 1 || !isSymbol(only[0])) return;
  const symbol = only[0];
  // a symbol with a size of its own (`x_{\\large t}`) would end with two, and CSS would pick one
  if (symbol.classes.some((c) => SIZING.test(c))) return;
  symbol.classes = [...sizing.classes, ...symbol.classes.filter((c) => c !== '' && !sizing.classes!.includes(c))];
  list.children = [symbol];
}

/** KaTeX's font sizes 1–11 (`sizeMultipliers` in KaTeX): `.reset-sizeN.sizeM` is size M's over size N's. */
const SIZE_MULTIPLIERS = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.44, 1.728, 2.074, 2.488];

/** Classes that set a font size (katex.css's `.katex-sizing.reset-sizeN.sizeM` and `.fontsize-ensurer…`). */
const SIZING = /^(?:katex-sizing|fontsize-ensurer|reset-size\d+|size\d+)$/;

/** The font size a symbol's sizing classes set, relative to its parent's, or undefined (no size, or more than one). */
function sizeRatio(classes: readonly string[]): number | undefined {
  if (!classes.includes('katex-sizing') || classes.includes('fontsize-ensurer')) return undefined;
  if (classes.filter((c) => /^reset-size\d+$/.test(c)).length !== 1 || classes.filter((c) => /^size\d+$/.test(c)).length !== 1) return undefined;
  const from = classes.map((c) => /^reset-size(\d+)$/.exec(c)?.[1]).find(Boolean);
  const to = classes.map((c) => /^size(\d+)$/.exec(c)?.[1]).find(Boolean);
  const a = SIZE_MULTIPLIERS[Number(from) - 1], b = SIZE_MULTIPLIERS[Number(to) - 1];
  return a !== undefined && b !== undefined ? b / a : undefined;
}

/**
 * `vlist-x > sized symbol` → one `vlist-x` that is the symbol: it takes the symbol's classes (so
 * its own font size) and its text, and its lengths are restated in that font size's em (a lean
 * list's lengths are in its parent's, a symbol's italic correction in its own).
 */
function mergeListIntoSymbol(list: TreeNode): void {
  const symbol = list.children?.[0];
  if (list.children!.length !== 1 || !isSymbol(symbol) || styleKeys(symbol).length > 0) return;
  const ratio = sizeRatio(symbol.classes);
  if (ratio === undefined) return;
  const style = list.style ?? {};
  const lengths = (['verticalAlign', 'marginLeft', 'marginRight'] as const).map((k) => (style[k] === undefined ? 0 : em(style[k])));
  if (lengths.some((l) => l === undefined) || Object.keys(style).some((k) => k !== 'verticalAlign' && k !== 'marginLeft' && k !== 'marginRight')) return;
  const [raise, left, right] = lengths as [number, number, number];
  const italic = (symbol as { italic?: number }).italic ?? 0;
  list.classes = ['vlist-x', ...symbol.classes];
  list.style = { verticalAlign: emOf(raise / ratio), marginLeft: emOf(left / ratio), marginRight: emOf(right / ratio + Math.max(italic, 0)) };
  symbol.classes = [];
  (symbol as { italic?: number }).italic = 0;
  list.children = [symbol];
}

/** Makes KaTeX's build tree lean, in place: one-item vlists become one element, elements that do nothing go. */
export function leanKatexTree(node: TreeNode): void {
  leanVLists(node);
  unwrap(node, false);
}
