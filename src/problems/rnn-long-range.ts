/**
 * rnn.long-range — the notes' t = 20 case (scalar RNN): how much of the k = 1 term of ∂L_T/∂U
 * survives the trip back through T − 1 Jacobians ∂s_j/∂s_{j−1} = (1 − s_j²)W.
 *   a. log₁₀|∏_{j=2}^{T} ∂s_j/∂s_{j−1}| = Σ_j log₁₀(1 − s_j²) + (T − 1)·log₁₀|W|
 *   b. the ratio |∂L_T/∂U^(1)| / |∂L_T/∂U^(T)| (graded on a log₁₀ scale)
 *   c. vanishing / exploding / neither, by the thresholds stated in the prompt.
 * Regime control: `vanishing` draws freely (|W|·tanh' < 1 does the rest); `exploding` and
 * `neither` choose each input x_t, on the data grid, to keep θ_t near 0 — so tanh'(θ_t) stays
 * near 1 and |W| alone decides — then the draw is accepted only if its regime is clearly met.
 * From generator version 2 on, a bank that fixes the regime gets no choice part (its answer would
 * be the same on every sheet), and `regime: "any"` draws the regime per variant, each of the
 * three equally often, so (c) is a real question with a balanced answer.
 */
import { z } from 'zod';
import type { RnnInstance } from '../models/instance.js';
import { givenForward, rnnClosedForm, rnnForward, rnnStateJacobians, type RnnSolution } from '../models/rnn.js';
import type { Convention } from '../models/convention.js';
import { perConvention, rnnGiven } from './common.js';
import { texNumber } from './format.js';
import { arithmeticLine, cdot, given, num, sum } from './arithmetic.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { gridValue, nearestOnGrid, pick, type Rng } from './random.js';
import { EXACT } from '../models/convention.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SheetStyle } from './types.js';

export const REGIMES = ['vanishing', 'exploding', 'neither'] as const;
type Regime = (typeof REGIMES)[number];

export const rnnLongRangeParams = z.object({
  ...rnnParamsShape,
  steps: z.number().int().min(5).max(50).default(20),
  hidden: z.literal(1, { error: 'long-range questions use the scalar RNN: hidden should be 1' }).default(1),
  inputs: z.literal(1, { error: 'long-range questions use the scalar RNN: inputs should be 1' }).default(1),
  outputs: z.literal(1, { error: 'long-range questions use the scalar RNN: outputs should be 1' }).default(1),
  weights: rnnParamsShape.weights.default({ min: -2.5, max: 2.5, step: 0.1 }),
  /** the ratio and the choice are about the last-step loss of the notes */
  loss: z.literal('last', { error: 'long-range questions use the last-step loss: loss should be "last"' }).default('last'),
  /** the behaviour the drawn instance must show; 'any' accepts whatever comes */
  regime: z.enum([...REGIMES, 'any']).default('vanishing'),
  /** log₁₀ thresholds: below `vanish` is vanishing, above `explode` is exploding */
  thresholds: z.object({ vanish: z.number().max(0).default(-2), explode: z.number().min(0).default(2) }).strict().default({ vanish: -2, explode: 2 }),
}).strict();
export type RnnLongRangeParams = z.infer<typeof rnnLongRangeParams>;

/** log₁₀|∏_{j=2}^{T} J_j| as a sum of logs (a product of 49 factors can underflow). */
function log10Factor(jacobians: readonly number[][][], wShift = 0, W = 1): number {
  return jacobians.slice(1).reduce((acc, j) => acc + Math.log10(Math.abs(j[0]![0]!)), 0) + wShift * Math.log10(Math.abs(W));
}

export function classify(log10: number, t: { vanish: number; explode: number }): Regime {
  return log10 < t.vanish ? 'vanishing' : log10 > t.explode ? 'exploding' : 'neither';
}

/** |W| ranges that make each regime likely (the accept check has the last word). */
const W_RANGE: Record<Regime, [number, number]> = { vanishing: [0.1, 0.9], exploding: [1.5, 2.5], neither: [1.1, 1.3] };

/** The regime a draw aims at: the bank's, or under generator 2 with "any", the one drawn for the variant. */
function aimedRegime(p: RnnLongRangeParams, style: SheetStyle, target: Regime | undefined): Regime | 'any' {
  if (!(style.generator >= 2 && p.regime === 'any')) return p.regime;
  // drawQuestion always passes the aim's target here
  if (target === undefined) throw new Error('rnn.long-range: a generator-2 draw with regime "any" needs the regime it aims at');
  return target;
}

