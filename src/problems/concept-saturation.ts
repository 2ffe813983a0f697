/**
 * concept.saturation — the counter-example to "a large W explodes" (docs/math.md §2.3): a scalar RNN
 * whose recurrent weight is always larger than 1 in magnitude, its forward states printed.
 * (a) the tanh' share of the long-range factor, Σ_{j=2}^{T} log₁₀(1 − s_j²);
 * (b) is the long-range factor ∏_{j=2}^{T} ∂s_j/∂s_{j−1} = ∏ (1 − s_j²)W vanishing, exploding or
 *     neither (the thresholds of rnn.long-range: log₁₀ below −2, above 2)?
 * Under generator 2 the draw aims at each answer of (b) equally often:
 *  - "vanishing": |W| ∈ [1.5, 2.5] with ordinary inputs drawn from the data grid. A |W| this large
 *    feeds the state back into tanh's flat tails (s ≈ ±1), so tanh'(θ_j) = 1 − s_j² is small at
 *    every step and the product vanishes *despite* |W| > 1 — the saturation counter-example;
 *  - "exploding": the same |W|, with each input chosen (on the data grid) to keep θ_j near 0, so
 *    tanh' ≈ 1 and |W|^{T−1} wins;
 *  - "neither": |W| ∈ [1.1, 1.2], θ_j kept near 0.
 * Judging from |W| alone (it is above 1, so "exploding") is the misconception the solution names and
 * the grader recognises (`judged-by-w-alone`).
 * Draws are accepted only when log₁₀|∏| is at least 0.5 away from both thresholds.
 */
import { z } from 'zod';
import type { RnnInstance } from '../models/instance.js';
import { givenForward, rnnForward, type RnnSolution } from '../models/rnn.js';
import type { Convention } from '../models/convention.js';
import { perConvention } from './common.js';
import { texExact, texNumber } from './format.js';
import { arithmeticLine, cdot, given, num, sum } from './arithmetic.js';
import { drawRnn } from './params.js';
import { gridSchema, gridValue, nearestOnGrid, pick, type Rng } from './random.js';
import { classify, REGIMES } from './rnn-long-range.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SheetStyle } from './types.js';

type Regime = (typeof REGIMES)[number];

export const conceptSaturationParams = z.object({
  /** T: the notes' long-range example has T = 20 */
  steps: z.number().int().min(5).max(50).default(20),
  /** the grid U and b are drawn from (W is drawn with |W| > 1 whatever it says) */
  weights: gridSchema.default({ min: -1, max: 1, step: 0.1 }),
  /** the grid x_t is drawn from */
  data: gridSchema.default({ min: -1, max: 1, step: 0.1 }),
}).strict();
export type ConceptSaturationParams = z.infer<typeof conceptSaturationParams>;

export const THRESHOLDS = { vanish: -2, explode: 2 } as const;
const MARGIN = 0.5;
/** |W| per aimed answer; every one above 1 */
const W_RANGE: Record<Regime, [number, number]> = { vanishing: [1.5, 2.5], exploding: [1.5, 2.5], neither: [1.1, 1.2] };

/** Σ_{j=2}^{T} log₁₀ tanh'(θ_j), tanh' as `conv` writes it down from the printed states. */
export function tanhPrimeLog(states: readonly number[], conv?: Convention): number {
  return states.slice(1).reduce((acc, s) => acc + Math.log10(Math.abs(conv ? conv.round(conv.tanhPrime(Math.atanh(s), s)) : 1 - s * s)), 0);
}

/** log₁₀|∏_{j=2}^{T} (1 − s_j²)W|. */
export function saturationLog(states: readonly number[], W: number): number {
  return tanhPrimeLog(states) + (states.length - 1) * Math.log10(Math.abs(W));
}

