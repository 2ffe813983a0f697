/**
 * rnn.jacobian — the one-step Jacobians ∂s_j/∂s_{j−1} = diag(1 − s_j²)·W (docs/math.md §2.3) over a range
 * of steps, and their product ∏_{j=k+1}^{t} ∂s_j/∂s_{j−1} = J_t···J_{k+1}, the long-range factor
 * of the notes. The forward states are given, rounded to the sheet's digits.
 * Follow-through: the product from the student's own Jacobians.
 */
import { z } from 'zod';
import type { RnnInstance } from '../models/instance.js';
import { diag, matMul } from '../models/linalg.js';
import { givenForward, jacobianProduct, rnnForward, rnnStateJacobians, shiftPower, type RnnSolution } from '../models/rnn.js';
import { RNN_NOTATION, asMatrixAnswer, matrixKind, partKey, perConvention, rnnGiven, toMatrix } from './common.js';
import { arithmeticLine, cdot, given, minus, num, squared, sum, times } from './arithmetic.js';
import { texVector } from './format.js';
import type { MistakeId } from './mistakes.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType } from './types.js';

export const rnnJacobianParams = z.object({
  ...rnnParamsShape,
  /** the product runs over j = from+1 … to; `to` defaults to T */
  from: z.number().int().min(0).default(1),
  to: z.number().int().min(1).optional(),
}).strict().refine((p) => (p.to ?? p.steps) <= p.steps, { message: 'to should be at most steps (T)', path: ['to'] })
  .refine((p) => p.from < (p.to ?? p.steps), { message: 'from should be less than to (at least one Jacobian)', path: ['from'] });
export type RnnJacobianParams = z.infer<typeof rnnJacobianParams>;

/** |s| below this makes 1 − s² within 2.25% of 1: W's own entries would score within tolerance */
const NEAR_ZERO_STATE = 0.15;

const TANH_MISTAKES: MistakeId[] = ['tanh-prime-as-tanh', 'tanh-prime-of-preactivation', 'missing-tanh-prime'];

