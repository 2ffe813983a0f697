/**
 * rnn.truncated — k-step truncated BPTT of ∂L_T/∂U (docs/math.md §6): the truncated gradient keeps
 * the per-step terms of the last k steps, ∂L_T/∂U|_k = Σ_{j=T−k+1}^{T} ∂L_T/∂U^(j).
 *   a. which steps' terms the truncation drops (a choice among step ranges; asked only when the
 *      bank lets T vary, since with one T its answer would be the same on every sheet);
 *   b. ∂L_T/∂U|_k, from the forward states given;
 *   c. the error it makes, the sum of the dropped terms = the full gradient (given) − (b).
 * The bank fixes k and lists the lengths T a variant may have; from generator version 2 on the
 * draw aims at each T equally often, so the dropped range of (a) is balanced. T is read back from
 * the instance (its number of steps), so a key rebuilds every part from its instance and params.
 */
import { z } from 'zod';
import type { Convention } from '../models/convention.js';
import { rounders } from '../models/convention.js';
import { dims, type Mat, type RnnInstance } from '../models/instance.js';
import { givenForward, rnnClosedForm, rnnForward, type RnnSolution } from '../models/rnn.js';
import { arithmeticLine, minus, num, sum } from './arithmetic.js';
import { RNN_NOTATION, asMatrixAnswer, lossSentence, matrixKind, perConvention, rnnGiven, toMatrix } from './common.js';
import { erase } from './erase.js';
import { texMatrix, texVector } from './format.js';
import type { MistakeId } from './mistakes.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { pick } from './random.js';
import { termSolution } from './rnn-bptt.js';
import type { PartSpec, ProblemType } from './types.js';

const stepCount = z.number().int().min(3).max(12);

export const rnnTruncatedParams = z.object({
  ...rnnParamsShape,
  /** T, or the lengths a variant may have (each drawn equally often from generator 2 on) */
  steps: z.union([stepCount, z.array(stepCount).min(1).max(6)]).default([4, 5, 6]),
  /** the truncation length k: the number of per-step terms kept */
  k: z.number().int().min(1).max(11).default(2),
  /** ∂L_T/∂U of the last-step loss, as in docs/math.md §6 */
  loss: z.literal('last', { error: 'truncated BPTT questions use the last-step loss: loss should be "last"' }).default('last'),
}).strict().superRefine((p, ctx) => {
  const short = stepList(p.steps).filter((T) => T <= p.k);
  if (short.length) ctx.addIssue({ code: 'custom', path: ['k'], message: `should be less than every length in steps (k = ${p.k} keeps every term of a sequence of ${short.join(' or ')} steps: nothing is truncated)` });
});
export type RnnTruncatedParams = z.infer<typeof rnnTruncatedParams>;

/** The distinct lengths T a bank allows, in increasing order. */
export function stepList(steps: number | readonly number[]): number[] {
  return [...new Set(typeof steps === 'number' ? [steps] : steps)].sort((a, b) => a - b);
}

/** A range of steps as a choice prints it: "steps 1 to 4", "step 1 only". */
export function stepRange(from: number, to: number): string {
  return from === to ? `step ${from} only` : `steps ${from} to ${to}`;
}

/**
 * The options of the dropped-steps choice, fixed by the bank's params (the same on every sheet):
 * for each T, the right range 1 … T − k and the ranges the catalogued mistakes drop, 1 … T − k − 1
 * (k + 1 terms kept) and k + 1 … T (the first k kept).
 */
export function droppedChoices(p: Pick<RnnTruncatedParams, 'steps' | 'k'>): string[] {
  const Ts = stepList(p.steps);
  const ends = [...new Set(Ts.flatMap((T) => [T - p.k, T - p.k - 1]).filter((m) => m >= 1))].sort((a, b) => a - b);
  return [...ends.map((m) => stepRange(1, m)), ...Ts.map((T) => stepRange(p.k + 1, T))];
}

const TANH_MISTAKES: MistakeId[] = ['tanh-prime-as-tanh', 'tanh-prime-of-preactivation', 'missing-tanh-prime'];

const addAll = (ms: readonly Mat[]): Mat => ms.reduce((acc, m) => acc.map((row, i) => row.map((v, j) => v + m[i]![j]!)));
const subtract = (a: Mat, b: Mat): Mat => a.map((row, i) => row.map((v, j) => v - b[i]![j]!));
/** terms j = from … to (1-based, inclusive) */
const termsOf = (byStep: readonly Mat[], from: number, to: number): Mat[] => byStep.slice(from - 1, to);

