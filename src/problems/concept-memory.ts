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
 *
 * From generator version 2 on (the answers of version 1 were the same on most sheets, and (c) on
 * every one, readable from the formula in the intro):
 * (a) is balanced: the draw aims at a path chosen per variant (each equally often) and steers the
 *     recurrent weights toward it — the aimed path's weight drawn large, the other two small —
 *     then redraws until that path is clearly the largest;
 * (b) is balanced between a cell factor that stays near 1 and one that vanishes when the bank
 *     leaves the regime to the draw (`regime: "any"`): the draw aims at "remember" (forget gates
 *     open) or "forget" (shut), each equally often;
 * (c) asks for a number computed from the instance: the three paths through h_{τ−1} together,
 *     ∂c_τ/∂c_{τ−1} − f_τ (the amount by which the total departs from the direct term).
 */
import { z } from 'zod';
import type { Convention } from '../models/convention.js';
import { dims, type LstmInstance, type Mat, type Vec } from '../models/instance.js';
import { lstmCellJacobians, lstmForward, type LstmForward, type LstmSolution } from '../models/lstm.js';
import { jacobianProduct, rnnForward, rnnStateJacobians, solveRnn } from '../models/rnn.js';
import { asMatrixAnswer, matrixKind, partKey, perConvention } from './common.js';
import { gridPoints, pick, type Rng } from './random.js';
import { texMatrix, texNumber, texVector } from './format.js';
import { arithmeticLine, given, num, sum as plus, times } from './arithmetic.js';
import { COMPARABLE_RNN, LSTM_NOTATION, LSTM_REGIMES, comparableRnn, throughHPaths, throughHSum, THROUGH_H_MISTAKES, drawLstm, lstmGiven, lstmParamsShape, lstmRegimeMiss } from './lstm-params.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SheetStyle, SolutionStep } from './types.js';

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
/** A choice quoted in a solution step (rich text): its weights in TeX. The choice itself stays plain, it is the value graded. */
export const richChoice = (choice: string): string => choice.replace(/\bW_h([fgio])\b/g, '$$W_{h$1}$$');

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

/** What a generator-2 draw aims at: the largest path of (a), and the gate regime behind (b). */
interface MemoryAim {
  path: number;
  regime: (typeof LSTM_REGIMES)[number];
}


/** The recurrent weight of each path of (a), in PATH_CHOICES order. */
const PATH_WEIGHTS = ['Whf', 'Whi', 'Whg'] as const;

/**
 * Steers a generator-2 draw toward its aimed path: the aimed path's recurrent weight gets entries
 * among the largest magnitudes of the bank's weight grid (the top half of its non-zero points by
 * magnitude), the other two among the smallest (the bottom fifth), keeping each entry's sign where the
 * grid has points of that sign. Every value is a point of the bank's grid. `accept` still checks
 * that the aimed path is clearly the largest.
 */
function steerPaths(rng: Rng, inst: LstmInstance, path: number, p: ConceptMemoryParams): void {
  const points = gridPoints(p.weights).filter((v) => v !== 0).sort((a, b) => Math.abs(a) - Math.abs(b));
  if (points.length < 2) return;
  const small = points.slice(0, Math.max(1, Math.round(points.length * 0.2)));
  const large = points.slice(points.length - Math.max(1, Math.round(points.length * 0.5)));
  const near = (band: number[], v: number) => {
    const sameSign = band.filter((x) => Math.sign(x) === Math.sign(v));
    return pick(rng, sameSign.length ? sameSign : band);
  };
  PATH_WEIGHTS.forEach((w, n) => {
    inst[w] = inst[w].map((row) => row.map((v) => near(n === path ? large : small, v)));
  });
}

function aimOf(style: SheetStyle, target: MemoryAim | undefined): MemoryAim | null {
  return style.generator >= 2 && target ? target : null;
}

function isMemoryAim(value: unknown): value is MemoryAim {
  return typeof value === 'object' && value !== null && 'path' in value && typeof value.path === 'number' &&
    'regime' in value && LSTM_REGIMES.some((r) => r === value.regime);
}

