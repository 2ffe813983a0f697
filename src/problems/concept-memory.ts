/**
 * concept.memory — the notes' closing argument, as choice questions answered from computed numbers:
 * why the LSTM's cell keeps gradients alive over many steps where the RNN's state does not.
 * (a) which of the three paths through h_{τ−1} in the total ∂c_τ/∂c_{τ−1} is largest (from the
 *     values at step τ);
 * (b) over the steps t = 2..T, which product stays near 1 (a magnitude in [0.1, 10]): the LSTM
 *     cell factor ∏ ∂c_t/∂c_{t−1} or the factor ∏ ∂s_t/∂s_{t−1} of the comparable RNN (the LSTM
 *     with its gates pinned, U = W_xg, W = W_hg, b = b_g, s_0 = h_0; see `comparableRnn`);
 * (c) which recurrent weights steer ∂c_t/∂c_{t−1} (the notes: W_hf, W_hi, W_hg).
 * `accept` keeps only draws where (a) and (b) are clear-cut: the largest path at least 1.5 times
 * the next, and every product's log₁₀-magnitude at least 0.25 away from the ±1 thresholds, so
 * the printed (rounded) per-step factors give the same answer.
 */
import { z } from 'zod';
import type { Convention } from '../models/convention.js';
import { dims, type LstmInstance, type Mat } from '../models/instance.js';
import { lstmCellJacobians, lstmForward, type LstmForward, type LstmSolution } from '../models/lstm.js';
import { jacobianProduct, rnnForward, rnnStateJacobians, solveRnn } from '../models/rnn.js';
import type { Solution } from '../models/solve.js';
import { partKey } from './common.js';
import { texMatrix, texNumber, texVector } from './format.js';
import { COMPARABLE_RNN, LSTM_EQUATIONS, LSTM_REGIMES, comparableRnn, throughHPaths, drawLstm, lstmGiven, lstmParamsShape, lstmRegimeMiss } from './lstm-params.js';
import type { PartSpec, ProblemType, SolutionStep } from './types.js';

export const conceptMemoryParams = z.object({
  ...lstmParamsShape,
  /** T: the notes' long-range example has T = 20 */
  steps: z.number().int().min(3).max(50).default(20),
  /** the forget gate held open by default: the situation the notes argue about */
  regime: z.enum(LSTM_REGIMES).default('remember'),
  /** the step τ ≥ 2 of part (a); default T */
  step: z.number().int().min(2).max(50).optional(),
}).strict().refine((p) => p.step === undefined || p.step <= p.steps, { message: 'should be at most steps', path: ['step'] });
export type ConceptMemoryParams = z.infer<typeof conceptMemoryParams>;

export const PATH_CHOICES = ['the forget-gate path (through W_hf)', 'the input-gate path (through W_hi)', 'the candidate path (through W_hg)'] as const;
export const NEAR_ONE_CHOICES = ['the LSTM cell factor', 'the RNN factor', 'both', 'neither'] as const;
export const STEER_CHOICES = ['W_hf only', 'W_hf, W_hi and W_hg', 'W_ho only', 'W_hf, W_hi, W_hg and W_ho'] as const;

/** "near 1": 10^−1 ≤ size ≤ 10^1; a draw is clear when log₁₀ size is CLEAR_MARGIN inside or outside. */
const NEAR_ONE_DECADES = 1;
const CLEAR_MARGIN = 0.25;
/** the largest path must be this many times the second for part (a) to be clear */
const PATH_RATIO = 1.5;

/** The size the questions compare: |x| for a number, the largest absolute entry of a matrix. */
export function size(m: Mat): number {
  return Math.max(...m.flat().map(Math.abs));
}

function largestPath(paths: readonly Mat[]): (typeof PATH_CHOICES)[number] {
  const sizes = paths.map(size);
  return PATH_CHOICES[sizes.indexOf(Math.max(...sizes))]!;
}

function nearOneAnswer(lstm: Mat, rnn: Mat): (typeof NEAR_ONE_CHOICES)[number] {
  const near = (m: Mat) => Math.abs(Math.log10(size(m))) <= NEAR_ONE_DECADES;
  const a = near(lstm), b = near(rnn);
  return a && b ? 'both' : a ? 'the LSTM cell factor' : b ? 'the RNN factor' : 'neither';
}

/**
 * The answers of parts (a) and (b) by the closed forms under a Convention (the parts' own answers
 * come from the engine's solution). Choice parts carry no `calc` — the generator checks rounding
 * only on numbers — so tests use this to check the answers are clear-cut: the same when every
 * written-down quantity is rounded to the sheet's digits.
 */
