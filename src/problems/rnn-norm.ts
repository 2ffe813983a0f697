/**
 * rnn.norm — the long-range question of rnn.long-range for a vector state (H = 2 or 3), where the
 * factor ∏_{j=2}^{T} ∂s_j/∂s_{j−1} = J_T···J_2, J_j = diag(1 − s_j²)·W, is a matrix and its size
 * is its spectral norm ‖·‖₂, the largest singular value (docs/math.md §2.3):
 *   a. log₁₀ ‖∏_{j=2}^{T} ∂s_j/∂s_{j−1}‖₂
 *   b. vanishing / exploding / neither, decided by that norm against the thresholds in the prompt
 *      (only when the bank draws the regime per variant, `regime: "any"`, the default).
 * Regime control as in rnn.long-range: `vanishing` draws freely; `exploding` and `neither` take
 * U = I, b = 0 and choose each input x_t on the data grid near −W s_{t−1}, so θ_t stays near 0,
 * tanh' near 1, and W alone decides; the draw is accepted only if its regime is clearly met.
 */
import { z } from 'zod';
import type { RnnInstance } from '../models/instance.js';
import { identity, matMul, spectralNorm, transpose } from '../models/linalg.js';
import { givenForward, jacobianProduct, rnnForward, rnnStateJacobians, shiftPower, type RnnSolution } from '../models/rnn.js';
import { EXACT, type Convention } from '../models/convention.js';
import { perConvention, texGiven } from './common.js';
import { texMatrix, texNumber, texVector } from './format.js';
import { arithmeticLine, num, times } from './arithmetic.js';
import type { MistakeId } from './mistakes.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { nearestOnGrid, pick, type Rng } from './random.js';
import { REGIMES, classify } from './rnn-long-range.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SheetStyle } from './types.js';

type Regime = (typeof REGIMES)[number];

const { inputs: _inputs, outputs: _outputs, loss: _loss, ...shape } = rnnParamsShape;

export const rnnNormParams = z.object({
  ...shape,
  /** H: a vector state (the scalar case is rnn.long-range) */
  hidden: z.number().int().min(2, { error: 'norm questions use a vector state: hidden should be 2 or 3' }).max(3).default(2),
  steps: z.number().int().min(4).max(30).default(12),
  weights: rnnParamsShape.weights.default({ min: -2, max: 2, step: 0.1 }),
  /** the behaviour the drawn instance must show; 'any' draws it per variant, each equally often */
  regime: z.enum([...REGIMES, 'any']).default('any'),
  /** log₁₀ thresholds on the norm: below `vanish` is vanishing, above `explode` is exploding */
  thresholds: z.object({ vanish: z.number().max(0).default(-2), explode: z.number().min(0).default(2) }).strict().default({ vanish: -2, explode: 2 }),
}).strict();
export type RnnNormParams = z.infer<typeof rnnNormParams>;

/** log₁₀ ‖J_T···J_2‖₂ */
export function log10Norm(jacobians: readonly number[][][], conv: Convention = EXACT, W?: number[][]): number {
  const T = jacobians.length;
  const product = jacobianProduct(jacobians, 1, T, conv);
  return Math.log10(spectralNorm(W ? shiftPower(product, W, conv) : product));
}

/** The regime a draw aims at: the bank's, or with "any" the one the aim drew (generator 2 on); 'any' accepts whatever comes. */
function aimedRegime(p: RnnNormParams, target: Regime | undefined): Regime | 'any' {
  return p.regime !== 'any' ? p.regime : target ?? 'any';
}

function drawForRegime(rng: Rng, p: RnnNormParams, _style: SheetStyle, target?: Regime): RnnInstance {
  const H = p.hidden;
  const inst = drawRnn(rng, { ...p, inputs: H, outputs: 1, loss: 'last' });
  const regime = aimedRegime(p, target);
  if (regime === 'exploding' || regime === 'neither') {
    // U = I and b = 0: x_t ≈ −W s_{t−1} on the grid keeps θ_t = x_t + W s_{t−1} near 0
    inst.U = identity(H);
    inst.b = new Array<number>(H).fill(0);
    let s = inst.s0;
    inst.x = inst.x.map(() => {
      const x = inst.W.map((row) => {
        const near = nearestOnGrid(-row.reduce((acc, w, k) => acc + w * s[k]!, 0) + (rng() - 0.5) * p.data.step, p.data);
        // never 0: from s_0 = 0, zero inputs would keep every state at 0
        return near === 0 ? (rng() < 0.5 ? -p.data.step : p.data.step) : near;
      });
      s = inst.W.map((row, i) => Math.tanh(x[i]! + row.reduce((acc, w, k) => acc + w * s[k]!, 0)));
      return x;
    });
  }
  return inst;
}

