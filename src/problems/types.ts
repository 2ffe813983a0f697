/**
 * The contract every problem type keeps (STYLE.md: PrairieLearn's `params`/`correct_answers`):
 * `generate(rng, params) → instance`, then `build(instance, params) → {intro, parts}`, where each
 * part carries its exact answer, how a student would compute it (`calc`, under a Convention:
 * rounded, or with a catalogued mistake), its prompt and worked-solution steps. Templates and the
 * grader read only what a problem type returns.
 */
import type { z } from 'zod';
import type { Tolerance } from '../contract/tolerance.js';
import type { FormulaSymbol } from '../contract/formula.js';
import type { Convention } from '../models/convention.js';
import type { Instance, Mat, Vec } from '../models/instance.js';
import type { Solution, SolutionOf } from '../models/solve.js';
import type { MistakeId } from './mistakes.js';
import type { Rng } from './random.js';

export type AnswerValue = number | Vec | Mat | string;
/** `expression`: a formula in the symbols the part names (contract/formula.ts), its answer the formula's text */
export type PartKind = 'number' | 'vector' | 'matrix' | 'choice' | 'expression';

/**
 * Text with inline math: `$…$` is TeX, rendered by KaTeX; everything else is plain text and is
 * escaped. A `\$` is a literal dollar sign.
 */
export type RichText = string;

/** One line of a worked solution: a sentence, a displayed equation, or both. */
export interface SolutionStep {
  text?: RichText;
  math?: string;
}

/**
 * What a part is, before the bank gives it points and a tolerance. `S` is the solution its
 * answers are read from: a problem type's own (RnnSolution, …); `Solution` once erased.
 */
export interface PartSpec<S = Solution> {
  /** the part's letter within its question: "a", "b", … */
  key: string;
  kind: PartKind;
  /** what the student is asked, e.g. "$s_2$" or "Compute $\\partial L_3/\\partial U^{(1)}$." */
  prompt: RichText;
  /** the symbol shown next to the answer box, e.g. "s_2" (TeX) */
  symbol?: string;
  /** the exact answer, read from `solve`'s output */
  answer: (sol: S) => AnswerValue;
  /**
   * The same quantity by the closed forms under a Convention: exact, rounded as by hand, or
   * with a catalogued mistake. Must agree with `answer` under the exact convention.
   */
  calc?: (conv: Convention) => AnswerValue;
  /** catalogued mistakes that make sense for this part; values come from `calc` or `mistakeValue` */
  mistakes?: readonly MistakeId[];
  /** mistakes whose value is not a Convention change (e.g. only the k = T term) */
  mistakeValue?: Partial<Record<MistakeId, (sol: S) => AnswerValue | null>>;
  /** choice parts: the options, in order */
  choices?: readonly string[];
  /** expression parts: the symbols the formula may use (its answer and mistakes are formulas in them) */
  symbols?: readonly FormulaSymbol[];
  /** a tolerance this part needs whatever the bank says (e.g. log₁₀ magnitudes) */
  tolerance?: Tolerance;
  /** earlier parts of this question this one is computed from (the follow-through graph) */
  dependsOn?: readonly string[];
  /**
   * The value recomputed from the student's own earlier answers (keyed by part key), for
   * follow-through credit; null when they are missing or unusable.
   */
  followThrough?: (earlier: Readonly<Record<string, AnswerValue | undefined>>) => AnswerValue | null;
  /**
   * A catalogued mistake made on this part on top of the student's own earlier answers (keyed as
   * for `followThrough`): its value, or null when they are missing or unusable. The grader names
   * it whatever the earlier answers were (a total that is only the student's own k = T term).
   */
  followThroughMistakes?: Partial<Record<MistakeId, (earlier: Readonly<Record<string, AnswerValue | undefined>>) => AnswerValue | null>>;
  /**
   * The catalogued mistake an answer makes when it departs from `followThrough`'s value, every
   * earlier answer being usable (a total that is not the sum of the student's own terms).
   */
  departsMistake?: MistakeId;
  /** worked-solution steps, given the exact solution and the sheet's number formatting */
  solution: (sol: S) => SolutionStep[];
}

