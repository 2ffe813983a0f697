/**
 * Marking one part: a chain of named steps, each of which may set the credit and add feedback
 * (Numbas' marking notes). "Invalid" (not a number, wrong shape) is not "incorrect".
 *
 *   read      the submitted value: numbers, or strings as students type them (number.ts: decimal
 *             comma, fractions, Unicode minus, full width, ×10^) — or why not, in a sentence
 *   shape     a number, a vector or a matrix of the part's shape (a transposed matrix is named)
 *   compare   entry by entry within tolerance: full credit, or partial by the share of entries
 *   carry     follow-through: against the value recomputed from the student's own earlier answers
 *             (a degenerate earlier answer, 0 or an identity, carries only when it was right)
 *   diagnose  which catalogued mistake a wrong answer matches, at the exact values or made on top
 *             of the student's own earlier answers, explained in the notes' terms; an answer that
 *             departs from the student's own earlier answers is told so
 *
 * Feedback never states the right answer unless `reveal` is set.
 */
import type { KeyPart } from '../problems/key.js';
import { MISTAKES, mistakeSince, type MistakeId } from '../problems/mistakes.js';
import type { AnswerValue, PartSpec } from '../problems/types.js';
import { plainValue } from '../problems/format.js';
import { readNumber } from './number.js';
import { formulaPoints, readFormula, sameFormula } from '../contract/formula.js';
import { DEFAULT_TOLERANCE, withinTolerance, type Tolerance } from '../contract/tolerance.js';

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

/**
 * The entries of a number, vector or matrix, in row order. A loop, not Array.prototype.flat:
 * flat was the grader's hottest function on 100,000 submissions.
 */
export function entries(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [v];
  const out: unknown[] = [];
  for (const x of v) {
    if (Array.isArray(x)) for (const y of x) out.push(y);
    else out.push(x);
  }
  return out;
}

/** A short description of a submitted value, safe on any depth or size. */
export function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v).slice(0, 30);
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
    if (typeof raw !== 'string') return { invalid: `should be one of the choices (${(part.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}), not ${preview(raw)}` };
    const match = (part.choices ?? []).find((c) => c.toLowerCase() === raw.trim().toLowerCase());
    return match ? { value: match } : { invalid: `is not one of the choices (${(part.choices ?? []).map((c) => JSON.stringify(c)).join(', ')})` };
  }
  const expected = part.shape;
  if (expected.length === 0) {
    // a 1-entry vector or 1×1 matrix is accepted for a number
    const flat = entries(raw);
    if (Array.isArray(raw) && flat.length !== 1) return { invalid: `should be a single number, not ${describeShape(shapeOfSubmitted(raw) ?? [flat.length])}` };
    const n = readNumber(flat[0]);
    return 'value' in n ? { value: n.value } : { invalid: `is not read as a number (${preview(flat[0])}): ${n.why}` };
  }
  const got = shapeOfSubmitted(raw);
  if (got === null) return { invalid: `should be ${describeShape(expected)}; its rows have different lengths` };
  // a vector may come as a column (n×1) or a row (1×n) matrix
  let candidate: unknown = raw;
  if (expected.length === 1 && got.length === 2 && (got[1] === 1 || got[0] === 1)) candidate = entries(raw);
  const shape = shapeOfSubmitted(candidate)!;
  const transposed = expected.length === 2 && shape.length === 2 && shape[0] === expected[1] && shape[1] === expected[0] && expected[0] !== expected[1];
  if (!transposed && (shape.length !== expected.length || shape.some((n, i) => n !== expected[i]))) {
    return { invalid: `should be ${describeShape(expected)}, not ${describeShape(shape)}` };
  }
  const values = entries(candidate);
  const readings = values.map(readNumber);
  const bad = readings.findIndex((n) => !('value' in n));
  if (bad >= 0) return { invalid: `entry ${bad + 1} is not read as a number (${preview(values[bad])}): ${(readings[bad] as { why: string }).why}` };
  const numbers = readings.map((n) => (n as { value: number }).value);
  if (expected.length === 1) return { value: numbers as number[] };
  const rows = transposed ? expected[1]! : expected[0]!, cols = transposed ? expected[0]! : expected[1]!;
  const m = Array.from({ length: rows }, (_, i) => (numbers as number[]).slice(i * cols, (i + 1) * cols));
  return transposed ? { value: m[0]!.map((_, j) => m.map((row) => row[j]!)), transposed: true } : { value: m };
}

/** Share of entries within tolerance (1 for a matching number or choice). */
export function agreement(expected: AnswerValue, given: ReadValue, tol: Tolerance): number {
  if (typeof expected === 'string') return expected === given ? 1 : 0;
  if (typeof expected === 'number' && typeof given === 'number') return withinTolerance(expected, given, tol) ? 1 : 0;
  const e = entries(expected) as number[], g = entries(given) as number[];
  if (e.length !== g.length) return 0;
  let ok = 0;
  for (let i = 0; i < e.length; i++) if (withinTolerance(e[i]!, g[i] as number, tol)) ok++;
  return ok / e.length;
}

