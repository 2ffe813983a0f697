/**
 * A small subset of TeX math, for the places KaTeX cannot go: the running page header (a CSS
 * string, so plain Unicode) and the chart's axis titles (SVG text). Pure: TeX in, text out.
 *
 * Understood: letters (italic), digits and punctuation (upright); `_` and `^` with a group or one
 * token; `{…}`; `\frac{a}{b}` (as a/b); `\mathrm`, `\text`, `\operatorname` and the like (their
 * argument, upright); `\left`/`\right`/`\big…` (dropped, the delimiter kept); spacing commands;
 * the commands in SYMBOLS (∂, ∑, Greek, relations…). Any other command prints as its name.
 *
 * Scripts in Unicode (`toUnicode`): a script whose every character has a Unicode sub- or
 * superscript form is written in those (L_3 → L₃, x^2 → x², U^{(k)} → U⁽ᵏ⁾). Subscripts use only
 * digits, signs and parentheses (₀…₉ ₊ ₋ ₌ ₍ ₎): Unicode has subscript forms for a few letters
 * only (ₕ but no f), so a family such as W_hf, W_hi would print unevenly. A subscript with a
 * letter is written in parentheses after its base (W_{hf} → W(hf), L_T → L(T)); a superscript
 * without a full Unicode form as ^x or ^(…).
 */
import { escapeHtml } from '../html.js';

type Node =
  | { kind: 'sym'; text: string; italic: boolean }
  | { kind: 'space' }
  | { kind: 'group'; nodes: Node[] }
  | { kind: 'scripted'; base: Node; sub?: Node[]; sup?: Node[] };

const GREEK: Record<string, string> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ϵ', varepsilon: 'ε', zeta: 'ζ', eta: 'η', theta: 'θ', vartheta: 'ϑ',
  iota: 'ι', kappa: 'κ', lambda: 'λ', mu: 'μ', nu: 'ν', xi: 'ξ', pi: 'π', rho: 'ρ', sigma: 'σ', tau: 'τ', upsilon: 'υ',
  phi: 'ϕ', varphi: 'φ', chi: 'χ', psi: 'ψ', omega: 'ω',
  Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ', Pi: 'Π', Sigma: 'Σ', Upsilon: 'Υ', Phi: 'Φ', Psi: 'Ψ', Omega: 'Ω',
};

/** Commands that print one upright symbol. */
const SYMBOLS: Record<string, string> = {
  partial: '∂', nabla: '∇', sum: '∑', prod: '∏', int: '∫', infty: '∞',
  cdot: '·', times: '×', odot: '⊙', otimes: '⊗', circ: '∘', pm: '±', mp: '∓',
  le: '≤', leq: '≤', ge: '≥', geq: '≥', ne: '≠', neq: '≠', approx: '≈', sim: '∼', equiv: '≡', propto: '∝',
  to: '→', rightarrow: '→', leftarrow: '←', mapsto: '↦', in: '∈',
  ldots: '…', cdots: '⋯', dots: '…', prime: '′', top: '⊤',
  lvert: '|', rvert: '|', vert: '|', lVert: '‖', rVert: '‖', Vert: '‖', '|': '‖',
  log: 'log', ln: 'ln', exp: 'exp', tanh: 'tanh', sin: 'sin', cos: 'cos', max: 'max', min: 'min', diag: 'diag',
  '{': '{', '}': '}', '$': '$', '%': '%', '&': '&', '#': '#', _: '_',
};

/** Commands whose argument prints upright (or as it is) */
const FONT_COMMANDS = new Set(['mathrm', 'text', 'textrm', 'operatorname', 'mathsf', 'textsf', 'mathbf', 'textbf', 'boldsymbol', 'bm', 'mathit', 'textit', 'mathnormal']);
const ITALIC_FONT = new Set(['mathit', 'textit', 'mathnormal', 'boldsymbol', 'bm']);
const SPACES = new Set([',', ';', ':', ' ', 'quad', 'qquad', 'enspace', 'thinspace']);
const IGNORED = new Set(['left', 'right', 'big', 'Big', 'bigg', 'Bigg', 'bigl', 'bigr', 'Bigl', 'Bigr', 'displaystyle', 'textstyle', '!', 'limits', 'nolimits']);
const FRACTIONS = new Set(['frac', 'dfrac', 'tfrac']);
const RELATIONS = new Set(['=', '<', '>', '≤', '≥', '≠', '≈', '∼', '≡', '→', '∈']);

