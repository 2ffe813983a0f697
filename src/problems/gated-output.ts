/**
 * The last two parts of a gated model's forward pass (lstm.forward, gru.forward): the output
 * ŷ_T = V h_T + b_y, from the student's own h_T, and the loss — the last step's ½‖y_T − ŷ_T‖²
 * from their own ŷ_T, or the sum over the steps — with the loss-convention and the missing-½
 * mistakes. The models differ only in how h_T was reached.
 */
import type { Convention } from '../models/convention.js';
import type { Mat, Vec } from '../models/instance.js';
import { addVec, matVec, subVec } from '../models/linalg.js';
import { asVectorAnswer, lossSymbol, partKey, toVector, vectorKind } from './common.js';
import { arithmeticLine, given, num, sum, times } from './arithmetic.js';
import { texNumber } from './format.js';
import type { AnswerValue, PartSpec } from './types.js';

/** ½‖y − ŷ‖² */
export const halfSquaredError = (y: readonly number[], yhat: readonly number[]): number => 0.5 * subVec(y as number[], yhat as number[]).reduce((a, e) => a + e * e, 0);

/** What the two parts read of a solution (the LSTM's and the GRU's both have it). */
interface OutputSolution {
  h: Vec[];
  yhat: Vec[];
  loss: number;
  losses: number[];
}

/**
 * The output and loss parts, keyed after the `before` parts already asked; `hTKey` is the part
 * that asked h_T, `forward` the model's forward pass under a convention (for the by-hand check).
 */
export function outputAndLossParts<S extends OutputSolution>(
  inst: { V: Mat; by: Vec; y: readonly Vec[]; x: unknown[]; loss?: 'last' | 'sum' },
  o: { T: number; H: number; K: number; digits: number; before: number; hTKey: string; forward: (conv: Convention) => { yhat: Vec[]; loss: number } },
): PartSpec<S>[] {
  const { T, H, K, digits: d } = o;
  const n = (x: number) => texNumber(x, d);
  const yKey = partKey(o.before);
  const output: PartSpec<S> = {
    key: yKey,
    kind: vectorKind(K),
    prompt: `the output $\\hat y_{${T}}$`,
    symbol: `\\hat y_{${T}}`,
    answer: (s) => asVectorAnswer(s.yhat[T - 1]!),
    calc: (conv) => asVectorAnswer(o.forward(conv).yhat[T - 1]!),
    dependsOn: [o.hTKey],
    followThrough: (earlier) => {
      const hT = toVector(earlier[o.hTKey], H);
      return hT ? asVectorAnswer(addVec(matVec(inst.V, hT), inst.by)) : null;
    },
    solution: (s) => {
      const hT = s.h[T - 1]!;
      const terms = H === 1 && K === 1
        ? sum(times(given(inst.V[0]![0]!), num(hT[0]!)), given(inst.by[0]!))
        : sum(num(matVec(inst.V, hT)), given(inst.by));
      return [{ math: `\\hat y_{${T}} = V h_{${T}} + b_y = ${arithmeticLine(terms, s.yhat[T - 1]!, d)}` }];
    },
  };
  const summed = inst.loss === 'sum';
  const L = lossSymbol(inst);
  const loss: PartSpec<S> = {
    key: partKey(o.before + 1),
    kind: 'number',
    prompt: `the loss $${L}$`,
    symbol: L,
    answer: (s) => s.loss,
    calc: (conv) => o.forward(conv).loss,
    mistakes: [...(T > 1 ? ['loss-convention' as const] : []), 'loss-missing-half'],
    ...(T > 1 ? {
      mistakeValue: { 'loss-convention': (s: S) => (summed ? s.losses[T - 1]! : s.losses.reduce((a, b) => a + b, 0)) },
    } : {}),
    ...(summed ? {} : {
      dependsOn: [yKey],
      followThrough: (earlier: Readonly<Record<string, AnswerValue | undefined>>) => {
        const yhat = toVector(earlier[yKey], K);
        return yhat ? halfSquaredError(inst.y[T - 1]!, yhat) : null;
      },
      followThroughMistakes: {
        'loss-missing-half': (earlier: Readonly<Record<string, AnswerValue | undefined>>) => {
          const yhat = toVector(earlier[yKey], K);
          return yhat ? 2 * halfSquaredError(inst.y[T - 1]!, yhat) : null;
        },
      },
    }),
    solution: (s) => (summed
      ? [{ text: 'Every step contributes its own loss:', math: s.losses.map((l, t) => `L_{${t + 1}} = ${n(l)}`).join(',\\quad ') },
        { math: `L = \\sum_t L_t = ${arithmeticLine(sum(...s.losses.map((l) => num(l))), s.loss, d)}` }]
      : [{ math: `L_{${T}} = \\tfrac12\\lVert y_{${T}} - \\hat y_{${T}}\\rVert^2 = ${n(s.loss)}` }]),
  };
  return [output, loss];
}