function draw(rng: Rng, p: ConceptSaturationParams, regime: Regime): RnnInstance {
  const inst = drawRnn(rng, { hidden: 1, inputs: 1, outputs: 1, steps: p.steps, loss: 'last', weights: p.weights, data: p.data, initialState: 'zero', biases: true });
  const [lo, hi] = W_RANGE[regime];
  const w = gridValue(rng, { min: lo, max: hi, step: 0.1 }, true);
  inst.W = [[rng() < 0.5 ? -w : w]];
  if (regime !== 'vanishing') {
    // steer θ_t into [−0.4, 0.4]: x_t ≈ (θ − W s_{t−1} − b)/U on the data grid, with b = 0 and
    // |U| ∈ [1, 2] (so the inputs needed stay on the data grid) — near 0 (tanh' ≈ 1), but not so near that Σ log₁₀ tanh' is 0 within tolerance
    inst.b = [0];
    const u = gridValue(rng, { min: 1, max: 2, step: 0.1 }, true);
    inst.U = [[inst.U[0]![0]! < 0 ? -u : u]];
    const U = inst.U[0]![0]!, W = inst.W[0]![0]!;
    let s = inst.s0[0]!;
    inst.x = inst.x.map(() => {
      const near = nearestOnGrid(((rng() - 0.5) * 0.8 - W * s) / U, p.data);
      const x = near === 0 ? (rng() < 0.5 ? -p.data.step : p.data.step) : near;
      s = Math.tanh(U * x + W * s);
      return [x];
    });
  }
  return inst;
}

const aimOf = (style: SheetStyle, target: Regime | undefined): Regime | null => (style.generator >= 2 && target ? target : null);