type Token = { command: string } | { char: string };

function tokenize(tex: string): Token[] {
  const tokens: Token[] = [];
  const chars = Array.from(tex);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\\') {
      let name = '';
      while (i + 1 < chars.length && /[A-Za-z]/.test(chars[i + 1]!)) name += chars[++i]!;
      if (name === '' && i + 1 < chars.length) name = chars[++i]!;
      tokens.push({ command: name });
    } else {
      tokens.push({ char: ch });
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  /** inside \text{…}: spaces are kept */
  private textMode = false;
  constructor(private readonly tokens: Token[]) {}

  /** Nodes up to a closing brace (consumed) or the end; at the top, a stray `}` is a symbol. */
  list(top = false): Node[] {
    const nodes: Node[] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if ('char' in t && t.char === '}' && !top) {
        this.i++;
        break;
      }
      if ('char' in t && (t.char === '_' || t.char === '^')) {
        this.i++;
        const script = this.argument();
        const last = nodes[nodes.length - 1];
        const base: Node = last?.kind === 'scripted' ? last : { kind: 'scripted', base: last ?? { kind: 'group', nodes: [] } };
        if (base !== last) {
          if (last) nodes.pop();
          nodes.push(base);
        }
        if (base.kind === 'scripted') base[t.char === '_' ? 'sub' : 'sup'] = script;
        continue;
      }
      const atom = this.atom();
      if (atom) nodes.push(atom);
    }
    return nodes;
  }

  /** One token or group, as the argument of a script or a command. */
  private argument(): Node[] {
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if ('char' in t && /\s/.test(t.char)) {
        this.i++;
        continue;
      }
      if ('char' in t && t.char === '{') {
        this.i++;
        return this.list();
      }
      const atom = this.atom();
      return atom ? [atom] : [];
    }
    return [];
  }

  private atom(): Node | null {
    const t = this.tokens[this.i++]!;
    if ('char' in t) {
      if (t.char === '{') return { kind: 'group', nodes: this.list() };
      if (/\s/.test(t.char)) return this.textMode ? { kind: 'space' } : null;
      if (t.char === '~') return { kind: 'space' };
      if (t.char === '-') return { kind: 'sym', text: '−', italic: false };
      if (t.char === "'") return { kind: 'sym', text: '′', italic: false };
      return { kind: 'sym', text: t.char, italic: /[A-Za-z]/.test(t.char) || /[α-ω]/.test(t.char) };
    }
    const name = t.command;
    if (IGNORED.has(name)) {
      // \left. and \right. print nothing
      const next = this.tokens[this.i];
      if ((name === 'left' || name === 'right') && next && 'char' in next && next.char === '.') this.i++;
      return null;
    }
    if (SPACES.has(name)) return { kind: 'space' };
    if (FRACTIONS.has(name)) {
      const top = this.argument(), bottom = this.argument();
      // a/b, (a + b)/c: parentheses only around what has an operator or a space in it
      const wrap = (n: Node[]): Node[] => (/[\s+−=/·×]/.test(toUnicodeNodes(n, false)) ? [sym('('), ...n, sym(')')] : n);
      return { kind: 'group', nodes: [...wrap(top), sym('/'), ...wrap(bottom)] };
    }
    if (FONT_COMMANDS.has(name)) {
      const italic = ITALIC_FONT.has(name), outer = this.textMode;
      this.textMode = name.startsWith('text');
      const nodes = restyle(this.argument(), italic);
      this.textMode = outer;
      return { kind: 'group', nodes };
    }
    const greek = GREEK[name];
    if (greek !== undefined) return { kind: 'sym', text: greek, italic: name[0] === name[0]!.toLowerCase() };
    return { kind: 'sym', text: SYMBOLS[name] ?? name, italic: false };
  }
}

const sym = (text: string): Node => ({ kind: 'sym', text, italic: false });