export function conceptMemoryAnswers(inst: LstmInstance, tau: number, conv: Convention): { path: string; nearOne: string } {
  const T = inst.x.length;
  const fw = lstmForward(inst, conv);
  const rnn = comparableRnn(inst);
  return {
    path: largestPath(throughHPaths(inst, fw, tau, conv)),
    nearOne: nearOneAnswer(
      jacobianProduct(lstmCellJacobians(inst, fw, conv).total, 1, T, conv),
      jacobianProduct(rnnStateJacobians(rnn, rnnForward(rnn, conv), conv), 1, T, conv),
    ),
  };
}

/** Why the draw is borderline for part (a) or (b), or null when both answers are clear-cut. */
function unclear(inst: LstmInstance, sol: LstmSolution, tau: number): string | null {
  const sizes = throughHPaths(inst, sol, tau).map(size).sort((a, b) => b - a);
  if (!(sizes[0]! >= PATH_RATIO * sizes[1]!)) return 'two paths through h are too close';
  const T = inst.x.length;
  const rnn = solveRnn(comparableRnn(inst));
  for (const m of [jacobianProduct(sol.dc_dc_prev, 1, T), jacobianProduct(rnn.ds_ds_prev, 1, T)]) {
    const decades = Math.abs(Math.log10(size(m)));
    if (Math.abs(decades - NEAR_ONE_DECADES) < CLEAR_MARGIN) return 'a product is too close to the near-1 threshold';
  }
  return null;
}

