/**
 * What a question prints, and the free points it could give away. A part is a free point when
 * its right answer can be read off the sheet: it is 0, it is a number the question prints (at the
 * precision the sheet asks for), or 0 or a printed number lies within its tolerance. The generator
 * (version 2 on) redraws such instances; `gradsheet audit` measures them.
 */
import { withinTolerance, type Tolerance } from '../contract/tolerance.js';
import { roundSignificant } from '../models/convention.js';
import { statement, type AnswerValue, type BuiltQuestion } from './types.js';

/** `a \times 10^{b}` as TeX prints it (texNumber's scientific form). */
const SCIENTIFIC = /(-?\d+(?:\.\d+)?)\s*\\times\s*10\^\{(-?\d+)\}/g;
/** ½ as TeX writes it */
const HALF = /\\t?frac(?:12|\{1\}\{2\})/g;
/** sub- and superscripts (indices and powers, not data): one level of nested braces */
const SCRIPT = /[_^](?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z0-9])/g;
/** a number; a minus sign counts only when it touches the digits (texNumber's "-0.7") */
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)/g;

/** Every number printed in a piece of text or TeX: data, factors, thresholds (not indices). */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  let rest = text.replace(SCIENTIFIC, (_m, mant: string, exp: string) => {
    out.push(Number(`${mant}e${exp}`));
    return ' ';
  });
  rest = rest.replace(HALF, () => {
    out.push(0.5);
    return ' ';
  });
  rest = rest.replace(SCRIPT, ' ');
  for (const m of rest.matchAll(NUMBER)) {
    const n = Number(m[0]);
    if (Number.isFinite(n)) out.push(n);
  }
  return out;
}

/** The distinct numbers a question prints: its statement, its data and every part's prompt. */
export function printedNumbers(built: BuiltQuestion): number[] {
  const all = [statement(built), ...built.given(), ...built.parts.map((p) => p.prompt)].flatMap(numbersIn);
  return [...new Set(all)];
}

export type FreePoint = 'zero' | 'printed' | 'zero-scores' | 'printed-scores';

export const FREE_POINT_SENTENCES: Record<FreePoint, string> = {
  zero: 'its answer is 0',
  printed: 'its answer is a number printed in the question',
  'zero-scores': 'an answer of 0 scores',
  'printed-scores': 'a number printed in the question scores',
};

/** The numbers of an answer, in row order (none for a choice). */
export function answerEntries(value: AnswerValue): number[] {
  if (typeof value === 'number') return [value];
  if (typeof value === 'string') return [];
  return (value as unknown[]).flatMap((v) => answerEntries(v as AnswerValue));
}

/**
 * Whether a numeric part gives points away, and how; null when it does not. An entry of a vector
 * or a matrix that is 0, or that is printed in the question, is a free share of the part's
 * points, and so is an entry that 0 scores; printed numbers that merely lie within tolerance are
 * counted only when they score every entry (full marks), since a question that prints a hundred
 * per-step factors has some near any small number, and a student cannot know which to copy.
 * Choice parts are never free points this way.
 */
export function freePoint(answer: AnswerValue, tolerance: Tolerance, printed: readonly number[], digits: number): FreePoint | null {
  if (typeof answer === 'string') return null;
  const entries = answerEntries(answer);
  if (entries.some((e) => e === 0)) return 'zero';
  if (entries.some((e) => printed.includes(roundSignificant(e, digits)) || printed.includes(Number(e.toPrecision(digits))))) return 'printed';
  if (entries.some((e) => withinTolerance(e, 0, tolerance))) return 'zero-scores';
  if (entries.every((e) => printed.some((p) => withinTolerance(e, p, tolerance)))) return 'printed-scores';
  return null;
}
