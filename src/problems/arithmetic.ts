/**
 * The arithmetic a worked solution writes out: an expression of numbers — computed values
 * printed at the sheet's significant figures, given data exactly as the sheet states them — typeset
 * with its signs (0.3068 - 0.1793, (0.4000)(-0.2), 19 \cdot (-0.6990)) and ended by its total.
 *
 * One rule decides how a line ends (`arithmeticLine`):
 * - the total is the exact value, printed at the sheet's figures, like every answer;
 * - it follows "=" when the printed terms, combined by hand, round to it, and "\approx" when they
 *   round to a neighbour of it (the total was computed from the unrounded values);
 * - the terms are printed at the sheet's figures unless that leaves them more than one unit of the
 *   total's last digit (and more than 1e-3 of it) away from the total — a difference of nearly
 *   equal numbers, a long product — and then with one more figure, up to three more, until they
 *   reproduce it. So every line adds up by hand at its printed precision.
 */
import type { Mat } from '../models/instance.js';
import { matMul } from '../models/linalg.js';
import { plainNumber, texExact, texFactor, texNumber, texSum } from './format.js';

/** A scalar, or a matrix with at least two entries (a vector is a one-column matrix). */
type Value = number | Mat;

export type Arith =
  | { op: 'num'; value: Value; given: boolean }
  | { op: 'sum'; terms: Arith[] }
  | { op: 'neg'; term: Arith }
  | { op: 'product'; factors: Arith[]; style: 'paren' | 'cdot' }
  | { op: 'square'; base: Arith };

/** the arrays a solution holds, as values: a vector is a column, one entry is a number */
function asValue(x: number | readonly number[] | readonly (readonly number[])[]): Value {
  if (typeof x === 'number') return x;
  const m: Mat = Array.isArray(x[0]) ? (x as readonly (readonly number[])[]).map((row) => row.slice()) : (x as readonly number[]).map((v) => [v]);
  return m.length === 1 && m[0]!.length === 1 ? m[0]![0]! : m;
}

/** A computed value: printed at the line's significant figures. */
export function num(x: number | readonly number[] | readonly (readonly number[])[]): Arith {
  return { op: 'num', value: asValue(x), given: false };
}

/** A given value (data of the question, a constant such as 1): printed exactly. */
export function given(x: number | readonly number[] | readonly (readonly number[])[]): Arith {
  return { op: 'num', value: asValue(x), given: true };
}

export function sum(...terms: Arith[]): Arith {
  return { op: 'sum', terms };
}

/** −term, e.g. the 1 − s² of tanh': sum(given(1), minus(squared(num(s)))) */
export function minus(term: Arith): Arith {
  return { op: 'neg', term };
}

/** A product written as the notes substitute values: (0.5000)(-0.2), matrices side by side. */
export function times(...factors: Arith[]): Arith {
  return { op: 'product', factors, style: 'paren' };
}

/** A product written with \cdot: 0.6225 \cdot (1 - 0.6225), 19 \cdot (-0.6990). */
export function cdot(...factors: Arith[]): Arith {
  return { op: 'product', factors, style: 'cdot' };
}

export function squared(base: Arith): Arith {
  return { op: 'square', base };
}

/** A number rounded to `digits` significant figures, as the sheet prints it. */
const printed = (x: number, digits: number) => Number(plainNumber(x, digits));

function texOfNum(value: Value, isGiven: boolean, digits: number): string {
  const one = (x: number) => (isGiven ? texExact(x) : texNumber(x, digits));
  if (typeof value === 'number') return one(value);
  return `\\begin{bmatrix}${value.map((row) => row.map(one).join(' & ')).join('\\\\')}\\end{bmatrix}`;
}

const isMatrix = (a: Arith): boolean => a.op === 'num' && typeof a.value !== 'number';