export const conceptMemoryProblem: ProblemType<ConceptMemoryParams, LstmInstance, LstmSolution, MemoryAim> = {
  id: 'concept.memory',
  title: 'Why the LSTM keeps gradients alive',
  summary: 'The notes\' closing argument, answered from computed numbers: which path of ∂c_t/∂c_{t−1} is largest, which long-range factor stays near 1, and how far the total departs from f_t.',
  params: conceptMemoryParams,
  aim: {
    choose: (rng, params, _style, missed) => {
      if (missed.length === 0) return { path: Math.floor(rng() * PATH_CHOICES.length), regime: params.regime === 'any' ? pick(rng, ['remember', 'forget'] as const) : params.regime };
      // after a miss: any aim not yet missed, each equally likely
      const regimes = params.regime === 'any' ? (['remember', 'forget'] as const) : [params.regime];
      const left = regimes.flatMap((regime) => PATH_CHOICES.map((_, path) => ({ path, regime }))).filter((a) => !missed.some((m) => m.path === a.path && m.regime === a.regime));
      return left.length ? pick(rng, left) : undefined;
    },
    is: isMemoryAim,
  },
  generate: (rng, params, style, target) => {
    const aim = aimOf(style, target);
    if (!aim) return drawLstm(rng, params);
    const inst = drawLstm(rng, { ...params, regime: aim.regime });
    steerPaths(rng, inst, aim.path, params);
    return inst;
  },
  accept: (inst, sol, params, style, target) => {
    const aim = aimOf(style, target);
    const tau = params.step ?? inst.x.length;
    const regime = lstmRegimeMiss(sol, aim ? aim.regime : params.regime);
    if (regime) return regime;
    // the aimed path first: it is cheap, and `unclear` solves the comparable RNN
    if (aim && largestPath(throughHPaths(inst, sol, tau)) !== PATH_CHOICES[aim.path]) return 'another path is the largest';
    return unclear(inst, sol, tau);
  },
  build(inst, params, style) {
    const { T, H } = dims(inst);
    const tau = params.step ?? T;
    const d = style.digits;
    const rnn = comparableRnn(inst);
    const rnnExact = solveRnn(rnn);
    const matrices = H > 1 ? ' (for matrices, compare the largest absolute entry)' : '';
    const kappa = `o_{${tau - 1}}(1 - \\tanh^2 c_{${tau - 1}})`;
    const parts: PartSpec<LstmSolution>[] = [];

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
      answer: (s) => largestPath(throughHPaths(inst, s, tau)),
      solution: (s) => pathsSolution(inst, s, tau, d),
    });

    const v2 = style.generator >= 2;
    const askNearOne = !v2 || params.regime === 'any';
    // from generator 2 on, the LSTM factor at τ is not printed: the student has it from f_τ and
    // the paths of the numeric part, which comes first
    const nearOnePart = (pathsKey?: string): PartSpec<LstmSolution> => ({
      key: partKey(parts.length),
      kind: 'choice',
      prompt: `Over the ${T - 1} steps $t = 2, \\dots, ${T}$, which product stays near $1$, meaning a magnitude between $0.1$ and $10$${matrices}: ` +
        `the LSTM cell factor $\\prod_{t=2}^{${T}} \\partial c_t/\\partial c_{t-1}$, or the RNN factor $\\prod_{t=2}^{${T}} \\partial s_t/\\partial s_{t-1}$ of the comparable RNN? ` +
        (pathsKey
          ? `Multiply the per-step factors given, with $\\partial c_{${tau}}/\\partial c_{${tau - 1}} = ${H === 1 ? `f_{${tau}}` : `\\mathrm{diag}(f_{${tau}})`}$ plus your answer to (${pathsKey}).`
          : 'Multiply the per-step factors given.'),
      choices: NEAR_ONE_CHOICES,
      answer: (s) => nearOneAnswer(jacobianProduct(s.dc_dc_prev, 1, T), jacobianProduct(rnnExact.ds_ds_prev, 1, T)),
      solution: (s) => {
        const lstm = jacobianProduct(s.dc_dc_prev, 1, T), rnnProduct = jacobianProduct(rnnExact.ds_ds_prev, 1, T);
        const verdict = (m: Mat) => {
          const decades = Math.log10(size(m));
          return Math.abs(decades) <= NEAR_ONE_DECADES ? 'near 1' : decades < 0 ? 'vanished (below 0.1)' : 'exploded (above 10)';
        };
        return [
          { math: `\\prod_{t=2}^{${T}} \\frac{\\partial c_t}{\\partial c_{t-1}} = ${texMatrix(lstm, d)}` },
          { text: `magnitude ${texInline(size(lstm), d)}: ${verdict(lstm)}. ${cellFactorSentence(s, T, d)}` },
          { math: `\\prod_{t=2}^{${T}} \\frac{\\partial s_t}{\\partial s_{t-1}} = \\prod_{t=2}^{${T}} \\mathrm{diag}(1 - s_t^2)\\,W_{hg} = ${texMatrix(rnnProduct, d)}` },
          { text: `magnitude ${texInline(size(rnnProduct), d)}: ${verdict(rnnProduct)}. ${rnnFactorSentence(inst, rnnExact.s, T, d)}` },
          { text: `So the answer is: ${nearOneAnswer(lstm, rnnProduct)}.` },
        ];
      },
    });

    if (!v2) parts.push(nearOnePart());
    if (v2) {
      const forward = perConvention((conv: Convention) => lstmForward(inst, conv));
      parts.push({
        key: partKey(parts.length),
        kind: matrixKind(H, H),
        prompt: `The three paths through $h_{${tau - 1}}$ together: $\\partial c_{${tau}}/\\partial c_{${tau - 1}} - ${H === 1 ? `f_{${tau}}` : `\\mathrm{diag}(f_{${tau}})`}$, ` +
          `the amount by which the total departs from the direct term at step ${tau}.`,
        symbol: `\\partial c_{${tau}}/\\partial c_{${tau - 1}} - f_{${tau}}`,
        answer: (s) => asMatrixAnswer(throughHSum(throughHPaths(inst, s, tau))),
        calc: (conv) => asMatrixAnswer(throughHSum(throughHPaths(inst, forward(conv), tau, conv), conv)),
        mistakes: THROUGH_H_MISTAKES,
        solution: (s) => throughHSolution(inst, s, tau, d),
      });
      // with the gate regime fixed by the bank, which factor stays near 1 is the same on nearly every
      // sheet (the forget gates decide it): asked only when the regime is drawn per variant
      if (askNearOne) parts.push(nearOnePart(parts[parts.length - 1]!.key));
    } else parts.push({
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
        const items = Array.from({ length: T - 1 }, (_, n) => `\\partial ${name}_{${n + 2}}/\\partial ${name}_{${n + 1}} = ${v2 && name === 'c' && n + 2 === tau ? '\\text{from (b)}' : texMatrix(mats[n + 1]!, d)}`);
        const lines: string[] = [];
        for (let start = 0; start < items.length; start += perLine) lines.push(`${start === 0 ? `\\text{${label}: }` : ''}${items.slice(start, start + perLine).join(',\\quad ')}`);
        return lines;
      };
      if (askNearOne) given.push(...factorLines('LSTM', 'c', fw.dc_dc_prev), ...factorLines('RNN', 's', rnnExact.ds_ds_prev));
      return given;
    };
    return {
      notation: LSTM_NOTATION,
      intro: `The total cell Jacobian of the notes is ` +
        '$\\partial c_t/\\partial c_{t-1} = f_t + o_{t-1}(1 - \\tanh^2 c_{t-1})[c_{t-1}\\sigma\'(a^f_t)W_{hf} + g_t\\sigma\'(a^i_t)W_{hi} + i_t\\tanh\'(a^g_t)W_{hg}]$ ' +
        `(written for one unit; with several units it is a matrix). For comparison, ${COMPARABLE_RNN}. ` +
        (askNearOne ? `The LSTM below runs for $T = ${T}$ steps; its per-step factors and those of the comparable RNN are given (rounded).` : `The LSTM below runs for $T = ${T}$ steps; its values at step ${tau} are given (rounded).`),
      given: givenLines,
      parts,
    };
  },
};

