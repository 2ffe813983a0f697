/**
 * Drawing one question: a problem type's instance, accepted only when it grades fairly.
 * A draw is rejected (and the same rng draws again, so redraws are deterministic) when
 * - the problem type says it misses the requested regime,
 * - any answer is not finite,
 * - a part's answer computed by hand, with every written-down quantity rounded to the sheet's
 *   digits, falls outside the part's tolerance (the student cannot get it right honestly), or
 * - a catalogued mistake's value falls within tolerance of the right answer (the grader could
 *   not tell them apart).
 * From generator version 2 on, also when
 * - a numeric part (or an entry of one) is 0, is a number the question prints, or is scored full
 *   marks by 0 or by a printed number (a free point; see printed.ts).
 * and, from version 2 on, a bank's {rtol, atol} tolerance is made purely relative (see
 * sizedTolerance: 0 never scores a non-zero answer), a balanced draw first `aim`s at a target the
 * problem type chooses (a regime, a right choice), giving a target up after AIM_PATIENCE draws,
 * and each choice part's options are shuffled once the draw is accepted.
 */
import { allWithinTolerance, type Tolerance } from '../contract/tolerance.js';
import { byHand, EXACT } from '../models/convention.js';
import type { Instance } from '../models/instance.js';
import { solve, type Solution } from '../models/solve.js';
import { GradsheetError } from '../errors.js';
import { mistakeConvention, mistakeSince, type MistakeId } from './mistakes.js';
import { answerEntries, freePoint, printedNumbers } from './printed.js';
import { shuffle, type Rng } from './random.js';
import type { AnswerValue, AnyProblemType, BuiltQuestion, PartSpec, SheetStyle } from './types.js';

export const MAX_DRAWS = 500;
/** draws a balanced draw spends on one target before it aims at another */
export const AIM_PATIENCE = 100;

export type RejectReason = 'regime' | 'non-finite' | 'rounding' | 'mistake-indistinct' | 'free-point';

