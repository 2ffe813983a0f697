/**
 * Parameters banks give to the LSTM problem types, the instance draw they share, the "given"
 * lines of an LSTM (docs/math.md §3), and the comparable RNN the memory questions set against it.
 * Values come from grids (multiples of a step in a range) so a student can work them by hand.
 */
import { z } from 'zod';
import { EXACT, rounders, type Convention } from '../models/convention.js';
import type { LstmForward, LstmSolution } from '../models/lstm.js';
import type { LstmInstance, Mat, RnnInstance, Vec } from '../models/instance.js';
import { addMat, diag, diagTimes, matMul, sigmoid } from '../models/linalg.js';
import { sequenceLines, texGiven } from './common.js';
import { networkParamsShape } from './params.js';
import { texVector } from './format.js';
import type { MistakeId } from './mistakes.js';
import type { Notation } from './types.js';
import { gridMatrix, gridSchema, gridVector, type Grid, type Rng } from './random.js';


/**
 * Gate saturation (the notes' "期末考试周" story): 'remember' keeps the forget gate open,
 * f_t ≥ 0.9 at every step and entry, so the cell path c_{t−1} → c_t carries memory far;
 * 'forget' shuts it, f_t ≤ 0.5; 'any' leaves f_t to the draw.
 */
export const LSTM_REGIMES = ['any', 'remember', 'forget'] as const;
export type LstmRegime = (typeof LSTM_REGIMES)[number];

export const REMEMBER_MIN_FORGET = 0.9;
export const FORGET_MAX_FORGET = 0.5;

export const lstmParamsShape = {
  ...networkParamsShape,
  regime: z.enum(LSTM_REGIMES).default('any'),
  /** the grid b_f is drawn from; by default the regime's (high for 'remember', low for 'forget') */
  forgetBias: gridSchema.optional(),
};

export const lstmParams = z.object(lstmParamsShape).strict();
export type LstmParams = z.infer<typeof lstmParams>;

/**
 * Where b_f comes from. σ(a) ≥ 0.9 needs a ≥ 2.2, and W_xf x_t + W_hf h_{t−1} can pull a^f_t down
 * by about D + H·|h| on the default grids, so 'remember' draws b_f from [2.5, 4.5]; 'forget'
 * (σ(a) ≤ 0.5, a ≤ 0) from [−3, −1]. The draw is then checked by `lstmRegimeMiss`.
 */
export function forgetBiasGrid(p: Pick<LstmParams, 'regime' | 'weights' | 'forgetBias'>): Grid {
  if (p.forgetBias) return p.forgetBias;
  if (p.regime === 'remember') return { min: 2.5, max: 4.5, step: p.weights.step };
  if (p.regime === 'forget') return { min: -3, max: -1, step: p.weights.step };
  return p.weights;
}

/**
 * A random LSTM instance on the bank's grids. Weights (the eight W's and V) are never 0: a zero
 * weight cuts a path of the notes and makes parts trivial. The draw order is fixed (gate by
 * gate, then the output layer, the initial state and the data) so seeds reproduce variants.
 */
export function drawLstm(rng: Rng, p: LstmParams): LstmInstance {
  const { hidden: H, inputs: D, outputs: K, steps: T } = p;
  const zeros = (n: number) => new Array<number>(n).fill(0);
  const bias = (n: number) => (p.biases ? gridVector(rng, p.weights, n) : zeros(n));
  const Wxf = gridMatrix(rng, p.weights, H, D, true), Whf = gridMatrix(rng, p.weights, H, H, true);
  const bf = p.biases || p.regime !== 'any' || p.forgetBias ? gridVector(rng, forgetBiasGrid(p), H) : zeros(H);
  const Wxi = gridMatrix(rng, p.weights, H, D, true), Whi = gridMatrix(rng, p.weights, H, H, true), bi = bias(H);
  const Wxg = gridMatrix(rng, p.weights, H, D, true), Whg = gridMatrix(rng, p.weights, H, H, true), bg = bias(H);
  const Wxo = gridMatrix(rng, p.weights, H, D, true), Who = gridMatrix(rng, p.weights, H, H, true), bo = bias(H);
  const V = gridMatrix(rng, p.weights, K, H, true), by = bias(K);
  const random = p.initialState === 'random';
  const h0 = random ? gridVector(rng, p.data, H) : zeros(H);
  const c0 = random ? gridVector(rng, p.data, H) : zeros(H);
  return {
    model: 'lstm',
    Wxf, Wxi, Wxg, Wxo, Whf, Whi, Whg, Who, bf, bi, bg, bo, V, by, h0, c0,
    x: Array.from({ length: T }, () => gridVector(rng, p.data, D, true)),
    y: Array.from({ length: T }, () => gridVector(rng, p.data, K)),
    ...(p.loss === 'sum' ? { loss: 'sum' as const } : {}),
  };
}