/**
 * An answer too degenerate to carry anything forward when it is wrong: all zeros, an identity,
 * empty. (A right 0 or identity carries like any other right answer.)
 */
export function isDegenerate(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'number') return v === 0;
  // a formula (an expression part's answer, read): the student's own, carried like a number
  if (typeof v === 'string') return v.trim() === '';
  if (!Array.isArray(v) || v.length === 0) return true;
  if (entries(v).every((x) => x === 0)) return true;
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
  /** the earlier parts (by part key) that were marked correct */
  correct?: ReadonlySet<string>;
  /** the variant's generator version: a mistake catalogued after it is not named (default 1) */
  generator?: number;
  /** feedback may state the right answer */
  reveal: boolean;
  /** feedback may hint (the sign hint); absent: it does */
  hints?: boolean;
  digits: number;
}

/** A part's mark, with what the grader's chain needs besides the public result. */
export interface MarkedPart extends PartResult {
  /** the value read, for the parts after it */
  read?: ReadValue;
  /**
   * How a wrong answer stands to the value recomputed from the student's own earlier answers:
   * 'follows' (it agrees: the error came from them), 'departs' (it does not: this part went wrong
   * itself), absent when there is no such value.
   */
  fromEarlier?: 'follows' | 'departs';
}

/** A part result, every field listed (object spreads took V8's slow path on this hot path). */
function result(part: KeyPart, status: PartStatus, score: number, feedback: string, read?: ReadValue): MarkedPart {
  return { id: part.id, status, score, max: part.points, feedback, read, fromEarlier: undefined };
}

/** "(b)", "(b) and (c)", "(b), (c) and (d)" */
function partList(keys: readonly string[]): string {
  const named = keys.map((k) => `(${k})`);
  return named.length <= 1 ? named.join('') : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
}

/** Marks one part: read → shape → compare → carry → diagnose. */
export function markPart(part: KeyPart, raw: unknown, ctx: MarkContext): MarkedPart {
  const tol = part.tolerance ?? DEFAULT_TOLERANCE;
  const reveal = ctx.reveal ? ` The answer is ${plainValue(part.answer, ctx.digits)}.` : '';
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return result(part, 'missing', 0, `No answer.${reveal}`);
  }
  if (part.kind === 'expression') return markFormula(part, raw, ctx, reveal);
  // read, shape
  const read = readValue(part, raw);
  if ('invalid' in read) return result(part, 'invalid', 0, `The answer ${read.invalid}.`);
  // compare
  const share = agreement(part.answer, read.value, tol);
  const best = compare(part, read, share);
  if (share === 1) return best;
  // carry
  const earlier = usableEarlier(ctx);
  const recomputed = earlier ? ctx.spec!.followThrough!(earlier) : null;
  if (recomputed !== null && carry(best, part, read, recomputed, ctx.spec!.dependsOn!, tol) === 'correct') return best;
  // diagnose
  diagnose(best, part, read.value, ctx, earlier, tol);
  best.feedback += reveal;
  return best;
}

/** compare: entry by entry against the exact answer (`share` of the entries right); a transposed matrix earns at most half. */
function compare(part: KeyPart, read: { value: ReadValue; transposed?: boolean }, share: number): MarkedPart {
  const max = part.points;
  if (share === 1) {
    return read.transposed
      ? result(part, 'partial', round(max * 0.5), 'Correct entries, but transposed: rows are the H outputs (units), columns what they are computed from.', read.value)
      : result(part, 'correct', max, 'Correct.', read.value);
  }
  const factor = read.transposed ? 0.5 : 1;
  const transposedNote = read.transposed ? ' The matrix is given transposed.' : '';
  return result(part, share > 0 ? 'partial' : 'incorrect', round(max * share * factor), (share > 0 ? `${Math.round(share * 100)}% of the entries are right.` : 'Incorrect.') + transposedNote, read.value);
}

/**
 * The student's earlier answers this part is computed from, when every one can carry: given,
 * and not a degenerate answer (0, an identity) unless that answer was right. Null when the part
 * has no follow-through or an earlier answer cannot carry.
 */
function usableEarlier(ctx: MarkContext): Record<string, AnswerValue> | null {
  const deps = ctx.spec?.dependsOn;
  if (!ctx.spec?.followThrough || !deps || deps.length === 0) return null;
  const earlier: Record<string, AnswerValue> = {};
  for (const k of deps) {
    const v = ctx.earlier[k];
    if (v === undefined || (isDegenerate(v) && !ctx.correct?.has(k))) return null;
    earlier[k] = v;
  }
  return earlier;
}

/**
 * carry: full credit (half when transposed) when the answer is what the student's own earlier
 * answers give; the part's status after it.
 */
function carry(best: MarkedPart, part: KeyPart, read: { value: ReadValue; transposed?: boolean }, recomputed: AnswerValue, deps: readonly string[], tol: Tolerance): PartStatus {
  if (agreement(recomputed, read.value, tol) !== 1) {
    best.fromEarlier = 'departs';
    return best.status;
  }
  best.fromEarlier = 'follows';
  const factor = read.transposed ? 0.5 : 1;
  if (part.points * factor > best.score) {
    best.status = factor === 1 ? 'correct' : 'partial';
    best.score = round(part.points * factor);
    best.carried = true;
    best.feedback = `Correct from your earlier answer${deps.length > 1 ? 's' : ''} (${deps.map((k) => `(${k})`).join(', ')}): the error was carried forward, not repeated.${read.transposed ? ' The matrix is given transposed.' : ''}`;
  }
  return best.status;
}