export const conceptMemoryType = erase('lstm', conceptMemoryProblem);

/** The exact solution of the LSTM, for the given lines (build has no Solution). */
function exactCellFactors(inst: LstmInstance): LstmForward & { dc_dc_prev: Mat[] } {
  const fw = lstmForward(inst);
  return { ...fw, dc_dc_prev: lstmCellJacobians(inst, fw).total };
}

/**
 * What the LSTM's per-step factors did on this instance, from its numbers: how far each total
 * ∂c_t/∂c_{t−1} sits from its direct term f_t, and the range of both.
 */
function cellFactorSentence(r: LstmSolution, T: number, d: number): string {
  const steps = Array.from({ length: T - 1 }, (_, n) => n + 1); // 0-based index of t = 2..T
  const totals = steps.map((k) => size(r.dc_dc_prev[k]!));
  const gates = steps.map((k) => Math.max(...r.f[k]!));
  const departure = Math.max(...steps.map((k) => size(r.dc_dc_prev[k]!.map((row, a) => row.map((v, b) => v - r.dc_dc_prev_direct[k]![a]![b]!))) / Math.max(...r.f[k]!)));
  const range = (xs: number[]) => `${texInline(Math.min(...xs), d)} to ${texInline(Math.max(...xs), d)}`;
  const close = departure <= 0.1
    ? `the paths through $h_{t-1}$ move each factor by at most ${pct(departure)} of $f_t$, so the product follows the forget gates`
    : `the paths through $h_{t-1}$ move a factor by up to ${pct(departure)} of $f_t$, so they shape the product as well as the forget gates do`;
  return `The per-step factors run from ${range(totals)} in magnitude and the forget gates from ${range(gates)}: ${close}.`;
}

