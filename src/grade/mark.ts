/**
 * Marking one part: a chain of named steps, each of which may set the credit and add feedback
 * (Numbas' marking notes). "Invalid" (not a number, wrong shape) is not "incorrect".
 *
 *   read      the submitted value: numbers, or strings holding a decimal or scientific literal
 *   shape     a number, a vector or a matrix of the part's shape (a transposed matrix is named)
 *   compare   entry by entry within tolerance: full credit, or partial by the share of entries
 *   carry     follow-through: against the value recomputed from the student's own earlier answers
 *   diagnose  which catalogued mistake a wrong answer matches, explained in the notes' terms
 *
 * Feedback never states the right answer unless `reveal` is set.
 */
import type { KeyPart } from '../problems/key.js';
import { MISTAKES, type MistakeId } from '../problems/mistakes.js';
import type { AnswerValue, PartSpec } from '../problems/types.js';
import { plainValue } from '../problems/format.js';
import { DEFAULT_TOLERANCE, allWithinTolerance, withinTolerance, type Tolerance } from './tolerance.js';

export type PartStatus = 'correct' | 'partial' | 'incorrect' | 'missing' | 'invalid';

export interface PartResult {
  id: string;
  status: PartStatus;
  score: number;
  max: number;
  feedback: string;
  /** the catalogued mistake the answer matches, if any */
  mistake?: MistakeId;
  /** credit came from follow-through (error carried forward) */
  carried?: boolean;
}

/** The value read from a submission: numbers (vector, matrix) or a choice string. */
export type ReadValue = number | number[] | number[][] | string;

const NUMBER_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A submitted scalar: a finite number, or a string holding a decimal or scientific literal. */
function readNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const s = v.trim().replace(/\u2212/g, '-');
    if (!NUMBER_LITERAL.test(s)) return null;
    const n = Number(s);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function describeShape(shape: readonly number[]): string {
  if (shape.length === 0) return 'a single number';
  if (shape.length === 1) return `a vector of ${shape[0]} ${shape[0] === 1 ? 'entry' : 'entries'}`;
  return `a ${shape[0]}×${shape[1]} matrix`;
}

function shapeOfSubmitted(v: unknown): number[] | null {
  if (!Array.isArray(v)) return [];
  if (v.length > 0 && v.every(Array.isArray)) {
    const cols = (v[0] as unknown[]).length;
    return v.every((row) => (row as unknown[]).length === cols) ? [v.length, cols] : null;
  }
  return v.some(Array.isArray) ? null : [v.length];
}

/** Reads a submitted value against the part's expected shape, or says why it cannot be graded. */
export function readValue(part: KeyPart, raw: unknown): { value: ReadValue; transposed?: boolean } | { invalid: string } {
  if (part.kind === 'choice') {
    if (typeof raw !== 'string') return { invalid: `should be one of the choices (${(part.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}), not ${typeof raw === 'object' ? 'a list' : String(raw)}` };
    const match = (part.choices ?? []).find((c) => c.toLowerCase() === raw.trim().toLowerCase());
    return match ? { value: match } : { invalid: `is not one of the choices (${(part.choices ?? []).map((c) => JSON.stringify(c)).join(', ')})` };
  }
  const expected = part.shape;
  if (expected.length === 0) {
    // a 1-entry vector or 1×1 matrix is accepted for a number
    const flat = Array.isArray(raw) ? [raw].flat(2) : [raw];
    if (Array.isArray(raw) && flat.length !== 1) return { invalid: `should be a single number, not ${describeShape(shapeOfSubmitted(raw) ?? [flat.length])}` };
    const n = readNumber(flat[0]);
    return n === null ? { invalid: `is not a number (${JSON.stringify(flat[0])?.slice(0, 30)})` } : { value: n };
  }
  const got = shapeOfSubmitted(raw);
  if (got === null) return { invalid: `should be ${describeShape(expected)}; its rows have different lengths` };
  // a vector may come as a column (n×1) or a row (1×n) matrix
  let candidate: unknown = raw;
  if (expected.length === 1 && got.length === 2 && (got[1] === 1 || got[0] === 1)) candidate = [raw].flat(2);
  const shape = shapeOfSubmitted(candidate)!;
  const transposed = expected.length === 2 && shape.length === 2 && shape[0] === expected[1] && shape[1] === expected[0] && expected[0] !== expected[1];
  if (!transposed && (shape.length !== expected.length || shape.some((n, i) => n !== expected[i]))) {
    return { invalid: `should be ${describeShape(expected)}, not ${describeShape(shape)}` };
  }
  const entries = [candidate].flat(2);
  const numbers = entries.map(readNumber);
  const bad = numbers.findIndex((n) => n === null);
  if (bad >= 0) return { invalid: `entry ${bad + 1} is not a number (${JSON.stringify(entries[bad])?.slice(0, 30)})` };
  if (expected.length === 1) return { value: numbers as number[] };
  const rows = transposed ? expected[1]! : expected[0]!, cols = transposed ? expected[0]! : expected[1]!;
  const m = Array.from({ length: rows }, (_, i) => (numbers as number[]).slice(i * cols, (i + 1) * cols));
  return transposed ? { value: m[0]!.map((_, j) => m.map((row) => row[j]!)), transposed: true } : { value: m };
}