/** Why draws were rejected, and what to change in the bank, for the error when none is accepted. */
const WHY_REJECTED: Record<RejectReason, string> = {
  regime: 'missed the regime or the target the question asks for (check steps, the weights grid and the thresholds)',
  'non-finite': 'had an answer that is not a finite number (use a smaller weights grid)',
  rounding: 'had an answer too sensitive to the rounding a student does by hand (shorten T or loosen the tolerance)',
  'mistake-indistinct': 'had a catalogued mistake within tolerance of the right answer (widen the grids or tighten the tolerance)',
  'free-point': 'gave a point away: an answer 0, printed in the question, or scored by 0 or a printed number (tighten the tolerance or widen the grids)',
};

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
  /** a choice part's options in the order this variant prints them */
  choices?: readonly string[];
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
export function mistakeValues(spec: PartSpec, sol: Solution, generator = 1): { id: MistakeId; value: AnswerValue }[] {
  const answer = spec.answer(sol);
  // the closed forms' own exact value: a mistake that cannot touch this part reproduces it to
  // the last bit, where the engine's answer may differ in the last bits
  const closedForm = spec.calc && spec.kind !== 'choice' ? spec.calc(EXACT) : null;
  const out: { id: MistakeId; value: AnswerValue }[] = [];
  for (const id of spec.mistakes ?? []) {
    // a mistake catalogued after the variant's generator version was not part of its draw
    if (mistakeSince(id) > generator) continue;
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
function quickRejection(specs: readonly PartSpec[], answers: readonly AnswerValue[], style: SheetStyle, tolerance: (spec: PartSpec, answer: AnswerValue) => Tolerance): RejectReason | null {
  const hand = byHand(style.digits);
  if (!answers.every(isFiniteValue)) return 'non-finite';
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    if (spec.calc && spec.kind !== 'choice' && !allWithinTolerance(answers[i]!, spec.calc(hand), tolerance(spec, answers[i]!))) return 'rounding';
  }
  return null;
}

/**
 * A bank's tolerance sized to the answer (generator version 2 on): an {rtol, atol} tolerance
 * becomes purely relative, {rtol, atol: 0}, so each entry is accepted within rtol of its own
 * magnitude — exactly what the sheet states — and 0, or any number far below the answer, never
 * scores (generator 1's atol 1e-4 accepted −3.249e-4 ± 1.03e-4). An answer with a zero entry is a
 * free point the draw redraws anyway, and keeps the bank's tolerance. Other kinds (sigfigs,
 * log₁₀) are relative already; a problem type's own tolerance (a log₁₀ answer's atol) is not sized.
 */
export function sizedTolerance(tol: Tolerance, answer: AnswerValue): Tolerance {
  if (!('rtol' in tol) || tol.rtol === 0 || tol.atol === 0 || typeof answer === 'string') return tol;
  return answerEntries(answer).every((x) => x !== 0) ? { rtol: tol.rtol, atol: 0 } : tol;
}

/** Draws until an instance grades fairly; deterministic for a given rng state. */
export function drawQuestion(
  type: AnyProblemType, rng: Rng, params: unknown, style: SheetStyle,
  bankTolerance: (spec: PartSpec) => Tolerance, stats?: DrawStats, where = type.id,
): GeneratedQuestion {
  const v2 = style.generator >= 2;
  const tolerance = v2 ? (spec: PartSpec, answer: AnswerValue) => spec.tolerance ?? sizedTolerance(bankTolerance(spec), answer) : (spec: PartSpec) => bankTolerance(spec);
  let target = v2 && type.aim ? type.aim(rng, params, style, []) : undefined;
  // targets that no draw reached in AIM_PATIENCE draws (a regime these params cannot show): the
  // draw aims again among the others, so balance degrades to what the bank can reach
  const missed: unknown[] = [];
  let sinceAim = 0;
  const tally: Partial<Record<RejectReason, number>> = {};
  for (let draw = 1; draw <= MAX_DRAWS; draw++) {
    if (stats) stats.draws++;
    const instance = type.generate(rng, params, style, target);
    let reason: RejectReason | null = null;
    let question: GeneratedQuestion | null = null;
    const solution = solve(instance);
    if (type.accept && type.accept(instance, solution, params, style, target) !== null) reason = 'regime';
    if (!reason) {
      const built = type.build(instance, params, style);
      const answers = built.parts.map((spec) => spec.answer(solution));
      reason = quickRejection(built.parts, answers, style, tolerance);
      if (!reason) {
        // part by part, so a draw whose first part has an indistinguishable mistake costs little
        const parts: GeneratedPart[] = [];
        for (let i = 0; i < built.parts.length; i++) {
          const spec = built.parts[i]!, answer = answers[i]!;
          const part: GeneratedPart = { spec, answer, tolerance: tolerance(spec, answer), mistakes: mistakeValues(spec, solution, style.generator) };
          // (a formula's mistakes are other formulas, told apart whatever the numbers: the type's tests check them)
          if (spec.kind !== 'choice' && spec.kind !== 'expression' && part.mistakes.some((m) => allWithinTolerance(part.answer, m.value, part.tolerance))) {
            reason = 'mistake-indistinct';
            break;
          }
          parts.push(part);
        }
        if (!reason && v2) {
          const printed = printedNumbers(built);
          if (parts.some((p) => freePoint(p.answer, p.tolerance, printed, style.digits) !== null)) reason = 'free-point';
        }
        if (!reason) question = { instance, solution, built, parts };
      }
    }
    if (!reason) {
      for (const part of question!.parts) {
        if (part.spec.kind === 'choice') part.choices = v2 ? shuffle(rng, part.spec.choices ?? []) : part.spec.choices ?? [];
      }
      return question!;
    }
    if (stats) stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
    tally[reason] = (tally[reason] ?? 0) + 1;
    if (target !== undefined && ++sinceAim >= AIM_PATIENCE) {
      missed.push(target);
      target = type.aim!(rng, params, style, missed);
      sinceAim = 0;
      if (target === undefined) break;
    }
  }
  const [worst, times] = (Object.entries(tally) as [RejectReason, number][]).sort((a, b) => b[1] - a[1])[0] ?? ['rounding', 0];
  const draws = Object.values(tally).reduce((a, b) => a + b, 0);
  const aimed = missed.length > 0 ? ` It aimed at ${[...new Set(missed.map((m) => JSON.stringify(m)))].join(', ')} and reached none of them in ${AIM_PATIENCE} draws each.` : '';
  throw new GradsheetError('invalid-input', `${where}: no instance in ${draws} draws grades fairly with these parameters: most (${times}) ${WHY_REJECTED[worst]}.${aimed}`);
}