export const conceptMemoryType: ProblemType<ConceptMemoryParams> = {
  id: 'concept.memory',
  title: 'Why the LSTM keeps gradients alive',
  summary: 'Choice questions on the notes\' closing argument, answered from computed numbers: the paths of ∂c_t/∂c_{t−1}, and which long-range factor stays near 1.',
  params: conceptMemoryParams,
  generate: drawLstm,
  accept: (instance, sol: Solution, params) =>
    lstmRegimeMiss(sol, params.regime) ?? unclear(instance as LstmInstance, sol as LstmSolution, params.step ?? (instance as LstmInstance).x.length),
  build(instance, params, style) {
    const inst = instance as LstmInstance;
    const { T, H } = dims(inst);
    const tau = params.step ?? T;
    const d = style.digits;
    const sol = (s: unknown) => s as LstmSolution;
    const rnn = comparableRnn(inst);
    const rnnExact = solveRnn(rnn);
    const matrices = H > 1 ? ' (for matrices, compare the largest absolute entry)' : '';
    const kappa = `o_{${tau - 1}}(1 - \\tanh^2 c_{${tau - 1}})`;
    const parts: PartSpec[] = [];

    parts.push({
      key: partKey(parts.length),
      kind: 'choice',
      prompt: H === 1
        ? `At step $t = ${tau}$ the total $\\partial c_{${tau}}/\\partial c_{${tau - 1}}$ adds to $f_{${tau}}$ three paths through $h_{${tau - 1}}$: ` +
          `$c_{${tau - 1}}\\,\\sigma'(a^f_{${tau}})\\,W_{hf}\\,\\kappa$, $g_{${tau}}\\,\\sigma'(a^i_{${tau}})\\,W_{hi}\\,\\kappa$ and $i_{${tau}}\\tanh'(a^g_{${tau}})\\,W_{hg}\\,\\kappa$, ` +
          `with $\\kappa = ${kappa}$. From the values given, which is largest in magnitude?`
        : `At step $t = ${tau}$ the total $\\partial c_{${tau}}/\\partial c_{${tau - 1}}$ adds to $\\mathrm{diag}(f_{${tau}})$ three paths through $h_{${tau - 1}}$: ` +
          `$\\mathrm{diag}(c_{${tau - 1}} \\odot \\sigma'(a^f_{${tau}}))\\,W_{hf}\\,K$, $\\mathrm{diag}(g_{${tau}} \\odot \\sigma'(a^i_{${tau}}))\\,W_{hi}\\,K$ and $\\mathrm{diag}(i_{${tau}} \\odot \\tanh'(a^g_{${tau}}))\\,W_{hg}\\,K$, ` +
          `with $K = \\mathrm{diag}(o_{${tau - 1}} \\odot (1 - \\tanh^2 c_{${tau - 1}}))$. From the values given, which is largest in magnitude${matrices}?`,
      choices: PATH_CHOICES,
      answer: (s) => largestPath(throughHPaths(inst, sol(s), tau)),
      solution: (s) => pathsSolution(inst, sol(s), tau, d),
    });

    parts.push({
      key: partKey(parts.length),
      kind: 'choice',
      prompt: `Over the ${T - 1} steps $t = 2, \\dots, ${T}$, which product stays near $1$, meaning a magnitude between $0.1$ and $10$${matrices}: ` +
        `the LSTM cell factor $\\prod_{t=2}^{${T}} \\partial c_t/\\partial c_{t-1}$, or the RNN factor $\\prod_{t=2}^{${T}} \\partial s_t/\\partial s_{t-1}$ of the comparable RNN? ` +
        'Multiply the per-step factors given.',
      choices: NEAR_ONE_CHOICES,
      answer: (s) => nearOneAnswer(jacobianProduct(sol(s).dc_dc_prev, 1, T), jacobianProduct(rnnExact.ds_ds_prev, 1, T)),
      solution: (s) => {
        const lstm = jacobianProduct(sol(s).dc_dc_prev, 1, T), rnnProduct = jacobianProduct(rnnExact.ds_ds_prev, 1, T);
        const verdict = (m: Mat) => {
          const decades = Math.log10(size(m));
          return Math.abs(decades) <= NEAR_ONE_DECADES ? 'near 1' : decades < 0 ? 'vanished (below 0.1)' : 'exploded (above 10)';
        };
        return [
          { math: `\\prod_{t=2}^{${T}} \\frac{\\partial c_t}{\\partial c_{t-1}} = ${texMatrix(lstm, d)}` },
          { text: `magnitude ${texInline(size(lstm), d)}: ${verdict(lstm)}. Each factor is $f_t$ plus small paths through $h_{t-1}$, so it stays close to $f_t$.` },
          { math: `\\prod_{t=2}^{${T}} \\frac{\\partial s_t}{\\partial s_{t-1}} = \\prod_{t=2}^{${T}} \\mathrm{diag}(1 - s_t^2)\\,W_{hg} = ${texMatrix(rnnProduct, d)}` },
          { text: `magnitude ${texInline(size(rnnProduct), d)}: ${verdict(rnnProduct)}. Every factor is $\\tanh'(\\theta_t) \\le 1$ times the same $W_{hg}$, so the product behaves like $|W_{hg}|^{${T - 1}}$ times a product of numbers below 1.` },
          { text: `So the answer is: ${nearOneAnswer(lstm, rnnProduct)}.` },
        ];
      },
    });

    parts.push({
      key: partKey(parts.length),
      kind: 'choice',
      prompt: 'Which recurrent weights multiply the paths through $h_{t-1}$ in the total $\\partial c_t/\\partial c_{t-1}$, i.e. which weights can the LSTM adjust to keep it near 1, ' +
        'where the RNN\'s $\\partial s_t/\\partial s_{t-1} = \\tanh\'(\\theta_t)\\,W$ has only its one $W$?',
      choices: STEER_CHOICES,
      answer: () => 'W_hf, W_hi and W_hg',
      solution: () => [
        { math: `\\frac{\\partial c_t}{\\partial c_{t-1}} = f_t + o_{t-1}(1 - \\tanh^2 c_{t-1})\\big[c_{t-1}\\,\\sigma'(a^f_t)\\,W_{hf} + g_t\\,\\sigma'(a^i_t)\\,W_{hi} + i_t\\tanh'(a^g_t)\\,W_{hg}\\big]` },
        { text: '$W_{hf}$, $W_{hi}$ and $W_{hg}$ each steer one path; $W_{ho}$ does not appear, because $o_{t-1}$ does not depend on $c_{t-1}$. ' +
          'The factor is a sum of terms under several weights: if one of them is too large or too small the others can make up for it, ' +
          'so over a span of steps the product can stay near $1 \\times 1 \\times \\dots \\times 1$. The RNN\'s factor has only $W$, and a product of ' +
          '$\\tanh\'(\\theta_t)\\,W$ vanishes or explodes.' },
      ],
    });

    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => {
      const fw = exactCellFactors(inst);
      const given = lstmGiven(inst);
      given.push(`\\text{at } t = ${tau}:\\quad c_{${tau - 1}} = ${texVector(fw.c[tau - 2]!, d)},\\quad o_{${tau - 1}} = ${texVector(fw.o[tau - 2]!, d)},\\quad ` +
        `f_{${tau}} = ${texVector(fw.f[tau - 1]!, d)},\\quad i_{${tau}} = ${texVector(fw.i[tau - 1]!, d)},\\quad g_{${tau}} = ${texVector(fw.g[tau - 1]!, d)}`);
      const perLine = H === 1 ? 5 : 3;
      const factorLines = (label: string, name: string, mats: readonly Mat[]) => {
        const items = Array.from({ length: T - 1 }, (_, n) => `\\partial ${name}_{${n + 2}}/\\partial ${name}_{${n + 1}} = ${texMatrix(mats[n + 1]!, d)}`);
        const lines: string[] = [];
        for (let start = 0; start < items.length; start += perLine) lines.push(`${start === 0 ? `\\text{${label}: }` : ''}${items.slice(start, start + perLine).join(',\\quad ')}`);
        return lines;
      };
      given.push(...factorLines('LSTM', 'c', fw.dc_dc_prev), ...factorLines('RNN', 's', rnnExact.ds_ds_prev));
      return given;
    };
    return {
      intro: `${LSTM_EQUATIONS} The total cell Jacobian of the notes is ` +
        '$\\partial c_t/\\partial c_{t-1} = f_t + o_{t-1}(1 - \\tanh^2 c_{t-1})[c_{t-1}\\sigma\'(a^f_t)W_{hf} + g_t\\sigma\'(a^i_t)W_{hi} + i_t\\tanh\'(a^g_t)W_{hg}]$ ' +
        `(written for one unit; with several units it is a matrix). For comparison, ${COMPARABLE_RNN}. ` +
        `The LSTM below runs for $T = ${T}$ steps; its per-step factors and those of the comparable RNN are given (rounded).`,
      given: givenLines,
      parts,
    };
  },
};

