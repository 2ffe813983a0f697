/**
 * Numbers and arrays as the sheet prints them: TeX for prompts and worked solutions, plain text
 * for answer keys. Everything is rounded to the sheet's significant figures.
 */
import type { AnswerValue } from './types.js';

/** x to `digits` significant figures as plain text: 0.1235, −3.142e-7 (no trailing noise). */
export function plainNumber(x: number, digits: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e6) {
    const [mant, exp] = x.toExponential(digits - 1).split('e') as [string, string];
    return `${mant}e${exp.replace('+', '')}`;
  }
  return String(Number(x.toPrecision(digits)));
}

/** x to `digits` significant figures in TeX: 0.1235, -3.142 \times 10^{-7}. */
export function texNumber(x: number, digits: number): string {
  const s = plainNumber(x, digits);
  const m = /^(-?[\d.]+)e(-?\d+)$/.exec(s);
  return m ? `${m[1]} \\times 10^{${m[2]}}` : s;
}

/** A given value (a grid parameter, an input) exactly as it is, in TeX. */
export function texExact(x: number): string {
  return texNumber(x, 15);
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
