/**
 * Parameters banks give to the RNN problem types, and the instance draw they share. Values come
 * from grids (multiples of a step in a range) so a student can work them by hand.
 */
import { z } from 'zod';
import type { RnnInstance } from '../models/instance.js';
import { gridMatrix, gridSchema, gridVector, type Rng } from './random.js';

const defaultGrid = { min: -1, max: 1, step: 0.1 };

/** The parameters every RNN and LSTM problem type shares. */
export const networkParamsShape = {
  /** H; 1 is the scalar RNN of the notes */
  hidden: z.number().int().min(1).max(4).default(1),
  /** D */
  inputs: z.number().int().min(1).max(3).default(1),
  /** K */
  outputs: z.number().int().min(1).max(2).default(1),
  /** T */
  steps: z.number().int().min(1).max(50).default(3),
  loss: z.enum(['last', 'sum']).default('last'),
  /** the grid U, W, V, b, c are drawn from */
  weights: gridSchema.default(defaultGrid),
  /** the grid x_t and y_t are drawn from */
  data: gridSchema.default(defaultGrid),
  /** s_0 = 0 as in the notes, or drawn from the data grid */
  initialState: z.enum(['zero', 'random']).default('zero'),
  /** whether biases are drawn (true) or zero */
  biases: z.boolean().default(true),
};

export const rnnParamsShape = networkParamsShape;

export const rnnParams = z.object(rnnParamsShape).strict();
export type RnnParams = z.infer<typeof rnnParams>;

/** A random RNN instance on the bank's grids; weights are never 0 (a zero weight makes a part trivial). */
export function drawRnn(rng: Rng, p: RnnParams): RnnInstance {
  const { hidden: H, inputs: D, outputs: K, steps: T } = p;
  const bias = (n: number) => (p.biases ? gridVector(rng, p.weights, n) : new Array<number>(n).fill(0));
  return {
    model: 'rnn',
    U: gridMatrix(rng, p.weights, H, D, true),
    W: gridMatrix(rng, p.weights, H, H, true),
    V: gridMatrix(rng, p.weights, K, H, true),
    b: bias(H),
    c: bias(K),
    s0: p.initialState === 'zero' ? new Array<number>(H).fill(0) : gridVector(rng, p.data, H),
    x: Array.from({ length: T }, () => gridVector(rng, p.data, D, true)),
    y: Array.from({ length: T }, () => gridVector(rng, p.data, K)),
    ...(p.loss === 'sum' ? { loss: 'sum' as const } : {}),
  };
}