/** Why a solved draw misses the requested regime (every f_t entry checked), or null. */
export function lstmRegimeMiss(sol: LstmSolution, regime: LstmRegime): string | null {
  if (regime === 'any') return null;
  const f = sol.f.flat();
  if (regime === 'remember' && f.some((v) => v < REMEMBER_MIN_FORGET)) return `a forget gate below ${REMEMBER_MIN_FORGET}`;
  if (regime === 'forget' && f.some((v) => v > FORGET_MAX_FORGET)) return `a forget gate above ${FORGET_MAX_FORGET}`;
  return null;
}

/** The lines of TeX that state an LSTM instance: gate by gate, the output layer, inputs, targets. */
export function lstmGiven(inst: LstmInstance): string[] {
  const T = inst.x.length;
  const lines = (['f', 'i', 'g', 'o'] as const).map((G) =>
    `W_{x${G}} = ${texGiven(inst[`Wx${G}`])},\\quad W_{h${G}} = ${texGiven(inst[`Wh${G}`])},\\quad b_${G} = ${texGiven(inst[`b${G}`])}`);
  lines.push(`V = ${texGiven(inst.V)},\\quad b_y = ${texGiven(inst.by)},\\quad h_0 = ${texGiven(inst.h0)},\\quad c_0 = ${texGiven(inst.c0)}`);
  return [...lines, ...sequenceLines(inst)];
}

/** The forward values f_t, i_t, g_t, o_t, c_t, h_t of steps `from`..`to`, one line per step, rounded. */
export function lstmForwardLines(fw: Pick<LstmForward, 'f' | 'i' | 'g' | 'o' | 'c' | 'h'>, digits: number, from = 1, to = fw.f.length): string[] {
  const lines: string[] = [];
  for (let t = from; t <= to; t++) {
    const v = (name: 'f' | 'i' | 'g' | 'o' | 'c' | 'h') => `${name}_{${t}} = ${texVector(fw[name][t - 1]!, digits)}`;
    lines.push([v('f'), v('i'), v('g'), v('o'), v('c'), v('h')].join(',\\quad '));
  }
  return lines;
}

/** The equations of docs/math.md §3 as the intros state them. */
export const LSTM_EQUATIONS =
  'An LSTM (no peepholes) computes, for $t = 1, 2, \\dots$: the forget gate $f_t = \\sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)$, ' +
  'the input gate $i_t = \\sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i)$, the candidate memory $g_t = \\tilde c_t = \\tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)$, ' +
  'the output gate $o_t = \\sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)$, the cell $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$, ' +
  '$m_t = \\tanh(c_t)$, $h_t = o_t \\odot m_t$ and the output $\\hat y_t = V h_t + b_y$. ' +
  'Write $a^f_t, a^i_t, a^g_t, a^o_t$ for the pre-activations, so $\\sigma\'(a^f_t) = f_t(1 - f_t)$ and $\\tanh\'(a^g_t) = 1 - g_t^2$.';

/** The LSTM's equations as a notation the LSTM questions of a sheet share. */
export const LSTM_NOTATION: Notation = { id: 'lstm', name: 'the LSTM', text: LSTM_EQUATIONS };

/** The loss sentence of an LSTM question (its output is ŷ_t). */
export function lstmLossSentence(inst: { loss?: 'last' | 'sum'; x: unknown[] }): string {
  const T = inst.x.length;
  return inst.loss === 'sum'
    ? `The loss is the sum over all steps, $L = \\sum_{t=1}^{${T}} L_t$ with $L_t = \\tfrac12\\lVert y_t - \\hat y_t\\rVert^2$.`
    : `The loss is the loss at the last step, $L_{${T}} = \\tfrac12\\lVert y_{${T}} - \\hat y_{${T}}\\rVert^2$.`;
}

