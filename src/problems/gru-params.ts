/**
 * Parameters banks give to the GRU problem types, the instance draw they share, and the "given"
 * lines and notation of a GRU (docs/math.md §5). Values come from grids, as for the RNN and LSTM.
 */
import { z } from 'zod';
import type { GruInstance } from '../models/instance.js';
import { sequenceLines, texGiven } from './common.js';
import { texVector } from './format.js';
import { gruForward } from '../models/gru.js';
import { networkParamsShape } from './params.js';
import type { Notation } from './types.js';
import { gridMatrix, gridVector, type Rng } from './random.js';

export const gruParamsShape = networkParamsShape;

export const gruParams = z.object(gruParamsShape).strict();
export type GruParams = z.infer<typeof gruParams>;

/**
 * A random GRU instance on the bank's grids. Weights (the six W's and V) are never 0: a zero weight
 * cuts a path and makes parts trivial. The draw order is fixed (gate by gate, r, z, n, then the
 * output layer, the initial state and the data) so seeds reproduce variants.
 */
export function drawGru(rng: Rng, p: GruParams): GruInstance {
  const { hidden: H, inputs: D, outputs: K, steps: T } = p;
  const bias = (n: number) => (p.biases ? gridVector(rng, p.weights, n) : new Array<number>(n).fill(0));
  const Wxr = gridMatrix(rng, p.weights, H, D, true), Whr = gridMatrix(rng, p.weights, H, H, true), br = bias(H);
  const Wxz = gridMatrix(rng, p.weights, H, D, true), Whz = gridMatrix(rng, p.weights, H, H, true), bz = bias(H);
  const Wxn = gridMatrix(rng, p.weights, H, D, true), Whn = gridMatrix(rng, p.weights, H, H, true), bn = bias(H);
  const V = gridMatrix(rng, p.weights, K, H, true), by = bias(K);
  const h0 = p.initialState === 'random' ? gridVector(rng, p.data, H) : new Array<number>(H).fill(0);
  return {
    model: 'gru',
    Wxr, Wxz, Wxn, Whr, Whz, Whn, br, bz, bn, V, by, h0,
    x: Array.from({ length: T }, () => gridVector(rng, p.data, D, true)),
    y: Array.from({ length: T }, () => gridVector(rng, p.data, K)),
    ...(p.loss === 'sum' ? { loss: 'sum' as const } : {}),
  };
}

/** The lines of TeX that state a GRU instance: gate by gate, the output layer, inputs, targets. */
export function gruGiven(inst: GruInstance): string[] {
  const lines = (['r', 'z', 'n'] as const).map((G) =>
    `W_{x${G}} = ${texGiven(inst[`Wx${G}`])},\\quad W_{h${G}} = ${texGiven(inst[`Wh${G}`])},\\quad b_${G} = ${texGiven(inst[`b${G}`])}`);
  lines.push(`V = ${texGiven(inst.V)},\\quad b_y = ${texGiven(inst.by)},\\quad h_0 = ${texGiven(inst.h0)}`);
  return [...lines, ...sequenceLines(inst)];
}

/**
 * The given lines of a question that prints the forward pass (rounded to `digits`): the data,
 * then r_t, z_t, n_t, h_t for every step, and with `outputs` the outputs the loss reads.
 */
export function gruGivenWithForward(inst: GruInstance, digits: number, outputs: boolean): string[] {
  const lines = gruGiven(inst);
  const fw = gruForward(inst);
  const T = inst.x.length;
  for (let t = 1; t <= T; t++) {
    const v = (name: 'r' | 'z' | 'n' | 'h') => `${name}_{${t}} = ${texVector(fw[name][t - 1]!, digits)}`;
    lines.push([v('r'), v('z'), v('n'), v('h')].join(',\\quad '));
  }
  if (outputs) {
    lines.push(inst.loss === 'sum'
      ? fw.yhat.map((v, t) => `\\hat y_{${t + 1}} = ${texVector(v, digits)}`).join(',\\quad ')
      : `\\hat y_{${T}} = ${texVector(fw.yhat[T - 1]!, digits)}`);
  }
  return lines;
}

/** The equations of docs/math.md §5 as the intros state them. */
export const GRU_EQUATIONS =
  'A GRU computes, for $t = 1, 2, \\dots$: the reset gate $r_t = \\sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r)$, ' +
  'the update gate $z_t = \\sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z)$, ' +
  'the candidate state $n_t = \\tanh(W_{xn} x_t + W_{hn} (r_t \\odot h_{t-1}) + b_n)$ (the reset gate applied before $W_{hn}$), ' +
  'the state $h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot n_t$ and the output $\\hat y_t = V h_t + b_y$. ' +
  'Write $a^r_t, a^z_t, a^n_t$ for the pre-activations, so $\\sigma\'(a^z_t) = z_t(1 - z_t)$ and $\\tanh\'(a^n_t) = 1 - n_t^2$.';

/** The GRU's equations as a notation the GRU questions of a sheet share. */
export const GRU_NOTATION: Notation = { id: 'gru', name: 'the GRU', text: GRU_EQUATIONS };
