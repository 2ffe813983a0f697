/**
 * A one-question answer key for an instance chosen by hand, built the way the generator builds
 * an accepted draw (answers, tolerances sized under generator 2, catalogued mistakes and their
 * values) but without redrawing: tests pick instances whose numbers they work out by hand.
 */
import { Grader } from '../../src/grade/grade.js';
import { allWithinTolerance, DEFAULT_TOLERANCE } from '../../src/contract/tolerance.js';
import type { Instance } from '../../src/models/instance.js';
import { solve } from '../../src/models/solve.js';
import { mistakeValues, sizedTolerance, type GeneratedPart } from '../../src/problems/generate.js';
import { keyVariant, type KeyPart, type KeyVariant } from '../../src/problems/key.js';
import type { MistakeId } from '../../src/problems/mistakes.js';
import type { AnyProblemType } from '../../src/problems/types.js';

export interface FixedKey {
  variant: KeyVariant;
  grader: Grader;
  parts: GeneratedPart[];
  /** the key part by its letter */
  part: (key: string) => KeyPart;
  /** a catalogued mistake's value on a part, as the key lists it (undefined when not listed) */
  mistake: (key: string, id: MistakeId) => unknown;
  /** grades answers given by part letter */
  grade: (answers: Record<string, unknown>) => ReturnType<Grader['grade']>;
}

export function fixedKey(type: AnyProblemType, rawParams: Record<string, unknown>, instance: Instance, generator: number, options: { reveal?: boolean } = {}): FixedKey {
  const style = { digits: 4, generator };
  const params = type.params.parse(rawParams);
  const built = type.build(instance, params, style);
  const solution = solve(instance);
  const parts: GeneratedPart[] = built.parts.map((spec) => {
    const answer = spec.answer(solution);
    const bankTolerance = spec.tolerance ?? DEFAULT_TOLERANCE;
    return { spec, answer, tolerance: generator >= 2 ? sizedTolerance(bankTolerance, answer) : bankTolerance, mistakes: mistakeValues(spec, solution, generator), ...(spec.kind === 'choice' ? { choices: spec.choices } : {}) };
  });
  // as the generator requires of a draw: every listed mistake tells apart from the answer
  for (const p of parts) {
    const near = p.mistakes.find((m) => allWithinTolerance(p.answer, m.value, p.tolerance));
    if (near) throw new Error(`part ${p.spec.key}: the mistake ${near.id} is within tolerance of the answer on this instance; choose another`);
  }
  const variant = keyVariant({
    code: 'TEST-0001',
    student: 'tester',
    name: 'Tester',
    questions: [{
      bank: { id: 'q1', type, title: type.title, params, points: 1, partPoints: {}, tolerance: DEFAULT_TOLERANCE },
      generated: { instance, solution, built, parts },
    }],
  });
  const grader = Grader.fromKey({ digits: 4, generator, variants: [variant] }, options);
  const part = (key: string) => variant.questions[0]!.parts.find((p) => p.id === `q1.${key}`)!;
  return {
    variant,
    grader,
    parts,
    part,
    mistake: (key, id) => part(key).mistakes?.find((m) => m.id === id)?.value,
    grade: (answers) => grader.grade({
      format: 'gradsheet.submission/1', worksheet: variant.code, student: variant.student,
      answers: Object.fromEntries(Object.entries(answers).map(([k, v]) => [`q1.${k}`, v])),
    }),
  };
}