/**
 * The comparable RNN of an LSTM: the LSTM with its gates pinned — forget gate shut (f_t = 0),
 * input and output gates open (i_t = o_t = 1) and h_t = c_t. What is left is
 * c_t = g_t = tanh(W_xg x_t + W_hg c_{t−1} + b_g), the vanilla RNN of docs/math.md §2 with
 * U = W_xg, W = W_hg, b = b_g, s_0 = h_0, the same inputs, output layer (V, c = b_y) and targets.
 * It has exactly the LSTM's candidate-memory weights, so ∏ ∂s_j/∂s_{j−1} = ∏ tanh'(θ_j)·W_hg is
 * the long-range factor the LSTM's cell would have without its gates (the notes' closing
 * comparison). Derived deterministically, never stored in a key.
 */
export function comparableRnn(inst: LstmInstance): RnnInstance {
  return {
    model: 'rnn',
    U: inst.Wxg.map((row) => row.slice()),
    W: inst.Whg.map((row) => row.slice()),
    V: inst.V.map((row) => row.slice()),
    b: inst.bg.slice(),
    c: inst.by.slice(),
    s0: inst.h0.slice(),
    x: inst.x.map((v) => v.slice()),
    y: inst.y.map((v) => v.slice()),
    ...(inst.loss === 'sum' ? { loss: 'sum' as const } : {}),
  };
}

/** The sentence defining the comparable RNN, for prompts. */
export const COMPARABLE_RNN =
  'the comparable RNN is this LSTM with its gates pinned ($f_t = 0$, $i_t = o_t = 1$, $h_t = c_t$): ' +
  '$s_t = \\tanh(W_{xg} x_t + W_{hg} s_{t-1} + b_g)$ with $s_0 = h_0$ and the same inputs, i.e. the RNN of the notes with $U = W_{xg}$, $W = W_{hg}$, $b = b_g$; ' +
  'its one-step factor is $\\partial s_t/\\partial s_{t-1} = \\mathrm{diag}(1 - s_t^2)\\,W_{hg}$';

/**
 * The three paths through h_{t−1} in the total ∂c_t/∂c_{t−1} (docs/math.md §3.2), at step t ≥ 2:
 * diag(c_{t−1} ⊙ σ'(a^f_t)) W_hf D, diag(g_t ⊙ σ'(a^i_t)) W_hi D, diag(i_t ⊙ tanh'(a^g_t)) W_hg D,
 * with D = diag(o_{t−1} ⊙ (1 − tanh² c_{t−1})); under a Convention, with the factors `conv.cell`
 * drops or swaps, as `lstmCellJacobians` does.
 */
export function throughHPaths(inst: LstmInstance, fw: LstmForward, t: number, conv: Convention = EXACT): [Mat, Mat, Mat] {
  const H = inst.Whf.length;
  if (!conv.cell.throughH) return [diag(new Array<number>(H).fill(0)), diag(new Array<number>(H).fill(0)), diag(new Array<number>(H).fill(0))];
  const { r } = rounders(conv);
  const sp = (a: number) => conv.round(conv.sigmoidPrime(a, conv.round(sigmoid(a))));
  const tp = (a: number) => conv.round(conv.tanhPrime(a, conv.round(Math.tanh(a))));
  const k = t - 1;
  const cPrev = conv.cell.cellIsCurrent ? fw.c[k]! : fw.c[k - 1]!, oPrev = fw.o[k - 1]!;
  const dhdc = diag(r(cPrev.map((c, a) => (conv.cell.outputGate ? oPrev[a]! : 1) * (conv.cell.tanhPrimeCell ? conv.round(conv.tanhPrime(c, Math.tanh(c))) : 1))));
  const path = (scale: Vec, W: Mat) => matMul(diagTimes(r(scale), W), dhdc).map(r);
  return [
    path(cPrev.map((c, a) => c * sp(fw.af[k]![a]!)), inst.Whf),
    path(fw.g[k]!.map((g, a) => g * sp(fw.ai[k]![a]!)), inst.Whi),
    path(fw.i[k]!.map((i, a) => i * tp(fw.ag[k]![a]!)), inst.Whg),
  ];
}

/** The three paths through h_{t−1} added up, each sum rounded as written down under `conv`. */
export function throughHSum(paths: readonly Mat[], conv: Convention = EXACT): Mat {
  return paths.reduce((a, b) => addMat(a, b).map((row) => row.map(conv.round)));
}

/** The catalogued mistakes that sit inside the paths through h_{t−1} (f_t alone has none). */
export const THROUGH_H_MISTAKES: readonly MistakeId[] = ['cell-direct-only', 'cell-missing-output-gate', 'cell-missing-tanh-prime', 'cell-current-for-previous', 'sigma-tanh-prime-swapped'];