export const rnnJacobianProblem: ProblemType<RnnJacobianParams, RnnInstance> = {
  id: 'rnn.jacobian',
  title: 'Jacobians of the RNN state',
  summary: '∂s_j/∂s_{j−1} = tanh\'(θ_j)·W at each step, and their product over a range of steps.',
  params: rnnJacobianParams,
  generate: drawRnn,
  // from generator 2 on: a state entry near 0 makes its row of diag(1 − s_j²)·W the printed row
  // of W within tolerance (tanh' ≈ 1), so copying W, or leaving tanh' out, scores that row
  accept: (inst, solution, params, style) => {
    if (style.generator < 2) return null;
    const k = params.from, t = params.to ?? inst.x.length;
    return solution.s.slice(k, t).some((v) => v.some((x) => Math.abs(x) < NEAR_ZERO_STATE)) ? 'a state near 0' : null;
  },
  build(inst, params, style) {
    const H = inst.W.length;
    const k = params.from, t = params.to ?? inst.x.length;
    const d = style.digits;
        const jacobians = perConvention((conv) => rnnStateJacobians(inst, givenForward(inst, conv), conv));
    const kind = matrixKind(H, H);
    const parts: PartSpec<RnnSolution>[] = [];
    const jKeys: string[] = [];
    for (let j = k + 1; j <= t; j++) {
      const key = partKey(parts.length);
      jKeys.push(key);
      parts.push({
        key,
        kind,
        prompt: `$\\dfrac{\\partial s_{${j}}}{\\partial s_{${j - 1}}}$`,
        symbol: `\\partial s_{${j}}/\\partial s_{${j - 1}}`,
        answer: (s) => asMatrixAnswer(s.ds_ds_prev[j - 1]!),
        calc: (conv) => asMatrixAnswer(jacobians(conv)[j - 1]!),
        mistakes: [...TANH_MISTAKES, 'tanh-prime-wrong-step'],
        solution: (s) => {
          const sj = s.s[j - 1]!;
          return H === 1
            ? [{ math: `\\frac{\\partial s_{${j}}}{\\partial s_{${j - 1}}} = \\tanh'(\\theta_{${j}})\\,W = (1 - s_{${j}}^2)\\,W = ${arithmeticLine(times(sum(given(1), minus(squared(num(sj[0]!)))), given(inst.W[0]![0]!)), s.ds_ds_prev[j - 1]!, d)}` }]
            : [{ math: `\\frac{\\partial s_{${j}}}{\\partial s_{${j - 1}}} = \\mathrm{diag}(1 - s_{${j}}^2)\\,W,\\quad 1 - s_{${j}}^2 = ${texVector(sj.map((v) => 1 - v * v), d)}` },
               { math: `= ${arithmeticLine(times(num(diag(sj.map((v) => 1 - v * v))), given(inst.W)), s.ds_ds_prev[j - 1]!, d)}` }];
        },
      });
    }
    if (t - k >= 2) {
      const productMistakes: MistakeId[] = [...TANH_MISTAKES, 'w-power-plus-one', ...(H === 1 ? ['w-power-minus-one' as const] : [])];
      productMistakes.push('tanh-prime-wrong-step', ...(H > 1 ? ['jacobian-product-reversed' as const] : []));
      parts.push({
        key: partKey(parts.length),
        kind,
        prompt: `$\\displaystyle\\prod_{j=${k + 1}}^{${t}} \\frac{\\partial s_j}{\\partial s_{j-1}}${H > 1 ? ` = \\frac{\\partial s_{${t}}}{\\partial s_{${t - 1}}} \\cdots \\frac{\\partial s_{${k + 1}}}{\\partial s_{${k}}}` : ''}$`,
        symbol: `\\prod_{j=${k + 1}}^{${t}} \\partial s_j/\\partial s_{j-1}`,
        answer: (s) => asMatrixAnswer(jacobianProduct(s.ds_ds_prev, k, t)),
        calc: (conv) => asMatrixAnswer(shiftPower(jacobianProduct(jacobians(conv), k, t, conv), inst.W, conv)),
        mistakes: productMistakes,
        dependsOn: jKeys,
        followThrough: (earlier) => {
          const js = jKeys.map((key) => toMatrix(earlier[key], H, H));
          if (js.some((m) => m === null)) return null;
          // J_t ··· J_{k+1}: later steps multiply on the left
          return asMatrixAnswer((js as number[][][]).reduce((acc, m) => matMul(m, acc)));
        },
        ...(H > 1 ? {
          followThroughMistakes: {
            // the student's own Jacobians multiplied earliest step on the left, J_{k+1} ··· J_t
            'jacobian-product-reversed': (earlier) => {
              const js = jKeys.map((key) => toMatrix(earlier[key], H, H));
              return js.some((m) => m === null) ? null : asMatrixAnswer((js as number[][][]).reduce((acc, m) => matMul(acc, m)));
            },
          },
        } : {}),
        solution: (s) => {
          // J_t ··· J_{k+1}: later steps on the left (in the scalar case the order does not matter)
          const js = s.ds_ds_prev.slice(k, t).reverse().map((m) => num(m));
          const product = jacobianProduct(s.ds_ds_prev, k, t);
          return [{ text: H === 1 ? 'Multiply the factors:' : 'Multiply the Jacobians, later steps on the left:', math: arithmeticLine(H === 1 ? cdot(...js) : times(...js), product, d) }];
        },
      });
    }
    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => {
      const fwd = rnnForward(inst);
      const states = fwd.s.map((s, j) => `s_{${j + 1}} = ${texVector(s, d)}`);
      const given = rnnGiven(inst);
      for (let start = 0; start < states.length; start += 4) given.push(states.slice(start, start + 4).join(',\\quad '));
      return given;
    };
    return {
      notation: RNN_NOTATION,
      intro: `Its forward pass gives the states below. Compute the Jacobians $\\partial s_j / \\partial s_{j-1}$ for $j = ${k + 1}, \\dots, ${t}$${t - k >= 2 ? ' and their product, the factor that carries a gradient from step ' + t + ' back to step ' + k : ''}.`,
      given: givenLines,
      parts,
    };
  },
};

export const rnnJacobianType = erase('rnn', rnnJacobianProblem);
