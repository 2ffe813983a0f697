/** Seeded random instances for tests: scalar and small-vector RNN/LSTM, both loss conventions. */
import seedrandom from 'seedrandom';
import { GRU_BIASES, GRU_WEIGHTS, LSTM_BIASES, LSTM_WEIGHTS, type GruInstance, type LossKind, type LstmInstance, type Mat, type RnnInstance, type Vec } from '../../src/index.js';

export type Rng = () => number;
export const rngFor = (seed: string): Rng => seedrandom(seed);

const uniform = (rng: Rng, scale: number) => (rng() * 2 - 1) * scale;
export const randVec = (rng: Rng, n: number, scale = 1): Vec => Array.from({ length: n }, () => uniform(rng, scale));
export const randMat = (rng: Rng, r: number, c: number, scale = 1): Mat => Array.from({ length: r }, () => randVec(rng, c, scale));

export interface Shape { D: number; H: number; K: number; T: number; loss: LossKind }

export function randomShape(rng: Rng, vector: boolean, maxT = 20): Shape {
  const pick = (n: number) => 1 + Math.floor(rng() * n);
  return vector
    ? { D: pick(3), H: 1 + pick(3), K: pick(2), T: pick(maxT), loss: rng() < 0.5 ? 'last' : 'sum' }
    : { D: 1, H: 1, K: 1, T: pick(maxT), loss: rng() < 0.5 ? 'last' : 'sum' };
}

export function randomRnn(rng: Rng, { D, H, K, T, loss }: Shape, scale = 1): RnnInstance {
  return {
    model: 'rnn', U: randMat(rng, H, D, scale), W: randMat(rng, H, H, scale), V: randMat(rng, K, H, scale),
    b: randVec(rng, H, scale), c: randVec(rng, K, scale), s0: randVec(rng, H, 0.5),
    x: Array.from({ length: T }, () => randVec(rng, D)), y: Array.from({ length: T }, () => randVec(rng, K)), loss,
  };
}

export function randomLstm(rng: Rng, { D, H, K, T, loss }: Shape, scale = 1): LstmInstance {
  const inst = { model: 'lstm', V: randMat(rng, K, H, scale), by: randVec(rng, K, scale), h0: randVec(rng, H, 0.5), c0: randVec(rng, H, 0.5),
    x: Array.from({ length: T }, () => randVec(rng, D)), y: Array.from({ length: T }, () => randVec(rng, K)), loss } as Record<string, unknown>;
  for (const w of LSTM_WEIGHTS) inst[w] = randMat(rng, H, w.startsWith('Wx') ? D : H, scale);
  for (const b of LSTM_BIASES) inst[b] = randVec(rng, H, scale);
  return inst as unknown as LstmInstance;
}

export function randomGru(rng: Rng, { D, H, K, T, loss }: Shape, scale = 1): GruInstance {
  const inst = { model: 'gru', V: randMat(rng, K, H, scale), by: randVec(rng, K, scale), h0: randVec(rng, H, 0.5),
    x: Array.from({ length: T }, () => randVec(rng, D)), y: Array.from({ length: T }, () => randVec(rng, K)), loss } as Record<string, unknown>;
  for (const w of GRU_WEIGHTS) inst[w] = randMat(rng, H, w.startsWith('Wx') ? D : H, scale);
  for (const b of GRU_BIASES) inst[b] = randVec(rng, H, scale);
  return inst as unknown as GruInstance;
}

/** Largest |a − b| / max(|a|, |b|, floor) over two nested arrays of numbers. */
export function maxRelDiff(a: unknown, b: unknown, floor = 1e-12): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Infinity;
    return a.reduce((m: number, v, i) => Math.max(m, maxRelDiff(v, b[i], floor)), 0);
  }
  return Infinity;
}
