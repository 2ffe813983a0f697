/**
 * Numbers and arrays as the sheet prints them: TeX for prompts and worked solutions, plain text
 * for answer keys. Computed values are rounded to the sheet's significant figures and keep their
 * significant trailing zeros (0.3050, 1.000); given data (grid values) print exactly as they are.
 */
import type { AnswerValue } from './types.js';

/**
 * x to `digits` significant figures as plain text, trailing zeros kept: 0.1235, 0.3050,
 * -3.142e-7. Below 1e-4 and from 1e6 on in scientific form; a number with more integer digits
 * than `digits` is printed as the rounded integer (12350).
 */
export function plainNumber(x: number, digits: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e6) {
    const [mant, exp] = x.toExponential(digits - 1).split('e') as [string, string];
    return `${mant}e${exp.replace('+', '')}`;
  }
  const fixed = x.toPrecision(digits);
  // toPrecision turns scientific when the integer part has more digits than it may print
  return fixed.includes('e') ? String(Number(fixed)) : fixed;
}

/** x to `digits` significant figures in TeX: 0.1235, 0.3050, -3.142 \times 10^{-7}. */
export function texNumber(x: number, digits: number): string {
  return scientificTeX(plainNumber(x, digits));
}

/** "1.5e-7" as TeX: 1.5 \times 10^{-7}; any other number text as it is. */
function scientificTeX(s: string): string {
  const m = /^(-?[\d.]+)e([-+]?\d+)$/.exec(s);
  return m ? `${m[1]} \\times 10^{${m[2]!.replace('+', '')}}` : s;
}

/**
 * A given value (a grid parameter, an input) exactly as it is, in TeX: 0.53, not 0.5300 (the
 * shortest text of the double, at most 15 significant figures).
 */
export function texExact(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  const shortest = String(Number(x.toPrecision(15)));
  if (abs < 1e-4 || abs >= 1e6) return scientificTeX(Number(shortest).toExponential());
  return shortest;
}

/**
 * A factor of a product written with \cdot: a negative number or one in scientific form is
 * parenthesised, so a product reads 19 \cdot (-0.6990), never 19 \cdot -0.6990. `tex` is a
 * number already typeset (texNumber, texExact).
 */
export function texFactor(tex: string): string {
  return tex.startsWith('-') || tex.includes('\\times') ? `(${tex})` : tex;
}

/**
 * Terms joined into a sum with their signs: 0.3068 - 0.1793 + 0.2 (never + -); a leading
 * negative term keeps its minus (-0.5 + 0.2). A term is a number (printed at `digits`) or TeX
 * already typeset; a typeset term that starts with a minus is subtracted.
 */
export function texSum(terms: readonly (number | string)[], digits: number): string {
  return terms.map((term, n) => {
    const tex = typeof term === 'number' ? texNumber(term, digits) : term;
    if (n === 0) return tex;
    return tex.startsWith('-') ? `- ${tex.slice(1).trimStart()}` : `+ ${tex}`;
  }).join(' ');
}

export function texVector(v: readonly number[], digits: number): string {
  if (v.length === 1) return texNumber(v[0]!, digits);
  return `\\begin{bmatrix}${v.map((x) => texNumber(x, digits)).join('\\\\')}\\end{bmatrix}`;
}

export function texMatrix(m: readonly (readonly number[])[], digits: number): string {
  if (m.length === 1 && m[0]!.length === 1) return texNumber(m[0]![0]!, digits);
  return `\\begin{bmatrix}${m.map((row) => row.map((x) => texNumber(x, digits)).join(' & ')).join('\\\\')}\\end{bmatrix}`;
}

/** Any answer value in TeX. */
export function texValue(value: AnswerValue, digits: number): string {
  if (typeof value === 'string') return `\\text{${value}}`;
  if (typeof value === 'number') return texNumber(value, digits);
  if (value.length > 0 && Array.isArray(value[0])) return texMatrix(value as number[][], digits);
  return texVector(value as number[], digits);
}

/** Any answer value as plain text, rows separated by "; ". */
export function plainValue(value: AnswerValue, digits: number): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return plainNumber(value, digits);
  if (value.length > 0 && Array.isArray(value[0])) return (value as number[][]).map((row) => row.map((x) => plainNumber(x, digits)).join(', ')).join('; ');
  return (value as number[]).map((x) => plainNumber(x, digits)).join(', ');
}

/** Rounds an answer value to `digits` significant figures (what the sheet prints). */
export function roundValue(value: AnswerValue, digits: number): AnswerValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number(plainNumber(value, digits));
  return (value as unknown[]).map((v) => roundValue(v as AnswerValue, digits)) as AnswerValue;
}
