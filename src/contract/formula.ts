/**
 * Formula answers (part kind `expression`): what a student types — "(1 − S₂²)·(x₂ + W·∂S₁/∂U)"
 * written in the symbols a question names — read with mathjs's parser (never evaluated by mathjs,
 * never `eval`): the tree is checked node by node against an allow-list (numbers, the question's
 * symbols, + − · / ^, parentheses and a few functions), then compiled to a closure of our own.
 * Two formulas are the same when they agree at several random points of the symbols (identity
 * testing): never by comparing strings. Symbols may be derived from others (S₁ = tanh(U x₁ + W S₀)),
 * so a formula written through S₁ and one written through tanh(U x₁ + W S₀) agree.
 *
 * Shared by the problem types (their answers and catalogued mistakes are formulas) and the grader.
 * The parser is loaded once, asynchronously (`loadFormulas`), by whatever grades or draws formula
 * parts; everything else here is synchronous.
 */

/** A symbol a formula may use. */
export interface FormulaSymbol {
  /** its name in formulas: letters, then an optional _ and digits ("S_2", "W", "x_1") */
  name: string;
  /** how it is printed (TeX): "S_2", "\\frac{\\partial S_1}{\\partial U}" */
  tex: string;
  /** where it is sampled, for a free symbol (default [−1, 1]) */
  range?: readonly [number, number];
  /** for a derived symbol: its formula in the symbols before it */
  derived?: string;
}

/** A formula read: its closure over a point of the symbols, its canonical text and its TeX; or why it cannot be read. */
export type ReadFormula = { ok: true; text: string; tex: string; at: (point: Readonly<Record<string, number>>) => number } | { ok: false; why: string };

/** The functions a formula may call (σ is the logistic sigmoid). */
const FUNCTIONS: Record<string, { tex: string; f: (x: number) => number }> = {
  tanh: { tex: '\\tanh', f: Math.tanh },
  sigma: { tex: '\\sigma', f: (x) => 1 / (1 + Math.exp(-x)) },
  exp: { tex: '\\exp', f: Math.exp },
  log: { tex: '\\ln', f: Math.log },
  sqrt: { tex: '\\sqrt', f: Math.sqrt },
  sech: { tex: '\\operatorname{sech}', f: (x) => 1 / Math.cosh(x) },
};
const FUNCTION_ALIASES: Record<string, string> = { ln: 'log', sigmoid: 'sigma', σ: 'sigma' };

export const MAX_FORMULA_LENGTH = 500;

type MathNode = {
  type: string;
  name?: string;
  fn?: string | MathNode;
  op?: string;
  value?: unknown;
  args?: MathNode[];
  content?: MathNode;
  implicit?: boolean;
};
type Parser = (text: string) => MathNode;
let parser: Parser | undefined;

/** Loads mathjs's parser (once; ~0.1–0.3 s), for whatever grades or draws formula parts. */
export async function loadFormulas(): Promise<void> {
  if (parser) return;
  const { create, parseDependencies } = await import('mathjs');
  const math = create({ parseDependencies: parseDependencies! });
  parser = (text) => math.parse(text) as unknown as MathNode;
}

export function formulasLoaded(): boolean {
  return parser !== undefined;
}

const SUPERSCRIPTS: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-' };
const SUBSCRIPTS: Record<string, string> = { '₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9' };

/**
 * What a student typed, in mathjs's syntax: full-width forms folded, Unicode minus, dots and
 * crosses as products, superscript powers (S₂² → S_2^2), subscript digits (S₂ → S_2), σ as sigma;
 * and names with digits written with an underscore (s3 → s_3).
 */
export function normaliseFormula(typed: string): string {
  // scripts first: NFKC would fold S₂² into S22
  let s = typed.replace(/([A-Za-z])([₀₁₂₃₄₅₆₇₈₉]+)/g, (_, l: string, d: string) => `${l}_${[...d].map((c) => SUBSCRIPTS[c]).join('')}`);
  s = s.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+/g, (m) => `^(${[...m].map((c) => SUPERSCRIPTS[c]).join('')})`);
  s = s.normalize('NFKC');
  s = s.replace(/[−–—﹣]/g, '-').replace(/[·⋅×∙*]/g, '*').replace(/÷/g, '/').replace(/σ/g, 'sigma');
  // a name's digits then the next name (s₁x₁, s1x1): a product, as written on paper (e stays: 1e-3)
  s = s.replace(/(\d)(?=[A-DF-Za-df-z])/g, '$1 ');
  // a name and its digits, with or without the underscore (and braces, as in TeX: s_{3})
  s = s.replace(/\b([A-Za-z]+)_?\{?(\d+)\}?/g, (m, l: string, d: string) => (l in FUNCTIONS || l in FUNCTION_ALIASES ? m : `${l}_${d}`));
  return s.trim();
}

