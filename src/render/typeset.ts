/**
 * Titles and choice labels typeset like prompts. Bank titles are written by people, usually as
 * plain text ("∂L₃/∂W_hf", "Twenty steps back"); a printed title must not show `W_hf` raw.
 *
 *  - Text with `$…$` is rich text (richtext.ts): its math is typeset, the rest left as it is.
 *  - Otherwise runs of plain math are recognised and typeset; everything else is escaped text.
 *
 * A run is one or more atoms joined by `/` (no spaces: a ratio) or by = + − × · ≤ ≥ ≈ ≠ (spaces
 * allowed) — a sum and its term also by one space (∑_t L_t) — optionally between bars `|…|`, and
 * holds at least one strong atom. An atom
 * starts where a word may start (not after a letter, digit or `_`), ends before anything that is
 * not a letter, digit, `_` or `^`, and is
 *   [∂ or ∇] base [scripts]
 * where the base is one Latin or Greek letter, ∑ (or Σ with a script: a sum), or a number; the
 * scripts are `_` or `^` followed by {…} or (…) (letters, digits, spaces and , + − - = ( ) only,
 * 16 characters at most) or by 1–3 letters and digits ending a word, and Unicode sub- or
 * superscripts (L₃, x², Σₜ). `^(k)` keeps its parentheses (U^(k) → U^{(k)}), `_(t-1)` does not.
 * An atom is strong when it has a ∂/∇, a script, or is ∑ — so W_hf, L_T, S_{j-1}, L₃, x², ∂L,
 * Σ_t and ∂L₃/∂W_hf are math, and a lone letter or number only joins a run that has a strong atom
 * (x² + 1, but not "T = 3" or "A vector"). English words, snake_case (a word, not one letter,
 * before `_`), other scripts (Chinese…) stay text.
 *
 * Three forms: the segments (for tests), HTML (KaTeX for the math) and plain Unicode (for the
 * running page header, a CSS string: tex-plain.ts). Pure.
 */
import { escapeHtml } from '../html.js';
import { GradsheetError } from '../errors.js';
import { splitRichText, type Segment } from '../problems/richtext.js';
import { renderTex } from './math.js';
import { texToUnicode } from './tex-plain.js';

const GREEK: Record<string, string> = {
  α: 'alpha', β: 'beta', γ: 'gamma', δ: 'delta', ε: 'varepsilon', ϵ: 'epsilon', ζ: 'zeta', η: 'eta', θ: 'theta', ι: 'iota',
  κ: 'kappa', λ: 'lambda', μ: 'mu', ν: 'nu', ξ: 'xi', π: 'pi', ρ: 'rho', σ: 'sigma', τ: 'tau', υ: 'upsilon', φ: 'varphi', ϕ: 'phi',
  χ: 'chi', ψ: 'psi', ω: 'omega', Γ: 'Gamma', Δ: 'Delta', Θ: 'Theta', Λ: 'Lambda', Ξ: 'Xi', Π: 'Pi', Σ: 'Sigma', Υ: 'Upsilon',
  Φ: 'Phi', Ψ: 'Psi', Ω: 'Omega',
};

/** Unicode subscripts and superscripts and what they stand for. */
const SUB: Record<string, string> = {
  '₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9', '₊': '+', '₋': '-', '₌': '=', '₍': '(', '₎': ')',
  'ₐ': 'a', 'ₑ': 'e', 'ₒ': 'o', 'ₓ': 'x', 'ₕ': 'h', 'ₖ': 'k', 'ₗ': 'l', 'ₘ': 'm', 'ₙ': 'n', 'ₚ': 'p', 'ₛ': 's', 'ₜ': 't',
  'ᵢ': 'i', 'ⱼ': 'j', 'ᵣ': 'r', 'ᵤ': 'u', 'ᵥ': 'v',
};
const SUP: Record<string, string> = {
  '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁺': '+', '⁻': '-', '⁼': '=', '⁽': '(', '⁾': ')',
  'ⁱ': 'i', 'ⁿ': 'n', 'ᵏ': 'k', 'ᵗ': 't', 'ᵀ': 'T',
};

/** Operators joining atoms, as TeX; `/` only without spaces around it. */
const OPS: Record<string, string> = {
  '/': '/', '=': '=', '+': '+', '−': '-', '×': '\\times ', '·': '\\cdot ', '≤': '\\le ', '≥': '\\ge ', '≈': '\\approx ', '≠': '\\ne ',
};

