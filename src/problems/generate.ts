/**
 * Drawing one question: a problem type's instance, accepted only when it grades fairly.
 * A draw is rejected (and the same rng draws again, so redraws are deterministic) when
 * - the problem type says it misses the requested regime,
 * - any answer is not finite,
 * - a part's answer computed by hand, with every written-down quantity rounded to the sheet's
 *   digits, falls outside the part's tolerance (the student cannot get it right honestly), or
 * - a catalogued mistake's value falls within tolerance of the right answer (the grader could
 *   not tell them apart).
 */
import { allWithinTolerance, type Tolerance } from '../grade/tolerance.js';
import { byHand, EXACT } from '../models/convention.js';
import type { Instance } from '../models/instance.js';
import { solve, type Solution } from '../models/solve.js';
import { GradsheetError } from '../errors.js';
import { mistakeConvention, type MistakeId } from './mistakes.js';
import type { Rng } from './random.js';
import type { AnswerValue, AnyProblemType, BuiltQuestion, PartSpec, SheetStyle } from './types.js';

export const MAX_DRAWS = 500;

export type RejectReason = 'regime' | 'non-finite' | 'rounding' | 'mistake-indistinct';

export interface DrawStats {
  draws: number;
  rejected: Partial<Record<RejectReason, number>>;
}

export interface GeneratedPart {
  spec: PartSpec;
  answer: AnswerValue;
  tolerance: Tolerance;
  /** catalogued mistakes and their values for this instance (only those that apply) */
  mistakes: { id: MistakeId; value: AnswerValue }[];
}

export interface GeneratedQuestion {
  instance: Instance;
  solution: Solution;
  built: BuiltQuestion;
  parts: GeneratedPart[];
}

function isFiniteValue(v: AnswerValue): boolean {
  if (typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  return (v as unknown[]).every((x) => isFiniteValue(x as AnswerValue));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  return a === b;
}

/**
 * The values of the part's catalogued mistakes on this instance. A mistake that gives exactly
 * the right answer here (∂L/∂W^(1) is 0 whatever one does when s_0 = 0) makes no difference on
 * this instance and is left out, rather than counted as indistinguishable.
 */
export function mistakeValues(spec: PartSpec, sol: Solution): { id: MistakeId; value: AnswerValue }[] {
  const answer = spec.answer(sol);
  // the closed forms' own exact value: a mistake that cannot touch this part reproduces it to
  // the last bit, where the engine's answer may differ in the last bits
  const closedForm = spec.calc && spec.kind !== 'choice' ? spec.calc(EXACT) : null;
  const out: { id: MistakeId; value: AnswerValue }[] = [];
  for (const id of spec.mistakes ?? []) {
    const direct = spec.mistakeValue?.[id];
    let value: AnswerValue | null = null;
    if (direct) value = direct(sol);
    else {
      const conv = mistakeConvention(id);
      if (conv && spec.calc) value = spec.calc(conv);
    }
    if (value !== null && isFiniteValue(value) && !sameValue(value, answer) && !(closedForm !== null && sameValue(value, closedForm))) out.push({ id, value });
  }
  return out;
}

/**
 * The checks that reject most draws, cheapest first and stopping at the first failure: answers
 * finite, then the by-hand rounding of each part. (The mistakes are checked on the full build.)
 */
function quickRejection(specs: readonly PartSpec[], solution: Solution, style: SheetStyle, tolerance: (spec: PartSpec) => Tolerance): RejectReason | null {
  const hand = byHand(style.digits);
  const answers = specs.map((spec) => spec.answer(solution));
  if (!answers.every(isFiniteValue)) return 'non-finite';
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    if (spec.calc && spec.kind !== 'choice' && !allWithinTolerance(answers[i]!, spec.calc(hand), tolerance(spec))) return 'rounding';
  }
  return null;
}

/** Draws until an instance grades fairly; deterministic for a given rng state. */
export function drawQuestion(
  type: AnyProblemType, rng: Rng, params: unknown, style: SheetStyle,
  tolerance: (spec: PartSpec) => Tolerance, stats?: DrawStats, where = type.id,
): GeneratedQuestion {
  for (let draw = 1; draw <= MAX_DRAWS; draw++) {
    if (stats) stats.draws++;
    const instance = type.generate(rng, params);
    let reason: RejectReason | null = null;
    let question: GeneratedQuestion | null = null;
    const solution = solve(instance);
    if (type.accept && type.accept(instance, solution, params) !== null) reason = 'regime';
    if (!reason) {
      const built = type.build(instance, params, style);
      reason = quickRejection(built.parts, solution, style, tolerance);
      if (!reason) {
        // part by part, so a draw whose first part has an indistinguishable mistake costs little
        const parts: GeneratedPart[] = [];
        for (const spec of built.parts) {
          const part = { spec, answer: spec.answer(solution), tolerance: tolerance(spec), mistakes: mistakeValues(spec, solution) };
          if (spec.kind !== 'choice' && part.mistakes.some((m) => allWithinTolerance(part.answer, m.value, part.tolerance))) {
            reason = 'mistake-indistinct';
            break;
          }
          parts.push(part);
        }
        if (!reason) question = { instance, solution, built, parts };
      }
    }
    if (!reason) return question!;
    if (stats) stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
  }
  throw new GradsheetError('invalid-input', `${where}: no instance in ${MAX_DRAWS} draws grades fairly with these parameters (answers too sensitive to rounding, or mistakes indistinguishable); widen the grid, shorten T, or loosen the tolerance.`);
}