/** Share of entries within tolerance (1 for a matching number or choice). */
export function agreement(expected: AnswerValue, given: ReadValue, tol: Tolerance): number {
  if (typeof expected === 'string') return expected === given ? 1 : 0;
  const e = [expected].flat(2) as number[], g = [given].flat(2) as number[];
  if (e.length !== g.length) return 0;
  return e.filter((x, i) => withinTolerance(x, g[i]!, tol)).length / e.length;
}

/** An earlier answer too degenerate to carry anything forward: all zeros, an identity, empty. */
export function isDegenerate(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'number') return v === 0;
  if (!Array.isArray(v) || v.length === 0) return true;
  const flat = [v].flat(2) as unknown[];
  if (flat.every((x) => x === 0)) return true;
  if (Array.isArray(v[0]) && v.length === (v[0] as unknown[]).length && v.length > 1) {
    return (v as number[][]).every((row, i) => row.every((x, j) => x === (i === j ? 1 : 0)));
  }
  return false;
}

export interface MarkContext {
  /** the problem type's part, for follow-through (absent when grading from a key without types) */
  spec?: PartSpec;
  /** the student's answers to this question's earlier parts, read, by part key */
  earlier: Readonly<Record<string, ReadValue | undefined>>;
  /** feedback may state the right answer */
  reveal: boolean;
  digits: number;
}

/** Marks one part. */
export function markPart(part: KeyPart, raw: unknown, ctx: MarkContext): PartResult & { read?: ReadValue } {
  const max = part.points;
  const tol = part.tolerance ?? DEFAULT_TOLERANCE;
  const base = { id: part.id, max };
  const reveal = ctx.reveal ? ` The answer is ${plainValue(part.answer, ctx.digits)}.` : '';
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return { ...base, status: 'missing', score: 0, feedback: `No answer.${reveal}` };
  }
  const read = readValue(part, raw);
  if ('invalid' in read) return { ...base, status: 'invalid', score: 0, feedback: `The answer ${read.invalid}.` };
  const value = read.value;

  // compare
  const share = agreement(part.answer, value, tol);
  if (share === 1) {
    const note = read.transposed ? ' (given transposed; the entries are right, but mind the orientation: rows are the H outputs)' : '';
    if (read.transposed) return { ...base, status: 'partial', score: round(max * 0.5), feedback: `Correct entries, but transposed${note}.`, read: value };
    return { ...base, status: 'correct', score: max, feedback: 'Correct.', read: value };
  }
  let best: PartResult = { ...base, status: share > 0 ? 'partial' : 'incorrect', score: round(max * share), feedback: share > 0 ? `${Math.round(share * 100)}% of the entries are right.` : 'Incorrect.' };

  // carry: follow-through from the student's own earlier answers
  if (ctx.spec?.followThrough && ctx.spec.dependsOn?.length) {
    const earlier = Object.fromEntries(ctx.spec.dependsOn.map((k) => [k, ctx.earlier[k]]));
    const usable = Object.values(earlier).every((v) => v !== undefined && !isDegenerate(v));
    if (usable) {
      const recomputed = ctx.spec.followThrough(earlier as Record<string, AnswerValue>);
      if (recomputed !== null) {
        const carried = agreement(recomputed, value, tol);
        if (carried === 1 && max > best.score) {
          best = { ...base, status: 'correct', score: max, carried: true, feedback: `Correct from your earlier answer${ctx.spec.dependsOn.length > 1 ? 's' : ''} (${ctx.spec.dependsOn.map((k) => `(${k})`).join(', ')}): the error was carried forward, not repeated.` };
        }
      }
    }
  }

  // diagnose: a catalogued mistake, explained
  if (best.status !== 'correct') {
    const match = (part.mistakes ?? []).find((m) => allWithinTolerance(m.value, value, tol) || agreement(m.value, value, tol) === 1);
    if (match) {
      best = { ...best, mistake: match.id, feedback: `${MISTAKES[match.id].explanation}${best.score > 0 ? ` (${best.feedback})` : ''}` };
    } else if (best.status === 'incorrect' && typeof part.answer === 'number' && typeof value === 'number' && withinTolerance(-part.answer, value, tol)) {
      best = { ...best, feedback: 'The magnitude is right but the sign is wrong.' };
    }
    best.feedback += reveal;
  }
  return { ...best, read: value };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