const isLatin = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /^[0-9]$/.test(c);
/** what may not touch an atom on either side: it would make the atom part of a word */
const isWordChar = (c: string | undefined) => c !== undefined && (/^[\p{L}\p{N}_^]$/u.test(c) || c in SUB || c in SUP);

/** One character of a script's content as TeX (letters, digits, signs; Greek as commands). */
function scriptChar(c: string): string | null {
  if (isLatin(c) || isDigit(c) || ',+=() '.includes(c)) return c;
  if (c === '-' || c === '−') return '-';
  const greek = GREEK[c];
  return greek ? `\\${greek} ` : null;
}

/** `_x`, `_{hf}`: a script's TeX from its content (already TeX) */
function script(mark: '_' | '^', content: string): string {
  return content.length === 1 ? `${mark}${content}` : `${mark}{${content}}`;
}

interface Atom { tex: string; end: number; strong: boolean; sum: boolean }

class Scanner {
  constructor(private readonly cs: readonly string[]) {}

  /** A `_…`/`^…` script at i: its TeX and where it ends; null when there is none. */
  private markedScript(i: number): { tex: string; end: number } | null {
    const cs = this.cs, mark = cs[i];
    if (mark !== '_' && mark !== '^') return null;
    const open = cs[i + 1];
    if (open === '{' || open === '(') {
      const close = open === '{' ? '}' : ')';
      let content = '';
      for (let k = i + 2; k < cs.length && k <= i + 18; k++) {
        if (cs[k] === close) {
          if (content.trim() === '') return null;
          // ^(k) keeps its parentheses: U^(k) is the notes' "U at step k"
          return { tex: script(mark, open === '(' && mark === '^' ? `(${content})` : content), end: k + 1 };
        }
        const t = scriptChar(cs[k]!);
        if (t === null || (open === '(' && cs[k] === '(')) return null;
        content += t;
      }
      return null;
    }
    let k = i + 1, content = '';
    if (mark === '^' && (cs[k] === '-' || cs[k] === '−')) {
      content = '-';
      k++;
    }
    const from = k;
    while (k < cs.length && k - from < 3 && (isLatin(cs[k]) || isDigit(cs[k]))) content += cs[k++]!;
    if (k === from || isLatin(cs[k]) || isDigit(cs[k])) return null;
    return { tex: script(mark, content), end: k };
  }

  /** A run of Unicode sub- or superscripts at i. */
  private unicodeScript(i: number, table: Record<string, string>, mark: '_' | '^'): { tex: string; end: number } | null {
    let k = i, content = '';
    while (k < this.cs.length && table[this.cs[k]!] !== undefined) content += table[this.cs[k++]!];
    return k === i ? null : { tex: script(mark, content), end: k };
  }

  atom(i: number): Atom | null {
    const cs = this.cs;
    if (isWordChar(cs[i - 1])) return null;
    let k = i, tex = '';
    let strong = false;
    if (cs[k] === '∂' || cs[k] === '∇') {
      tex = cs[k] === '∂' ? '\\partial ' : '\\nabla ';
      strong = true;
      k++;
    }
    const c = cs[k];
    const sum = c === '∑' || (c === 'Σ' && (cs[k + 1] === '_' || cs[k + 1] === '^' || (cs[k + 1] ?? '') in SUB));
    if (sum) {
      tex += '\\sum';
      strong = true;
      k++;
    } else if (isLatin(c)) {
      tex += c;
      k++;
    } else if (c !== undefined && GREEK[c] !== undefined) {
      tex += `\\${GREEK[c]}`;
      k++;
    } else if (isDigit(c)) {
      let digits = '';
      while (isDigit(cs[k])) digits += cs[k++];
      if (cs[k] === '.' && isDigit(cs[k + 1])) {
        digits += cs[k++];
        while (isDigit(cs[k])) digits += cs[k++];
      }
      tex += digits;
    } else if (strong) {
      // a lone ∂ or ∇
      return isWordChar(cs[k]) ? null : { tex: tex.trimEnd(), end: k, strong, sum: false };
    } else {
      return null;
    }
    // scripts: at most one subscript and one superscript, in either order
    let sub = false, sup = false;
    for (;;) {
      const s = !sub ? (cs[k] === '_' ? this.markedScript(k) : this.unicodeScript(k, SUB, '_')) : null;
      const p = !s && !sup ? (cs[k] === '^' ? this.markedScript(k) : this.unicodeScript(k, SUP, '^')) : null;
      if (!s && !p) break;
      if (s) sub = true;
      else sup = true;
      tex += (s ?? p)!.tex;
      k = (s ?? p)!.end;
    }
    if (sub || sup) strong = true;
    // letters, digits and scripts that follow belong to a word, or to notation not understood
    if (isWordChar(cs[k])) return null;
    return { tex, end: k, strong, sum };
  }