/** The exact solution of the LSTM, for the given lines (build has no Solution). */
function exactCellFactors(inst: LstmInstance): LstmForward & { dc_dc_prev: Mat[] } {
  const fw = lstmForward(inst);
  return { ...fw, dc_dc_prev: lstmCellJacobians(inst, fw).total };
}

function texInline(x: number, d: number): string {
  return `$${texNumber(x, d)}$`;
}

function pathsSolution(inst: LstmInstance, r: LstmSolution, tau: number, d: number): SolutionStep[] {
  const H = inst.Whf.length;
  const paths = throughHPaths(inst, r, tau);
  const answer = largestPath(paths);
  if (H === 1) {
    const n = (x: number) => texNumber(x, d);
    const p = (x: number) => `(${n(x)})`;
    const f = r.f[tau - 1]![0]!, i = r.i[tau - 1]![0]!, g = r.g[tau - 1]![0]!, c = r.c[tau - 2]![0]!, o = r.o[tau - 2]![0]!;
    const kappa = o * (1 - Math.tanh(c) ** 2);
    return [
      { math: `\\kappa = o_{${tau - 1}}(1 - \\tanh^2 c_{${tau - 1}}) = ${p(o)}${p(1 - Math.tanh(c) ** 2)} = ${n(kappa)}` },
      { math: `c_{${tau - 1}}\\,\\sigma'(a^f_{${tau}})\\,W_{hf}\\,\\kappa = ${p(c)}${p(f * (1 - f))}${p(inst.Whf[0]![0]!)}${p(kappa)} = ${n(paths[0][0]![0]!)}` },
      { math: `g_{${tau}}\\,\\sigma'(a^i_{${tau}})\\,W_{hi}\\,\\kappa = ${p(g)}${p(i * (1 - i))}${p(inst.Whi[0]![0]!)}${p(kappa)} = ${n(paths[1][0]![0]!)}` },
      { math: `i_{${tau}}\\tanh'(a^g_{${tau}})\\,W_{hg}\\,\\kappa = ${p(i)}${p(1 - g * g)}${p(inst.Whg[0]![0]!)}${p(kappa)} = ${n(paths[2][0]![0]!)}` },
      { text: `with $\\sigma'(a^f_{${tau}}) = f_{${tau}}(1 - f_{${tau}})$, $\\sigma'(a^i_{${tau}}) = i_{${tau}}(1 - i_{${tau}})$, $\\tanh'(a^g_{${tau}}) = 1 - g_{${tau}}^2$. The largest in magnitude: ${answer}.` },
    ];
  }
  return [
    { math: `\\text{forget-gate path} = ${texMatrix(paths[0], d)},\\quad \\text{input-gate path} = ${texMatrix(paths[1], d)},\\quad \\text{candidate path} = ${texMatrix(paths[2], d)}` },
    { text: `Largest absolute entries: ${paths.map((m) => texInline(size(m), d)).join(', ')}. The largest: ${answer}.` },
  ];
}