export const rnnTruncatedProblem: ProblemType<RnnTruncatedParams, RnnInstance, RnnSolution, number> = {
  id: 'rnn.truncated',
  title: 'Truncated backpropagation through time',
  summary: 'k-step truncated BPTT of ∂L_T/∂U: which steps\' terms it drops, the truncated gradient, and the error it makes.',
  params: rnnTruncatedParams,
  aim: {
    choose: (rng, p, _style, missed) => {
      const left = stepList(p.steps).filter((T) => !missed.includes(T));
      return left.length ? pick(rng, left) : undefined;
    },
    is: (value): value is number => typeof value === 'number' && Number.isInteger(value),
  },
  generate: (rng, p, _style, target) => drawRnn(rng, { ...p, steps: target ?? pick(rng, stepList(p.steps)) }),
  accept: (inst, _sol, _p, _style, target) => (target !== undefined && inst.x.length !== target ? `drew ${inst.x.length} steps` : null),
  build(inst, p, style) {
    const { T, H, D, K } = dims(inst);
    const k = p.k;
    const d = style.digits;
    const kind = matrixKind(H, D);
    const closedForm = perConvention((conv: Convention) => rnnClosedForm(inst, conv, givenForward(inst, conv)));
    const exactFull = rnnClosedForm(inst).dL_dU;
    const truncatedCalc = perConvention((conv: Convention) => rounders(conv).rm(addAll(termsOf(closedForm(conv).dL_dU_by_step, T - k + 1, T))));
    const truncated = (s: RnnSolution) => addAll(termsOf(s.dL_dU_by_step, T - k + 1, T));
    const dropped = (s: RnnSolution) => addAll(termsOf(s.dL_dU_by_step, 1, T - k));
    const L = `L_{${T}}`;
    const parts: PartSpec<RnnSolution>[] = [];

    const askDropped = stepList(p.steps).length > 1;
    if (askDropped) {
      const choices = droppedChoices(p);
      parts.push({
        key: 'a',
        kind: 'choice',
        prompt: `With $k = ${k}$, the per-step terms $\\partial ${L}/\\partial U^{(j)}$ of which steps does the truncated gradient leave out?`,
        choices,
        answer: () => stepRange(1, T - k),
        mistakes: ['truncation-first-k', ...(T - k - 1 >= 1 ? ['truncation-k-plus-one' as const] : [])],
        mistakeValue: {
          'truncation-first-k': () => stepRange(k + 1, T),
          'truncation-k-plus-one': () => (T - k - 1 >= 1 ? stepRange(1, T - k - 1) : null),
        },
        solution: () => [{
          text: `Truncated BPTT keeps the terms of the last $k = ${k}$ steps, the ones nearest the loss: $j = T - k + 1, \\dots, T$, here $j = ${T - k + 1}, \\dots, ${T}$. ` +
            `It leaves out the other $T - k = ${T - k}$: ${stepRange(1, T - k)}.`,
        }],
      });
    }

    const truncKey = askDropped ? 'b' : 'a';
    const termMistakes: MistakeId[] = [...TANH_MISTAKES, 'error-sign', 'w-power-plus-one', H === 1 ? 'w-power-minus-one' : 'w-not-transposed', 'loss-missing-half', ...(K === H ? ['missing-output-weight' as const] : []), 'tanh-prime-wrong-step'];
    parts.push({
      key: truncKey,
      kind,
      prompt: `the $k$-step truncated gradient $\\left.\\dfrac{\\partial ${L}}{\\partial U}\\right|_{k}$ with $k = ${k}$`,
      symbol: `\\partial ${L}/\\partial U|_{k}`,
      answer: (s) => asMatrixAnswer(truncated(s)),
      calc: (conv) => asMatrixAnswer(truncatedCalc(conv)),
      mistakes: ['truncation-first-k', 'truncation-k-plus-one', 'truncation-full-gradient', ...termMistakes],
      mistakeValue: {
        'truncation-first-k': (s) => asMatrixAnswer(addAll(termsOf(s.dL_dU_by_step, 1, k))),
        'truncation-k-plus-one': (s) => asMatrixAnswer(addAll(termsOf(s.dL_dU_by_step, T - k, T))),
        'truncation-full-gradient': (s) => asMatrixAnswer(s.dL_dU),
      },
      solution: (s) => {
        const steps = Array.from({ length: k }, (_, n) => T - k + 1 + n).flatMap((j) => termSolution(inst, s, 'U', j, d));
        const kept = termsOf(s.dL_dU_by_step, T - k + 1, T);
        return [
          { text: `Only the terms of the last $k = ${k}$ steps are back-propagated, $j = ${T - k + 1}, \\dots, ${T}$:` },
          ...steps,
          {
            text: 'Their sum is the truncated gradient:',
            math: `\\left.\\frac{\\partial ${L}}{\\partial U}\\right|_{${k}} = \\sum_{j=${T - k + 1}}^{${T}} \\frac{\\partial ${L}}{\\partial U^{(j)}} = ${kept.length > 1 ? arithmeticLine(sum(...kept.map((m) => num(m))), truncated(s), d) : texMatrix(truncated(s), d)}`,
          },
        ];
      },
    });

    parts.push({
      key: askDropped ? 'c' : 'b',
      kind,
      prompt: `the error the truncation makes: the sum of the per-step terms it leaves out (the full gradient is given)`,
      symbol: `\\varepsilon_{${k}}`,
      answer: (s) => asMatrixAnswer(dropped(s)),
      calc: (conv) => asMatrixAnswer(rounders(conv).rm(subtract(rounders(conv).rm(exactFull), truncatedCalc(conv)))),
      mistakes: ['truncation-error-sign', 'truncation-first-k', 'truncation-k-plus-one'],
      mistakeValue: {
        'truncation-error-sign': (s) => asMatrixAnswer(subtract(truncated(s), s.dL_dU)),
        'truncation-first-k': (s) => asMatrixAnswer(addAll(termsOf(s.dL_dU_by_step, k + 1, T))),
        'truncation-k-plus-one': (s) => (T - k - 1 >= 1 ? asMatrixAnswer(addAll(termsOf(s.dL_dU_by_step, 1, T - k - 1))) : null),
      },
      dependsOn: [truncKey],
      // from the exact full gradient: the draw has checked that the printed one, rounded, gives
      // an answer within tolerance (the by-hand convention of `calc`)
      followThrough: (earlier) => {
        const own = toMatrix(earlier[truncKey], H, D);
        return own ? asMatrixAnswer(subtract(exactFull, own)) : null;
      },
      followThroughMistakes: {
        'truncation-error-sign': (earlier) => {
          const own = toMatrix(earlier[truncKey], H, D);
          return own ? asMatrixAnswer(subtract(own, exactFull)) : null;
        },
      },
      solution: (s) => {
        const droppedTerms = termsOf(s.dL_dU_by_step, 1, T - k);
        const err = dropped(s);
        return [
          { text: 'The error is what the truncation leaves out: the full gradient minus the truncated one,' },
          { math: `\\frac{\\partial ${L}}{\\partial U} - \\left.\\frac{\\partial ${L}}{\\partial U}\\right|_{${k}} = ${arithmeticLine(sum(num(s.dL_dU), minus(num(truncated(s)))), err, d)}` },
          {
            text: `which is the sum of the dropped terms $j = 1, \\dots, ${T - k}$. They carry the long-range factor $\\prod_{j} \\partial s_j/\\partial s_{j-1}$ over at least $k$ steps: truncation cuts off whatever early inputs contribute through it, so it biases the gradient towards short-range dependencies.`,
            math: `\\sum_{j=1}^{${T - k}} \\frac{\\partial ${L}}{\\partial U^{(j)}} = ${droppedTerms.length > 1 ? arithmeticLine(sum(...droppedTerms.map((m) => num(m))), err, d) : texMatrix(err, d)}`,
          },
        ];
      },
    });

    const given = (): string[] => {
      const lines = rnnGiven(inst);
      const fwd = rnnForward(inst);
      const states = fwd.s.map((s, t) => `s_{${t + 1}} = ${texVector(s, d)}`);
      for (let start = 0; start < T; start += 4) lines.push(states.slice(start, start + 4).join(',\\quad '));
      lines.push(`o_{${T}} = ${texVector(fwd.o[T - 1]!, d)}`);
      lines.push(`\\text{full BPTT: } \\frac{\\partial ${L}}{\\partial U} = \\sum_{j=1}^{${T}} \\frac{\\partial ${L}}{\\partial U^{(j)}} = ${texMatrix(exactFull, d)}`);
      return lines;
    };
    return {
      notation: RNN_NOTATION,
      intro: `It runs for $t = 1, \\dots, ${T}$. ${lossSentence(inst)} The forward states and the full BPTT gradient $\\partial ${L}/\\partial U$, the sum of the per-step terms $\\partial ${L}/\\partial U^{(j)}$, are given (rounded). ` +
        `Training uses $k$-step truncated BPTT with $k = ${k}$ instead.`,
      given,
      parts,
    };
  },
};

export const rnnTruncatedType = erase('rnn', rnnTruncatedProblem);