  /** An operator between atoms at i: its TeX and where the next atom may start; after a sum, a space. */
  private op(i: number, afterSum: boolean): { tex: string; end: number } | null {
    const cs = this.cs;
    if (cs[i] === '/') return { tex: '/', end: i + 1 };
    if (afterSum && cs[i] === ' ' && cs[i + 1] !== ' ' && OPS[cs[i + 1] ?? ''] === undefined) return { tex: ' ', end: i + 1 };
    let k = i;
    while (cs[k] === ' ') k++;
    const o = cs[k];
    if (o === undefined || o === '/' || OPS[o] === undefined) return null;
    k++;
    while (cs[k] === ' ') k++;
    return { tex: OPS[o]!, end: k };
  }

  /** A run of math at i, or null. */
  run(i: number): { tex: string; end: number } | null {
    const cs = this.cs;
    const bar = cs[i] === '|' && !isWordChar(cs[i - 1]);
    const first = this.atom(bar ? i + 1 : i);
    if (!first) return null;
    let tex = first.tex, end = first.end, strong = first.strong, sum = first.sum;
    for (;;) {
      const o = this.op(end, sum);
      const next = o ? this.atom(o.end) : null;
      if (!o || !next) break;
      tex += o.tex + next.tex;
      end = next.end;
      strong ||= next.strong;
      sum = next.sum;
    }
    if (!strong) return null;
    if (bar) {
      if (cs[end] !== '|' || isWordChar(cs[end + 1])) return null;
      return { tex: `|${tex}|`, end: end + 1 };
    }
    return { tex, end };
  }
}

/** Plain text with its math runs found (see above), as text and TeX segments. */
function recognise(text: string): Segment[] {
  const cs = Array.from(text);
  const scanner = new Scanner(cs);
  const segments: Segment[] = [];
  let plain = '';
  for (let i = 0; i < cs.length;) {
    // a bar that does not open a run is text; the run may still start after it
    const found = scanner.run(i);
    if (found) {
      if (plain) segments.push({ text: plain });
      plain = '';
      segments.push({ math: found.tex });
      i = found.end;
    } else {
      plain += cs[i++];
    }
  }
  if (plain) segments.push({ text: plain });
  return segments;
}

/**
 * A title or label as segments: rich text as it is when it has `$…$` math, otherwise its plain
 * math runs recognised. A lone `$` (no closing one) is text.
 */
export function titleSegments(title: string): Segment[] {
  let rich: Segment[] | null = null;
  if (title.includes('$')) {
    try {
      rich = splitRichText(title);
    } catch {
      rich = null;
    }
  }
  if (rich && rich.some((s) => 'math' in s)) return rich;
  return recognise(rich ? rich.map((s) => ('text' in s ? s.text : '')).join('') : title);
}

/**
 * A title or label as HTML: its math typeset with KaTeX, the rest escaped. `render` is how math is
 * typeset: the lean HTML of the PDF by default, renderTexForPage (with MathML) on the serve page.
 */
export function titleHtml(title: string, render: (tex: string) => string = renderTex): string {
  return titleSegments(title).map((s) => {
    if ('text' in s) return escapeHtml(s.text);
    try {
      return render(s.math);
    } catch (e) {
      throw new GradsheetError('invalid-input', `The title ${JSON.stringify(title)} has math KaTeX cannot typeset ($${s.math}$): ${(e as Error).message}`, { cause: e });
    }
  }).join('');
}

/**
 * A title or label as plain Unicode, where KaTeX cannot go (the running page header): text as
 * it is, math through texToUnicode — ∂L₃/∂W_hf → ∂L₃/∂W(hf), L_T → L(T), x^2 → x².
 */
export function titleText(title: string): string {
  return titleSegments(title).map((s) => ('text' in s ? s.text : texToUnicode(s.math))).join('');
}