/**
 * A definition several questions share (the LSTM's equations, the RNN's): a sheet that asks more
 * than one question on it prints it once, in a Notation block, and the questions refer to it.
 */
export interface Notation {
  id: string;
  /** what it defines, as a reference to it reads: "the LSTM" */
  name: string;
  text: RichText;
}

export interface BuiltQuestion<S = Solution> {
  /** the definition the statement builds on, printed before it (or once for the sheet) */
  notation?: Notation;
  /** the question's statement, above its parts (after the notation's text, when there is one) */
  intro: RichText;
  /**
   * the data the student is given, as TeX lines (parameters, inputs, targets, states); a function,
   * since only rendering needs it and most draws are never rendered
   */
  given: () => string[];
  parts: PartSpec<S>[];
}

/** Formatting the sheet uses, passed to build so prompts and solutions print what the sheet asks. */
export interface SheetStyle {
  /** significant figures answers are asked for and printed at */
  digits: number;
  /**
   * The generator version the variant is drawn (and rebuilt) with: a bank's `generator`, a key's
   * `generator`. Problem types keep every older version's draws and parts exactly as they were,
   * so worksheets already printed keep grading (see GENERATOR_VERSIONS in variants.ts).
   */
  generator: number;
}

/**
 * What a balanced draw aims at (generator 2 on): `choose` picks a target `T` once per question,
 * before any instance is drawn, and the draw is redrawn until `accept` agrees. It is asked again,
 * with the targets no draw reached, when one is not reached in AIM_PATIENCE draws; undefined when
 * every target has been missed. `is` recognises a target where the types are erased (erase.ts).
 */
export interface Aim<P, T> {
  choose: (rng: Rng, params: P, style: SheetStyle, missed: readonly T[]) => T | undefined;
  is: (value: unknown) => value is T;
}

/**
 * A problem type, typed by its params `P`, its instance `I`, the solution `S` its parts read
 * (by default the solver's output for `I`) and the target `T` of its aim, if it has one. The
 * registry holds it erased (`AnyProblemType`, made by `erase` in erase.ts).
 */
export interface ProblemType<P, I extends Instance, S = SolutionOf<I>, T = never> {
  id: string;
  title: string;
  /** one line for `gradsheet banks` and the README */
  summary: string;
  /** it asks formulas (expression parts): whatever grades or prints it loads the formula parser first */
  formulas?: true;
  /** the bank's params for this type, with defaults; parse errors are reported with their path */
  params: z.ZodType<P>;
  /**
   * Draws an instance; called again (with the same rng, moving on) when the draw is rejected.
   * `target` is what `aim` chose for this question (drawn once, before the first instance).
   */
  generate: (rng: Rng, params: P, style: SheetStyle, target?: T) => I;
  aim?: Aim<P, T>;
  /** a rejection reason for a draw that misses the requested regime (or the aim), or null to accept */
  accept?: (instance: I, sol: S, params: P, style: SheetStyle, target?: T) => string | null;
  build: (instance: I, params: P, style: SheetStyle) => BuiltQuestion<S>;
}

/**
 * A problem type with its types erased, as the registry holds it and its callers (drawing,
 * grading, rendering) use it: any instance, any solution, params as the type's own schema parsed
 * them. Made from a typed one by `erase` (erase.ts), which checks the instance's model.
 */
export interface AnyProblemType {
  id: string;
  title: string;
  summary: string;
  formulas?: true;
  params: z.ZodType<unknown>;
  generate: (rng: Rng, params: unknown, style: SheetStyle, target?: unknown) => Instance;
  /** see `Aim.choose` */
  aim?: (rng: Rng, params: unknown, style: SheetStyle, missed: readonly unknown[]) => unknown;
  accept?: (instance: Instance, sol: Solution, params: unknown, style: SheetStyle, target?: unknown) => string | null;
  build: (instance: Instance, params: unknown, style: SheetStyle) => BuiltQuestion;
}

/** The whole statement of a question as one text: its notation's definition, then its intro. */
export function statement(built: Pick<BuiltQuestion, 'notation' | 'intro'>): RichText {
  return built.notation ? `${built.notation.text} ${built.intro}` : built.intro;
}