/** What the comparable RNN's per-step factors did on this instance. */
function rnnFactorSentence(inst: LstmInstance, s: readonly Vec[], T: number, d: number): string {
  const w = size(inst.Whg);
  const primes = s.slice(1, T).map((v) => Math.max(...v.map((x) => 1 - x * x)));
  const power = w ** (T - 1);
  if (inst.Whg.length > 1) {
    return `Every factor is $\\mathrm{diag}(1 - s_t^2) \\le 1$ (here ${texInline(Math.min(...primes), d)} to ${texInline(Math.max(...primes), d)} at most) times the same $W_{hg}$ ` +
      `(largest entry ${texInline(w, d)}): one matrix steers every step, so the product shrinks or grows step after step.`;
  }
  return `Every factor is $\\tanh'(\\theta_t) \\le 1$ (here ${texInline(Math.min(...primes), d)} to ${texInline(Math.max(...primes), d)}) times the same ` +
    `$W_{hg} = ${texNumber(inst.Whg[0]![0]!, d)}$, so the product is $|W_{hg}|^{${T - 1}} = ${texNumber(power, d)}$ times the ${T - 1} factors $\\tanh'(\\theta_t)$, all below 1.`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** (c): the three paths of (a), added up, against the direct term. */
function throughHSolution(inst: LstmInstance, r: LstmSolution, tau: number, d: number): SolutionStep[] {
  const paths = throughHPaths(inst, r, tau);
  const sum = throughHSum(paths);
  const f = r.f[tau - 1]!;
  const share = size(sum) / Math.max(...f.map(Math.abs));
  return [
    { text: `Add the three paths of (a) (each already multiplied by the factor through $h_{${tau - 1}}$):` },
    { math: arithmeticLine(plus(num(paths[0]), num(paths[1]), num(paths[2])), sum, d) },
    { text: `Beside the direct term $f_{${tau}} = ${texVector(f, d)}$ this is ${pct(share)} of it: the total $\\partial c_{${tau}}/\\partial c_{${tau - 1}}$ is ${sum.flat().every((v) => v >= 0) ? 'larger than' : sum.flat().every((v) => v <= 0) ? 'smaller than' : 'moved in both directions from'} $f_{${tau}}$ by the paths through $h_{${tau - 1}}$.` },
  ];
}

function texInline(x: number, d: number): string {
  return `$${texNumber(x, d)}$`;
}

function pathsSolution(inst: LstmInstance, r: LstmSolution, tau: number, d: number): SolutionStep[] {
  const H = inst.Whf.length;
  const paths = throughHPaths(inst, r, tau);
  const answer = largestPath(paths);
  if (H === 1) {
    const f = r.f[tau - 1]![0]!, i = r.i[tau - 1]![0]!, g = r.g[tau - 1]![0]!, c = r.c[tau - 2]![0]!, o = r.o[tau - 2]![0]!;
    const kappa = o * (1 - Math.tanh(c) ** 2);
    return [
      { math: `\\kappa = o_{${tau - 1}}(1 - \\tanh^2 c_{${tau - 1}}) = ${arithmeticLine(times(num(o), num(1 - Math.tanh(c) ** 2)), kappa, d)}` },
      { math: `c_{${tau - 1}}\\,\\sigma'(a^f_{${tau}})\\,W_{hf}\\,\\kappa = ${arithmeticLine(times(num(c), num(f * (1 - f)), given(inst.Whf[0]![0]!), num(kappa)), paths[0][0]![0]!, d)}` },
      { math: `g_{${tau}}\\,\\sigma'(a^i_{${tau}})\\,W_{hi}\\,\\kappa = ${arithmeticLine(times(num(g), num(i * (1 - i)), given(inst.Whi[0]![0]!), num(kappa)), paths[1][0]![0]!, d)}` },
      { math: `i_{${tau}}\\tanh'(a^g_{${tau}})\\,W_{hg}\\,\\kappa = ${arithmeticLine(times(num(i), num(1 - g * g), given(inst.Whg[0]![0]!), num(kappa)), paths[2][0]![0]!, d)}` },
      { text: `with $\\sigma'(a^f_{${tau}}) = f_{${tau}}(1 - f_{${tau}})$, $\\sigma'(a^i_{${tau}}) = i_{${tau}}(1 - i_{${tau}})$, $\\tanh'(a^g_{${tau}}) = 1 - g_{${tau}}^2$. The largest in magnitude: ${richChoice(answer)}.` },
    ];
  }
  return [
    { math: `\\text{forget-gate path} = ${texMatrix(paths[0], d)},\\quad \\text{input-gate path} = ${texMatrix(paths[1], d)},\\quad \\text{candidate path} = ${texMatrix(paths[2], d)}` },
    { text: `Largest absolute entries: ${paths.map((m) => texInline(size(m), d)).join(', ')}. The largest: ${richChoice(answer)}.` },
  ];
}