/**
 * diagnose: a catalogued mistake the answer matches — at the exact values the key lists, or made
 * on top of the student's own earlier answers — explained in the notes' terms; an answer that
 * departs from the student's own earlier answers is told so (and which one it copies, if any).
 */
function diagnose(best: MarkedPart, part: KeyPart, value: ReadValue, ctx: MarkContext, earlier: Readonly<Record<string, AnswerValue>> | null, tol: Tolerance): void {
  const departs = best.fromEarlier === 'departs' && earlier !== null;
  let match: MistakeId | undefined = (part.mistakes ?? []).find((m) => agreement(m.value, value, tol) === 1)?.id;
  let copiedNote = '';
  if (!match && departs) {
    const generator = ctx.generator ?? 1;
    const spec = ctx.spec!;
    const own = spec.followThroughMistakes;
    for (const id in own) {
      const v = mistakeSince(id as MistakeId) <= generator ? own[id as MistakeId]!(earlier) : null;
      if (v !== null && agreement(v, value, tol) === 1) {
        match = id as MistakeId;
        break;
      }
    }
    if (!match) {
      const copied = spec.dependsOn!.find((k) => agreement(earlier[k]!, value, tol) === 1);
      if (copied) copiedNote = ` It is your answer to (${copied}) as it stands.`;
      if (spec.departsMistake && mistakeSince(spec.departsMistake) <= generator) match = spec.departsMistake;
    }
  }
  if (match) {
    best.mistake = match;
    best.feedback = `${MISTAKES[match].explanation}${copiedNote}${best.score > 0 ? ` (${best.feedback})` : ''}`;
    return;
  }
  if (ctx.hints !== false && best.status === 'incorrect' && typeof part.answer === 'number' && typeof value === 'number' && withinTolerance(-part.answer, value, tol)) {
    best.feedback = 'The magnitude is right but the sign is wrong.';
  }
  const deps = ctx.spec?.dependsOn ?? [];
  if (departs && deps.some((k) => !ctx.correct?.has(k))) {
    best.feedback += ` Nor does it follow from your own answer${deps.length > 1 ? 's' : ''} to ${partList(deps)}.${copiedNote}`;
  }
}

/** Per key part: its expected formula read, and the points formulas are compared at. */
const FORMULAS = new WeakMap<KeyPart, { expected: (p: Readonly<Record<string, number>>) => number; points: Record<string, number>[]; mistakes: { id: MistakeId; at: (p: Readonly<Record<string, number>>) => number }[] }>();

function formulaOf(part: KeyPart) {
  let f = FORMULAS.get(part);
  if (!f) {
    const symbols = part.symbols ?? [];
    const expected = readFormula(String(part.answer), symbols);
    if (!expected.ok) throw new Error(`The key's formula for ${part.id} ${expected.why}.`);
    const mistakes = (part.mistakes ?? []).flatMap((m) => {
      const read = readFormula(String(m.value), symbols);
      return read.ok ? [{ id: m.id, at: read.at }] : [];
    });
    FORMULAS.set(part, (f = { expected: expected.at, points: formulaPoints(symbols, part.id), mistakes }));
  }
  return f;
}

/**
 * A formula part: read (an allow-listed formula in the part's symbols, or a sentence naming what is
 * not), then compared with the expected formula at random points of the symbols, then diagnosed
 * against the catalogued mistakes' formulas the same way. Right or not: no partial credit.
 */
function markFormula(part: KeyPart, raw: unknown, ctx: MarkContext, reveal: string): MarkedPart {
  if (typeof raw !== 'string') return result(part, 'invalid', 0, `The answer should be a formula written as text (in ${(part.symbols ?? []).map((s) => s.name).join(', ')}), not ${preview(raw)}.`);
  const read = readFormula(raw, part.symbols ?? []);
  if (!read.ok) return result(part, 'invalid', 0, `The answer ${read.why}.`);
  const f = formulaOf(part);
  if (sameFormula(f.expected, read.at, f.points)) return result(part, 'correct', part.points, 'Correct.', read.text);
  const best = result(part, 'incorrect', 0, 'Incorrect.', read.text);
  const generator = ctx.generator ?? 1;
  const match = f.mistakes.find((m) => mistakeSince(m.id) <= generator && sameFormula(m.at, read.at, f.points));
  if (match) {
    best.mistake = match.id;
    best.feedback = MISTAKES[match.id].explanation;
  } else if (ctx.hints !== false && sameFormula((p) => -f.expected(p), read.at, f.points)) {
    best.feedback = 'The formula is right but for its sign.';
  }
  best.feedback += reveal;
  return best;
}

/** Points to three decimals, so partial credit adds up without binary noise. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
