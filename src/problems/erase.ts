/**
 * The one place where a problem type's types are erased: `erase` wraps a typed ProblemType into
 * the AnyProblemType the registry holds and drawing, grading and rendering call. It checks at run
 * time what the types no longer say — the instance's model, the solution's, an aim's target — and
 * says so in one sentence when they do not match (a key edited by hand, an instance of another
 * model), so no problem type casts its instance or solution.
 */
import { GradsheetError } from '../errors.js';
import type { Instance } from '../models/instance.js';
import type { Solution } from '../models/solve.js';
import type { MistakeId } from './mistakes.js';
import type { AnswerValue, AnyProblemType, BuiltQuestion, PartSpec, ProblemType } from './types.js';

type Model = Instance['model'];
type InstanceOfModel<M extends Model> = Extract<Instance, { model: M }>;
type SolutionOfModel<M extends Model> = Extract<Solution, { model: M }>;

/**
 * The erased form of `type`, whose instances are of model `model`. The exported `…Type` of each
 * problem type module is this (the registry lists those same objects).
 */
export function erase<M extends Model, P, T = never>(model: M, type: ProblemType<P, InstanceOfModel<M>, SolutionOfModel<M>, T>): AnyProblemType {
  const isInstance = (inst: Instance): inst is InstanceOfModel<M> => inst.model === model;
  const isSolution = (sol: Solution): sol is SolutionOfModel<M> => sol.model === model;
  const instanceOf = (inst: Instance): InstanceOfModel<M> => {
    if (isInstance(inst)) return inst;
    throw new GradsheetError('invalid-input', `The question type ${type.id} needs an instance of model "${model}", not "${String(inst.model)}".`);
  };
  const solutionOf = (sol: Solution): SolutionOfModel<M> => {
    if (isSolution(sol)) return sol;
    throw new GradsheetError('internal', `The question type ${type.id} was given the solution of an "${String(sol.model)}" instance, not of an "${model}" one.`);
  };
  // the params a bank or key holds were parsed by this type's own schema (bank.ts): the one
  // assertion erasure needs, since a parse here would cost every draw
  const paramsOf = (params: unknown): P => params as P;
  const aim = type.aim;
  const targetOf = (target: unknown): T | undefined => {
    if (target === undefined) return undefined;
    if (aim?.is(target)) return target;
    throw new GradsheetError('internal', `${type.id}: ${JSON.stringify(target)} is not a target this question aims at.`);
  };
  const part = (spec: PartSpec<SolutionOfModel<M>>): PartSpec => {
    const { answer, solution, mistakeValue } = spec;
    // spread first: the overridden keys keep their places, an absent mistakeValue stays absent
    const erased: PartSpec = { ...spec, mistakeValue: undefined, answer: (sol) => answer(solutionOf(sol)), solution: (sol) => solution(solutionOf(sol)) };
    if (mistakeValue) {
      const values: Partial<Record<MistakeId, (sol: Solution) => AnswerValue | null>> = {};
      // every mistake a part's mistakeValue gives is one it lists (mistakeValues reads no other)
      for (const id of spec.mistakes ?? []) {
        const value = mistakeValue[id];
        if (value) values[id] = (sol) => value(solutionOf(sol));
      }
      erased.mistakeValue = values;
    } else delete erased.mistakeValue;
    return erased;
  };
  const built = (question: BuiltQuestion<SolutionOfModel<M>>): BuiltQuestion => ({ ...question, parts: question.parts.map(part) });
  const { accept } = type;
  return {
    id: type.id,
    title: type.title,
    summary: type.summary,
    ...(type.formulas ? { formulas: true as const } : {}),
    params: type.params,
    generate: (rng, params, style, target) => type.generate(rng, paramsOf(params), style, targetOf(target)),
    ...(aim ? {
      aim: (rng, params, style, missed) => {
        const targets: T[] = [];
        for (const m of missed) {
          const target = targetOf(m);
          if (target !== undefined) targets.push(target);
        }
        return aim.choose(rng, paramsOf(params), style, targets);
      },
    } satisfies Pick<AnyProblemType, 'aim'> : {}),
    ...(accept ? { accept: (instance, sol, params, style, target) => accept(instanceOf(instance), solutionOf(sol), paramsOf(params), style, targetOf(target)) } satisfies Pick<AnyProblemType, 'accept'> : {}),
    build: (instance, params, style) => built(type.build(instanceOf(instance), paramsOf(params), style)),
  };
}