export const conceptSaturationProblem: ProblemType<ConceptSaturationParams, RnnInstance, RnnSolution, Regime> = {
  id: 'concept.saturation',
  title: 'A large recurrent weight',
  summary: 'The saturation counter-example: an RNN with |W| > 1, its states given — the tanh\' share of log₁₀ of the long-range factor, and whether the factor vanishes, explodes or neither.',
  params: conceptSaturationParams,
  aim: {
    choose: (rng, _p, _style, missed) => {
      const left = REGIMES.filter((r) => !missed.includes(r));
      return left.length ? pick(rng, left) : undefined;
    },
    is: (value): value is Regime => REGIMES.some((r) => r === value),
  },
  // generator 1 (no aim): the regime drawn with the instance
  generate: (rng, p, style, target) => draw(rng, p, aimOf(style, target) ?? pick(rng, REGIMES)),
  accept(_inst, sol, _p, style, target) {
    const s = sol.s.map((v) => v[0]!);
    const log = saturationLog(s, _inst.W[0]![0]!);
    if (!Number.isFinite(log)) return 'degenerate';
    const aim = aimOf(style, target);
    if (aim && classify(log, THRESHOLDS) !== aim) return `drew ${classify(log, THRESHOLDS)}`;
    if (Math.min(Math.abs(log - THRESHOLDS.vanish), Math.abs(log - THRESHOLDS.explode)) < MARGIN) return 'borderline';
    return null;
  },
  build(inst, _p, style) {
    const T = inst.x.length, W = inst.W[0]![0]!;
    const d = style.digits;
    const fwd = rnnForward(inst);
    const states = fwd.s.map((v) => v[0]!);
    const printed = perConvention((conv: Convention) => givenForward(inst, conv).s.map((v) => v[0]!));
    const wLog = (T - 1) * Math.log10(Math.abs(W));
    const parts: PartSpec<RnnSolution>[] = [
      {
        key: 'a',
        kind: 'number',
        prompt: `$\\displaystyle\\sum_{j=2}^{${T}} \\log_{10}\\bigl(1 - s_j^2\\bigr)$, the share of the factors $\\tanh'(\\theta_j) = 1 - s_j^2$ in $\\log_{10}\\bigl|\\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1}\\bigr|$`,
        symbol: `\\sum_{j=2}^{${T}} \\log_{10}(1 - s_j^2)`,
        answer: (s) => tanhPrimeLog(s.s.map((v) => v[0]!)),
        calc: (conv) => tanhPrimeLog(printed(conv), conv),
        tolerance: { rtol: 0.01, atol: 0.02 },
        mistakes: ['missing-tanh-prime', 'tanh-prime-as-tanh'],
        solution: (s) => {
          const ss = s.s.map((v) => v[0]!);
          const logs = ss.slice(1).map((x) => Math.log10(1 - x * x));
          const shown = logs.length <= 6 ? logs : [...logs.slice(0, 3), ...logs.slice(-2)];
          return [
            { text: `Each step contributes $\\log_{10}(1 - s_j^2)$; from the states given, the first ones are ${shown.slice(0, 3).map((x) => `$${texNumber(x, d)}$`).join(', ')}.` },
            { math: `\\sum_{j=2}^{${T}} \\log_{10}(1 - s_j^2) = ${texNumber(tanhPrimeLog(ss), d)}` },
          ];
        },
      },
      {
        key: 'b',
        kind: 'choice',
        prompt: `The long-range factor $\\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1} = \\prod_{j=2}^{${T}} (1 - s_j^2)\\,W$: is it vanishing ($\\log_{10}|\\prod| < ${THRESHOLDS.vanish}$), exploding ($\\log_{10}|\\prod| > ${THRESHOLDS.explode}$), or neither?`,
        choices: REGIMES,
        answer: (s) => classify(saturationLog(s.s.map((v) => v[0]!), W), THRESHOLDS),
        dependsOn: ['a'],
        followThrough: (e) => (typeof e.a === 'number' && Number.isFinite(e.a) ? classify(e.a + wLog, THRESHOLDS) : null),
        // |W| > 1 read as "exploding" whatever the states (left out where it is the right answer)
        mistakes: ['judged-by-w-alone'],
        mistakeValue: { 'judged-by-w-alone': () => 'exploding' },
        solution: (s) => {
          const ss = s.s.map((v) => v[0]!);
          const tp = tanhPrimeLog(ss);
          const log = tp + wLog;
          const regime = classify(log, THRESHOLDS);
          const meanPrime = 10 ** (tp / (T - 1));
          const why = regime === 'vanishing'
            ? `$|W| > 1$ alone would say the product explodes, but the states sit near $\\pm 1$, in tanh's flat tails: $\\tanh'$ averages $${texNumber(meanPrime, d)}$ (geometric mean), so each factor $(1 - s_j^2)|W|$ is about $${texNumber(meanPrime * Math.abs(W), d)} < 1$ and the product vanishes. A large $W$ saturates the state, and saturation is what kills the gradient: earlier information cannot reach the current step (前面的消息无法传到当前时刻).`
            : regime === 'exploding'
              ? `The states stay near 0, so $\\tanh'$ averages $${texNumber(meanPrime, d)}$ (geometric mean), close to 1: each factor is about $${texNumber(meanPrime * Math.abs(W), d)} > 1$, and $|W|^{${T - 1}}$ makes the product explode. Here $|W| > 1$ does decide — because the states are not saturated.`
              : `The states stay near 0 ($\\tanh'$ averages $${texNumber(meanPrime, d)}$) and $|W|$ is only a little above 1: each factor is about $${texNumber(meanPrime * Math.abs(W), d)}$, and over ${T - 1} steps the product stays between $10^{${THRESHOLDS.vanish}}$ and $10^{${THRESHOLDS.explode}}$.`;
          return [
            { math: `\\log_{10}\\Big|\\prod_{j=2}^{${T}} (1 - s_j^2)W\\Big| = \\sum_{j=2}^{${T}} \\log_{10}(1 - s_j^2) + ${T - 1}\\log_{10}|W| = ${arithmeticLine(sum(num(tp), cdot(given(T - 1), num(Math.log10(Math.abs(W))))), log, d)}` },
            { text: `So the factor is ${regime}. ${why}` },
          ];
        },
      },
    ];
    return {
      intro: `A scalar recurrent network $s_t = \\tanh(U x_t + W s_{t-1} + b)$ runs for $T = ${T}$ steps with $W = ${texExact(W)}$, so $|W| > 1$. ` +
        `Its one-step factor is $\\partial s_j/\\partial s_{j-1} = \\tanh'(\\theta_j)\\,W = (1 - s_j^2)\\,W$. The forward states are given (rounded).`,
      given: () => {
        const lines: string[] = [];
        const items = states.map((s, j) => `s_{${j + 1}} = ${texNumber(s, d)}`);
        for (let start = 0; start < T; start += 5) lines.push(items.slice(start, start + 5).join(',\\quad '));
        return lines;
      },
      parts,
    };
  },
};

export const conceptSaturationType = erase('rnn', conceptSaturationProblem);