function restyle(nodes: Node[], italic: boolean): Node[] {
  return nodes.map((n): Node => {
    if (n.kind === 'sym') return { ...n, italic };
    if (n.kind === 'group') return { kind: 'group', nodes: restyle(n.nodes, italic) };
    if (n.kind === 'scripted') return { ...n, base: restyle([n.base], italic)[0]! };
    return n;
  });
}

export function parseTex(tex: string): Node[] {
  return new Parser(tokenize(tex)).list(true);
}

const SUBSCRIPT: Record<string, string> = {
  0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉', '+': '₊', '−': '₋', '=': '₌', '(': '₍', ')': '₎',
};
const SUPERSCRIPT: Record<string, string> = {
  0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹', '+': '⁺', '−': '⁻', '=': '⁼', '(': '⁽', ')': '⁾',
  a: 'ᵃ', b: 'ᵇ', c: 'ᶜ', d: 'ᵈ', e: 'ᵉ', f: 'ᶠ', g: 'ᵍ', h: 'ʰ', i: 'ⁱ', j: 'ʲ', k: 'ᵏ', l: 'ˡ', m: 'ᵐ', n: 'ⁿ', o: 'ᵒ', p: 'ᵖ',
  r: 'ʳ', s: 'ˢ', t: 'ᵗ', u: 'ᵘ', v: 'ᵛ', w: 'ʷ', x: 'ˣ', y: 'ʸ', z: 'ᶻ', T: 'ᵀ', '′': '′', '⊤': 'ᵀ',
};

function scriptText(script: Node[], table: Record<string, string>, mark: string): string {
  const text = toUnicodeNodes(script, false).trim();
  const chars = Array.from(text);
  if (chars.length > 0 && chars.every((c) => table[c] !== undefined)) return chars.map((c) => table[c]).join('');
  if (mark === '_') return `(${text})`;
  return chars.length === 1 ? `^${text}` : `^(${text})`;
}

/** Nodes as Unicode; relations spaced (a = b) unless `spaced` is false (in scripts: t=1). */
function toUnicodeNodes(nodes: Node[], spaced = true): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'sym') out += spaced && RELATIONS.has(n.text) ? ` ${n.text} ` : n.text;
    else if (n.kind === 'space') out += ' ';
    else if (n.kind === 'group') out += toUnicodeNodes(n.nodes, spaced);
    else {
      out += toUnicodeNodes([n.base], spaced);
      if (n.sub) out += scriptText(n.sub, SUBSCRIPT, '_');
      if (n.sup) out += scriptText(n.sup, SUPERSCRIPT, '^');
      // a sum or product and its term: ∑(t) L(t)
      if (n.base.kind === 'sym' && (n.base.text === '∑' || n.base.text === '∏')) out += ' ';
    }
  }
  return out;
}

/** TeX (the subset above) as readable plain Unicode: `\partial L_3/\partial W_{hf}` → `∂L₃/∂W(hf)`. */
export function texToUnicode(tex: string): string {
  return toUnicodeNodes(parseTex(tex)).replace(/ {2,}/g, ' ').trim();
}

/**
 * TeX (the subset above) as the content of an SVG <text>: letters in italic, everything else
 * upright, scripts smaller and raised or lowered with baseline-shift; all text escaped.
 */
export function texToSvg(tex: string): string {
  return svgNodes(parseTex(tex)).replace(/ {2,}/g, ' ').trim();
}

function svgNodes(nodes: Node[]): string {
  let out = '';
  let italicRun = '';
  const flush = () => {
    if (italicRun) out += `<tspan font-style="italic">${escapeHtml(italicRun)}</tspan>`;
    italicRun = '';
  };
  for (const n of nodes) {
    if (n.kind === 'sym' && n.italic) {
      italicRun += n.text;
      continue;
    }
    flush();
    if (n.kind === 'sym') out += escapeHtml(RELATIONS.has(n.text) ? ` ${n.text} ` : n.text);
    else if (n.kind === 'space') out += ' ';
    else if (n.kind === 'group') out += svgNodes(n.nodes);
    else {
      out += svgNodes([n.base]);
      if (n.sub) out += `<tspan baseline-shift="sub" font-size="75%">${svgNodes(n.sub)}</tspan>`;
      if (n.sup) out += `<tspan baseline-shift="super" font-size="75%">${svgNodes(n.sup)}</tspan>`;
    }
  }
  flush();
  return out;
}