function drawForRegime(rng: Rng, p: RnnLongRangeParams, style: SheetStyle, target?: Regime): RnnInstance {
  const inst = drawRnn(rng, p);
  delete inst.loss;
  const aimed = aimedRegime(p, style, target);
  const regime: Regime = aimed === 'any' ? 'vanishing' : aimed;
  const [lo, hi] = W_RANGE[regime];
  const inRange = { min: Math.max(lo, 0), max: Math.min(hi, Math.max(Math.abs(p.weights.min), Math.abs(p.weights.max))), step: p.weights.step };
  if (aimed !== 'any' && inRange.max >= inRange.min) {
    const w = gridValue(rng, inRange, true);
    inst.W = [[rng() < 0.5 ? -w : w]];
  }
  if (regime !== 'vanishing') {
    // steer each θ_t toward 0: x_t ≈ −(W s_{t−1} + b)/U, on the grid; with b = 0 and |U| ≥ 0.5
    // the inputs needed stay small
    inst.b = [0];
    if (Math.abs(inst.U[0]![0]!) < 0.5) inst.U = [[inst.U[0]![0]! < 0 ? -1 : 1]];
    const U = inst.U[0]![0]!, W = inst.W[0]![0]!, b = 0;
    let s = inst.s0[0]!;
    inst.x = inst.x.map(() => {
      const near = nearestOnGrid(-(W * s + b) / U + (rng() - 0.5) * p.data.step, p.data);
      const x = near === 0 ? (rng() < 0.5 ? -p.data.step : p.data.step) : near;
      s = Math.tanh(U * x + W * s + b);
      return [x];
    });
  }
  return inst;
}