/** A symbol's name as a question names it, for a name the student typed: exact, or the one that matches but for case. */
function resolve(name: string, symbols: readonly FormulaSymbol[]): FormulaSymbol | undefined {
  const exact = symbols.find((s) => s.name === name);
  if (exact) return exact;
  const folded = symbols.filter((s) => s.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

const list = (symbols: readonly FormulaSymbol[]) => symbols.map((s) => s.name).join(', ');

/**
 * Reads a formula in `symbols`: its closure, canonical text and TeX, or one sentence naming what
 * is wrong (an unknown symbol, a function outside the list, something that is not a formula).
 */
export function readFormula(typed: string, symbols: readonly FormulaSymbol[]): ReadFormula {
  if (!parser) throw new Error('The formula parser is not loaded (loadFormulas).');
  if (typed.length > MAX_FORMULA_LENGTH) return { ok: false, why: `is ${typed.length} characters long; a formula here is at most ${MAX_FORMULA_LENGTH}` };
  const text = normaliseFormula(typed);
  if (text === '') return { ok: false, why: 'is empty' };
  if (/[=<>!?:;[\]{}"'`]/.test(text)) {
    const c = /[=<>!?:;[\]{}"'`]/.exec(text)![0];
    return { ok: false, why: `is not a formula: it holds "${c}" (write only the expression, without "=")` };
  }
  let tree: MathNode;
  try {
    tree = parser(text);
  } catch (e) {
    return { ok: false, why: `is not read as a formula: ${String((e as Error).message).replace(/\s*\(char (\d+)\)/, ' at character $1')}` };
  }
  try {
    const built = compile(tree, symbols);
    return { ok: true, text: built.text, tex: built.tex, at: built.at };
  } catch (e) {
    if (e instanceof FormulaError) return { ok: false, why: e.message };
    throw e;
  }
}

class FormulaError extends Error {}

type Built = { text: string; tex: string; at: (p: Readonly<Record<string, number>>) => number; prec: number };

const OPERATORS: Record<string, { text: string; prec: number; f: (a: number, b: number) => number }> = {
  add: { text: '+', prec: 1, f: (a, b) => a + b },
  subtract: { text: '-', prec: 1, f: (a, b) => a - b },
  multiply: { text: '*', prec: 2, f: (a, b) => a * b },
  divide: { text: '/', prec: 2, f: (a, b) => a / b },
  pow: { text: '^', prec: 4, f: (a, b) => a ** b },
};

/** The tree checked against the allow-list and compiled: text, TeX and closure (precedence for parentheses). */
function compile(node: MathNode, symbols: readonly FormulaSymbol[]): Built {
  const paren = (b: Built, below: number, tex = true): { text: string; tex: string } => (b.prec < below ? { text: `(${b.text})`, tex: tex ? `\\left(${b.tex}\\right)` : b.tex } : { text: b.text, tex: b.tex });
  switch (node.type) {
    case 'ConstantNode': {
      if (typeof node.value !== 'number' || !Number.isFinite(node.value)) throw new FormulaError(`holds ${JSON.stringify(node.value)}, which is not a number`);
      const v = node.value;
      return { text: String(v), tex: String(v), at: () => v, prec: 9 };
    }
    case 'SymbolNode': {
      const found = resolve(node.name!, symbols);
      if (!found) {
        if (node.name! in FUNCTIONS || node.name! in FUNCTION_ALIASES) throw new FormulaError(`uses ${node.name} without its argument: write ${node.name}(…)`);
        throw new FormulaError(`uses "${node.name!.slice(0, 30)}", which is not one of this part's symbols (${list(symbols)})`);
      }
      const name = found.name;
      return { text: name, tex: found.tex.length > 1 && !/^[A-Za-z](_\{?\w+\}?)?$/.test(found.tex) ? `{${found.tex}}` : found.tex, at: (p) => p[name]!, prec: 9 };
    }
    case 'ParenthesisNode':
      return compile(node.content!, symbols);
    case 'OperatorNode': {
      const args = (node.args ?? []).map((a) => compile(a, symbols));
      if (node.fn === 'unaryMinus' || node.fn === 'unaryPlus') {
        const a = args[0]!, inner = paren(a, 2);
        const minus = node.fn === 'unaryMinus';
        return { text: `${minus ? '-' : ''}${inner.text}`, tex: `${minus ? '-' : ''}${inner.tex}`, at: minus ? (p) => -a.at(p) : a.at, prec: 3 };
      }
      const op = typeof node.fn === 'string' ? OPERATORS[node.fn] : undefined;
      if (!op || args.length !== 2) throw new FormulaError(`uses "${node.op ?? String(node.fn)}", which a formula here does not take (only + − · / ^ and parentheses)`);
      const [a, b] = args as [Built, Built];
      if (node.fn === 'pow') {
        const base = paren(a, 5);
        return { text: `${base.text}^${paren(b, 9).text}`, tex: `${base.tex}^{${b.tex}}`, at: (p) => a.at(p) ** b.at(p), prec: 4 };
      }
      if (node.fn === 'divide') {
        const l = paren(a, 2), r = paren(b, 3);
        return { text: `${l.text} / ${r.text}`, tex: `\\frac{${a.tex}}{${b.tex}}`, at: (p) => a.at(p) / b.at(p), prec: 2 };
      }
      const l = paren(a, op.prec), r = paren(b, op.prec + (node.fn === 'subtract' ? 1 : 0));
      const texOp = node.fn === 'multiply' ? ' \\cdot ' : ` ${op.text} `;
      return { text: `${l.text} ${op.text} ${r.text}`, tex: `${l.tex}${texOp}${r.tex}`, at: (p) => op.f(a.at(p), b.at(p)), prec: op.prec };
    }
    case 'FunctionNode': {
      const name = typeof node.fn === 'object' ? node.fn.name ?? '' : String(node.fn ?? node.name ?? '');
      const args = (node.args ?? []).map((a) => compile(a, symbols));
      // w(s_1) is a product where w is a symbol (mathjs reads it as a call)
      const asSymbol = resolve(name, symbols);
      if (asSymbol && args.length === 1) {
        const a = args[0]!, s = asSymbol.name;
        return { text: `${s} * (${a.text})`, tex: `${asSymbol.tex} \\left(${a.tex}\\right)`, at: (p) => p[s]! * a.at(p), prec: 2 };
      }
      const canonical = FUNCTION_ALIASES[name] ?? name;
      const f = FUNCTIONS[canonical];
      if (!f) throw new FormulaError(`calls "${name.slice(0, 30)}", which is not a function a formula here may use (${Object.keys(FUNCTIONS).join(', ')}) nor one of its symbols`);
      if (args.length !== 1) throw new FormulaError(`calls ${canonical} with ${args.length} arguments; it takes one`);
      const a = args[0]!;
      const tex = canonical === 'sqrt' ? `\\sqrt{${a.tex}}` : `${f.tex}\\left(${a.tex}\\right)`;
      return { text: `${canonical}(${a.text})`, tex, at: (p) => f.f(a.at(p)), prec: 9 };
    }
    default:
      throw new FormulaError(`is not a formula (it holds ${node.type.replace(/Node$/, '').toLowerCase()} syntax)`);
  }
}

/** A small seeded generator (mulberry32), so a part's points are the same at every grading. */
function seeded(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 3432918353), h = (h << 13) | (h >>> 19);
  return () => {
    h = (h + 0x6d2b79f5) | 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The points two formulas are compared at: free symbols drawn in their ranges, derived ones computed from them. */
export function formulaPoints(symbols: readonly FormulaSymbol[], seed: string, n = 8): Record<string, number>[] {
  const random = seeded(seed);
  const derived = new Map<string, ReadFormula>();
  for (const [i, s] of symbols.entries()) {
    if (s.derived === undefined) continue;
    const read = readFormula(s.derived, symbols.slice(0, i));
    if (!read.ok) throw new Error(`The derived symbol ${s.name} = ${s.derived} ${read.why}.`);
    derived.set(s.name, read);
  }
  return Array.from({ length: n }, () => {
    const p: Record<string, number> = {};
    for (const s of symbols) {
      const d = derived.get(s.name);
      if (d?.ok) p[s.name] = d.at(p);
      else {
        const [lo, hi] = s.range ?? [-1, 1];
        p[s.name] = lo + (hi - lo) * random();
      }
    }
    return p;
  });
}

/**
 * Whether two formulas are the same function of the symbols: equal, to a relative 10⁻⁸ of the
 * larger value, at every point where both are finite (and there are at least half of them).
 */
export function sameFormula(a: (p: Readonly<Record<string, number>>) => number, b: (p: Readonly<Record<string, number>>) => number, points: readonly Readonly<Record<string, number>>[]): boolean {
  let compared = 0;
  for (const p of points) {
    const x = a(p), y = b(p);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (Number.isFinite(x) !== Number.isFinite(y)) return false;
      continue;
    }
    compared++;
    if (Math.abs(x - y) > 1e-8 * Math.max(1, Math.abs(x), Math.abs(y))) return false;
  }
  return compared * 2 >= points.length;
}

/** TeX of a formula in symbols (the key prints the expected formula so), or the text itself when it cannot be read. */
export function formulaTex(text: string, symbols: readonly FormulaSymbol[]): string {
  const read = readFormula(text, symbols);
  return read.ok ? read.tex : text;
}