export const rnnNormProblem: ProblemType<RnnNormParams, RnnInstance, RnnSolution, Regime> = {
  id: 'rnn.norm',
  title: 'How far back a gradient reaches, with a vector state',
  summary: 'The long-range factor for a vector state: log₁₀ of the spectral norm of ∏ ∂s_j/∂s_{j−1}, and vanishing / exploding / neither by that norm.',
  params: rnnNormParams,
  generate: drawForRegime,
  aim: {
    choose: (rng, p, _style, missed) => {
      if (p.regime !== 'any') return p.regime;
      const left = REGIMES.filter((r) => !missed.includes(r));
      return left.length ? pick(rng, left) : undefined;
    },
    is: (value): value is Regime => REGIMES.some((r) => r === value),
  },
  accept(_inst, solution, p, _style, target) {
    const log = log10Norm(solution.ds_ds_prev);
    if (!Number.isFinite(log)) return 'degenerate';
    const got = classify(log, p.thresholds);
    const aimed = aimedRegime(p, target);
    if (aimed !== 'any' && got !== aimed) return `drew ${got}`;
    // not borderline: a student's rounding must not flip the classification
    const margin = Math.min(Math.abs(log - p.thresholds.vanish), Math.abs(log - p.thresholds.explode));
    return margin < 0.5 ? 'borderline' : null;
  },
  build(inst, p, style) {
    const T = inst.x.length, d = style.digits;
    const jac = perConvention((conv: Convention) => rnnStateJacobians(inst, givenForward(inst, conv), conv));
    const { vanish, explode } = p.thresholds;
    const regimeHere = classify(log10Norm(jac(EXACT)), p.thresholds);
    // steered draws keep tanh' ≈ 1 and every J_j ≈ W: leaving tanh' out, or multiplying in the
    // reverse order, changes the norm too little for the grader to name it
    const steered = regimeHere !== 'vanishing';
    const mistakes: MistakeId[] = steered
      ? ['w-power-plus-one']
      : ['missing-tanh-prime', 'tanh-prime-as-tanh', 'tanh-prime-wrong-step', 'jacobian-product-reversed', 'w-power-plus-one'];
    const givenLines = (): string[] => {
      const fwd = rnnForward(inst);
      const lines = [`W = ${texGiven(inst.W)}`];
      const states = fwd.s.map((s, j) => `s_{${j + 1}} = ${texVector(s, d)}`);
      for (let start = 0; start < T; start += 4) lines.push(states.slice(start, start + 4).join(',\\quad '));
      return lines;
    };
    const prod = `\\prod_{j=2}^{${T}} \\dfrac{\\partial s_j}{\\partial s_{j-1}}`;
    const parts: PartSpec<RnnSolution>[] = [{
      key: 'a',
      kind: 'number',
      prompt: `$\\log_{10} \\Big\\lVert ${prod} \\Big\\rVert_2$, the spectral norm (largest singular value) of the product`,
      symbol: `\\log_{10}\\lVert \\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1} \\rVert_2`,
      answer: (s) => log10Norm(s.ds_ds_prev),
      calc: (conv) => log10Norm(jac(conv), conv, inst.W),
      tolerance: { rtol: 0.01, atol: 0.02 },
      mistakes,
      solution: (s) => {
        const product = jacobianProduct(s.ds_ds_prev, 1, T);
        const norm = spectralNorm(product);
        const ptp = matMul(transpose(product), product);
        return [
          { text: `Multiply the ${T - 1} Jacobians $\\partial s_j/\\partial s_{j-1} = \\mathrm{diag}(1 - s_j^2)\\,W$, later steps on the left:`, math: `P = J_{${T}} \\cdots J_2 = ${texMatrix(product, d)}` },
          { text: 'Its spectral norm is the square root of the largest eigenvalue of $P^\\top P$:', math: `P^\\top P = ${arithmeticLine(times(num(transpose(product)), num(product)), ptp, d)}` },
          { math: `\\lVert P \\rVert_2 = \\sqrt{\\lambda_{\\max}(P^\\top P)} = ${texNumber(norm, d)},\\qquad \\log_{10}\\lVert P \\rVert_2 = ${texNumber(Math.log10(norm), d)}` },
        ];
      },
    }];
    if (p.regime === 'any') {
      parts.push({
        key: 'b',
        kind: 'choice',
        prompt: `Is the gradient from step 1 vanishing ($\\log_{10}\\lVert\\prod\\rVert_2 < ${vanish}$), exploding ($\\log_{10}\\lVert\\prod\\rVert_2 > ${explode}$), or neither?`,
        choices: REGIMES,
        answer: (s) => classify(log10Norm(s.ds_ds_prev), p.thresholds),
        dependsOn: ['a'],
        followThrough: (e) => (typeof e.a === 'number' && Number.isFinite(e.a) ? classify(e.a, p.thresholds) : null),
        solution: (s) => {
          const log = log10Norm(s.ds_ds_prev);
          const regime = classify(log, p.thresholds);
          const mean = 10 ** (log / (T - 1));
          const why = regime === 'vanishing'
            ? `Below 1, the product shrinks geometrically in every direction: $\\lVert \\partial s_{${T}}/\\partial s_1 \\rVert_2$ bounds how much of any gradient reaches step 1, so the information from step 1 cannot reach step ${T}.`
            : regime === 'exploding'
              ? 'Above 1, compounded ' + (T - 1) + ' times: some direction of the gradient is multiplied up and explodes.'
              : 'Close enough to 1 that over ' + (T - 1) + ' steps the early terms keep a comparable weight.';
          return [{ text: `$\\log_{10}\\lVert\\prod\\rVert_2 = ${texNumber(log, d)}$: ${regime}. Per step the norm changes by a factor of $${texNumber(mean, d)}$ on average (geometric mean). ${why}` }];
        },
      });
    }
    return {
      intro: `A recurrent network with a ${p.hidden}-dimensional state runs for $T = ${T}$ steps: $s_t = \\tanh(U x_t + W s_{t-1} + b)$. ` +
        `A gradient reaches step 1 from step ${T} through the matrix $\\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1} = \\partial s_{${T}}/\\partial s_1$, with $\\partial s_j/\\partial s_{j-1} = \\mathrm{diag}(1 - s_j^2)\\,W$; its size is its spectral norm $\\lVert A \\rVert_2 = \\max_{\\lVert v \\rVert = 1} \\lVert A v \\rVert$, the largest singular value. $W$ and the forward states are given.`,
      given: givenLines,
      parts,
    };
  },
};

export const rnnNormType = erase('rnn', rnnNormProblem);