export const rnnLongRangeProblem: ProblemType<RnnLongRangeParams, RnnInstance, RnnSolution, Regime> = {
  id: 'rnn.long-range',
  // the heading a bank's question gets when it names none: the topic, never a regime (an answer)
  title: 'How far back a gradient reaches',
  summary: 'The notes\' t = 20 case: log₁₀ of the long-range factor, the k = 1 : k = T ratio, and vanishing / exploding / neither.',
  params: rnnLongRangeParams,
  generate: drawForRegime,
  aim: {
    choose: (rng, p, _style, missed) => {
      if (p.regime !== 'any') return p.regime; // the bank's own regime: its 500 draws, as under generator 1
      const left = REGIMES.filter((r) => !missed.includes(r));
      return left.length ? pick(rng, left) : undefined;
    },
    is: (value): value is Regime => REGIMES.some((r) => r === value),
  },
  accept(inst, solution, p, style, target) {
    const log = log10Factor(solution.ds_ds_prev);
    if (!Number.isFinite(log)) return 'degenerate';
    const got = classify(log, p.thresholds);
    const aimed = aimedRegime(p, style, target);
    if (aimed !== 'any' && got !== aimed) return `drew ${got}`;
    // not borderline: a student's rounding must not flip the classification
    const margin = Math.min(Math.abs(log - p.thresholds.vanish), Math.abs(log - p.thresholds.explode));
    if (margin < 0.5) return 'borderline';
    const x = inst.x;
    return x[0]![0] === 0 || x[x.length - 1]![0] === 0 ? 'zero input at an end' : null;
  },
  build(inst, p, style) {
    const T = inst.x.length, W = inst.W[0]![0]!;
    const d = style.digits;
    const jac = perConvention((conv: Convention) => rnnStateJacobians(inst, givenForward(inst, conv), conv));
    const closed = perConvention((conv: Convention) => rnnClosedForm(inst, conv, givenForward(inst, conv)));
    const logCalc = (conv: Convention) => log10Factor(jac(conv), conv.wPowerShift, W);
    const ratioOf = (terms: readonly number[][][]) => Math.abs(terms[0]![0]![0]!) / Math.abs(terms[T - 1]![0]![0]!);
    const { vanish, explode } = p.thresholds;
    const fwd = rnnForward(inst);
    // the end factors of the ratio, beyond the long-range product: |(1 − s_1²)x_1| / |(1 − s_T²)x_T|
    const ends = Math.abs((1 - fwd.s[0]![0]! ** 2) * inst.x[0]![0]!) / Math.abs((1 - fwd.s[T - 1]![0]! ** 2) * inst.x[T - 1]![0]!);
    // with θ_t steered near 0, tanh' ≈ 1 by design and leaving it out changes little: not a
    // mistake the grader can name on these instances (from generator 2 on, the regime is read
    // off the instance, since "any" draws each regime)
    const v2 = style.generator >= 2;
    const regimeHere = v2 ? classify(log10Factor(jac(EXACT)), p.thresholds) : p.regime;
    const steered = regimeHere === 'exploding' || regimeHere === 'neither';
    const mistakes = steered ? (['w-power-plus-one', 'w-power-minus-one'] as const) : (['missing-tanh-prime', 'tanh-prime-as-tanh', 'w-power-plus-one', 'w-power-minus-one'] as const);
    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => {
      const given = rnnGiven(inst);
      const states = fwd.s.map((s, j) => `s_{${j + 1}} = ${texNumber(s[0]!, d)}`);
      for (let start = 0; start < T; start += 5) given.push(states.slice(start, start + 5).join(',\\quad '));
      return given;
    };
    return {
      intro: `A scalar recurrent network runs for $T = ${T}$ steps: $s_t = \\tanh(U x_t + W s_{t-1} + b)$, $o_t = V s_t + c$, $L_{${T}} = \\tfrac12 (y_{${T}} - o_{${T}})^2$. ` +
        `Each per-step term $\\partial L_{${T}}/\\partial U^{(k)}$ carries the factor $\\prod_{j=k+1}^{${T}} \\partial s_j/\\partial s_{j-1}$ with $\\partial s_j/\\partial s_{j-1} = (1 - s_j^2)\\,W$. The forward states are given.`,
      given: givenLines,
      parts: [
        {
          key: 'a',
          kind: 'number',
          prompt: `$\\log_{10} \\Big| \\prod_{j=2}^{${T}} \\dfrac{\\partial s_j}{\\partial s_{j-1}} \\Big|$`,
          symbol: `\\log_{10}|\\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1}|`,
          answer: (s) => log10Factor(s.ds_ds_prev),
          calc: logCalc,
          tolerance: { rtol: 0.01, atol: 0.02 },
          mistakes,
          solution: (s) => [
            { text: 'A sum of logarithms avoids multiplying tiny (or huge) numbers:' },
            { math: `\\log_{10}\\Big|\\prod_{j=2}^{${T}} (1 - s_j^2)W\\Big| = \\sum_{j=2}^{${T}} \\log_{10}(1 - s_j^2) + ${T - 1}\\log_{10}|W|` },
            { math: `= ${arithmeticLine(sum(num(fwd.s.slice(1).reduce((a, v) => a + Math.log10(1 - v[0]! ** 2), 0)), cdot(given(T - 1), num(Math.log10(Math.abs(W))))), log10Factor(s.ds_ds_prev), d)}` },
          ],
        },
        {
          key: 'b',
          kind: 'number',
          prompt: `the ratio $\\left| \\dfrac{\\partial L_{${T}}}{\\partial U^{(1)}} \\right| \\Big/ \\left| \\dfrac{\\partial L_{${T}}}{\\partial U^{(${T})}} \\right|$ (graded on a $\\log_{10}$ scale, to within 0.05)`,
          symbol: `|\\partial L_{${T}}/\\partial U^{(1)}| / |\\partial L_{${T}}/\\partial U^{(${T})}|`,
          answer: (s) => ratioOf(s.dL_dU_by_step),
          calc: (conv) => ratioOf(closed(conv).dL_dU_by_step),
          tolerance: { log10: 0.05 },
          mistakes,
          dependsOn: ['a'],
          followThrough: (e) => (typeof e.a === 'number' && Number.isFinite(e.a) ? 10 ** e.a * ends : null),
          solution: (s) => [
            { text: `The common factor $(o_{${T}} - y_{${T}})V$ cancels; what is left is the long-range product and the end factors:` },
            { math: `\\frac{|\\partial L_{${T}}/\\partial U^{(1)}|}{|\\partial L_{${T}}/\\partial U^{(${T})}|} = \\Big|\\prod_{j=2}^{${T}} \\frac{\\partial s_j}{\\partial s_{j-1}}\\Big| \\cdot \\frac{|(1 - s_1^2)\\,x_1|}{|(1 - s_{${T}}^2)\\,x_{${T}}|} = ${texNumber(ratioOf(s.dL_dU_by_step), d)}` },
          ],
        },
        ...(v2 && p.regime !== 'any' ? [] : [{
          key: 'c',
          kind: 'choice' as const,
          prompt: `Is the gradient from step 1 vanishing ($\\log_{10}|\\prod| < ${vanish}$), exploding ($\\log_{10}|\\prod| > ${explode}$), or neither?`,
          choices: REGIMES,
          answer: (s) => classify(log10Factor(s.ds_ds_prev), p.thresholds),
          dependsOn: ['a'],
          followThrough: (e) => (typeof e.a === 'number' && Number.isFinite(e.a) ? classify(e.a, p.thresholds) : null),
          solution: (s) => {
            const log = log10Factor(s.ds_ds_prev);
            const regime = classify(log, p.thresholds);
            // what the factors did on this instance: their geometric mean, and tanh' against |W|
            const primes = fwd.s.slice(1).map((v) => 1 - v[0]! ** 2);
            const mean = 10 ** (log / (T - 1));
            const meanPrime = 10 ** (primes.reduce((a, x) => a + Math.log10(x), 0) / (T - 1));
            const factors = `The ${T - 1} factors $(1 - s_j^2)\\,|W|$ average $${texNumber(mean, d)}$ in magnitude (geometric mean): $\\tanh'$ averages $${texNumber(meanPrime, d)}$ and $|W| = ${texNumber(Math.abs(W), d)}$.`;
            const why = regime === 'vanishing'
              ? `${factors} Below 1, the product shrinks geometrically: the information from step 1 cannot reach step ${T} — in the notes' words, earlier information cannot reach the current step.`
              : regime === 'exploding'
                ? `${factors} Above 1, multiplied up ${T - 1} times: the early terms dominate and the gradient explodes.`
                : `${factors} Close enough to 1 that over ${T - 1} steps the early terms keep a comparable weight.`;
            return [{ text: `$\\log_{10}|\\prod| = ${texNumber(log, d)}$: ${regime}. ${why}` }];
          },
        } satisfies PartSpec<RnnSolution>]),
      ],
    };
  },
};

export const rnnLongRangeType = erase('rnn', rnnLongRangeProblem);