/** The expression in TeX, computed values at `digits` significant figures. */
export function texArith(a: Arith, digits: number): string {
  switch (a.op) {
    case 'num': return texOfNum(a.value, a.given, digits);
    case 'sum': return texSum(a.terms.map((t) => texArith(t, digits)), digits);
    case 'neg': {
      const inner = texArith(a.term, digits);
      return a.term.op === 'sum' || inner.startsWith('-') ? `-(${inner})` : `-${inner}`;
    }
    case 'square': {
      const base = texArith(a.base, digits);
      return a.base.op === 'num' || a.base.op === 'sum' || a.base.op === 'neg' ? `(${base})^2` : `${base}^2`;
    }
    case 'product': {
      if (a.style === 'cdot') {
        return a.factors.map((f) => {
          const tex = texArith(f, digits);
          if (f.op === 'num' && !isMatrix(f)) return texFactor(tex);
          return f.op === 'sum' || f.op === 'neg' || (f.op === 'product' && f.style === 'cdot') ? `(${tex})` : tex;
        }).join(' \\cdot ');
      }
      let out = '';
      a.factors.forEach((f, n) => {
        const tex = texArith(f, digits);
        if (isMatrix(f)) out += (n > 0 && isMatrix(a.factors[n - 1]!) ? '\\,' : '') + tex;
        else if (f.op === 'square' || (f.op === 'product' && f.style === 'paren')) out += tex;
        else out += `(${tex})`;
      });
      return out;
    }
  }
}

function add(x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') return x + y;
  if (typeof x === 'number' || typeof y === 'number') throw new Error('arithmetic: a number added to a matrix');
  return x.map((row, i) => row.map((v, j) => v + y[i]![j]!));
}

function multiply(x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') return x * y;
  if (typeof x === 'number') return (y as Mat).map((row) => row.map((v) => x * v));
  if (typeof y === 'number') return x.map((row) => row.map((v) => v * y));
  return matMul(x, y);
}

/** The value a student gets from the expression as printed: computed values rounded to `digits`. */
export function valueOfArith(a: Arith, digits: number): Value {
  switch (a.op) {
    case 'num':
      if (a.given) return a.value;
      return typeof a.value === 'number' ? printed(a.value, digits) : a.value.map((row) => row.map((v) => printed(v, digits)));
    case 'sum': return a.terms.map((t) => valueOfArith(t, digits)).reduce(add);
    case 'neg': return multiply(-1, valueOfArith(a.term, digits));
    case 'square': {
      const v = valueOfArith(a.base, digits);
      return multiply(v, v);
    }
    case 'product': return a.factors.map((f) => valueOfArith(f, digits)).reduce(multiply);
  }
}

const entries = (v: Value): number[] => (typeof v === 'number' ? [v] : v.flat());

/** One unit in the last digit a number's text shows: 0.001723 → 1e-6, -2.500e-5 → 1e-8, 0 → 0. */
export function lastDigitUnit(text: string): number {
  if (Number(text) === 0) return 0;
  const [mant, exp] = text.split('e') as [string, string | undefined];
  const decimals = mant.includes('.') ? mant.length - mant.indexOf('.') - 1 : 0;
  return 10 ** ((exp ? Number(exp) : 0) - decimals);
}

/**
 * Whether `value` (the printed terms combined) reproduces the total as printed at `digits`: within
 * one unit of its last digit, or within 1e-3 of it.
 */
export function reproducesTotal(value: number, total: number, digits: number): boolean {
  const text = plainNumber(total, digits);
  const shown = Number(text);
  const off = Math.abs(value - shown);
  return off <= lastDigitUnit(text) * (1 + 1e-9) + 1e-15 || off <= 1e-3 * Math.abs(shown);
}

/** Up to how many figures beyond the sheet's a line's terms may take to add up. */
const MAX_EXTRA_DIGITS = 3;

/**
 * "expression = total" (or "\approx total") in TeX, under the rule of this module's comment.
 * `total` is the exact value the expression stands for (a number, a vector or a matrix).
 */
export function arithmeticLine(expr: Arith, total: number | readonly number[] | readonly (readonly number[])[], digits: number): string {
  const exact = asValue(total);
  const want = entries(exact);
  let extra = 0;
  let value = entries(valueOfArith(expr, digits));
  while (extra < MAX_EXTRA_DIGITS && !value.every((v, n) => reproducesTotal(v, want[n]!, digits))) {
    extra++;
    value = entries(valueOfArith(expr, digits + extra));
  }
  if (value.length !== want.length) throw new Error('arithmetic: the expression and its total differ in shape');
  const rel = value.every((v, n) => plainNumber(v, digits) === plainNumber(want[n]!, digits)) ? '=' : '\\approx';
  return `${texArith(expr, digits + extra)} ${rel} ${texOfNum(exact, false, digits)}`;
}
