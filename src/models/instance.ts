/**
 * The instance contract of docs/math.md §4: the parsed types and a fast well-formedness check. The
 * zod schemas that decide validity and word the errors are in instance-schema.ts, which the
 * `solve` command loads only when some input is not well formed.
 */
export type Vec = number[];
export type Mat = number[][];
export type LossKind = 'last' | 'sum';

export interface RnnInstance {
  model: 'rnn';
  U: Mat; W: Mat; V: Mat;
  b: Vec; c: Vec; s0: Vec;
  x: Vec[]; y: Vec[];
  loss?: LossKind;
}

export const LSTM_GATES = ['f', 'i', 'g', 'o'] as const;
export type Gate = (typeof LSTM_GATES)[number];
export const LSTM_WEIGHTS = ['Wxf', 'Wxi', 'Wxg', 'Wxo', 'Whf', 'Whi', 'Whg', 'Who'] as const;
export type LstmWeight = (typeof LSTM_WEIGHTS)[number];
export const LSTM_BIASES = ['bf', 'bi', 'bg', 'bo'] as const;
export type LstmBias = (typeof LSTM_BIASES)[number];

export interface LstmInstance extends Record<LstmWeight, Mat>, Record<LstmBias, Vec> {
  model: 'lstm';
  V: Mat; by: Vec; h0: Vec; c0: Vec;
  x: Vec[]; y: Vec[];
  loss?: LossKind;
}

export const GRU_GATES = ['r', 'z', 'n'] as const;
export type GruGate = (typeof GRU_GATES)[number];
export const GRU_WEIGHTS = ['Wxr', 'Wxz', 'Wxn', 'Whr', 'Whz', 'Whn'] as const;
export type GruWeight = (typeof GRU_WEIGHTS)[number];
export const GRU_BIASES = ['br', 'bz', 'bn'] as const;
export type GruBias = (typeof GRU_BIASES)[number];

/** The GRU of docs/math.md §5 (reset gate applied before W_hn). */
export interface GruInstance extends Record<GruWeight, Mat>, Record<GruBias, Vec> {
  model: 'gru';
  V: Mat; by: Vec; h0: Vec;
  x: Vec[]; y: Vec[];
  loss?: LossKind;
}

/** docs/math.md §1's activations at given points (the `activations` problem type's instance). */
export interface ActivationsInstance {
  model: 'activations';
  x: number[];
}

export type NetworkInstance = RnnInstance | LstmInstance | GruInstance;
export type Instance = NetworkInstance | ActivationsInstance;

interface Dims { D: number; H: number; K: number; T: number }

export function dims(inst: NetworkInstance): Dims {
  const H = inst.model === 'rnn' ? inst.W.length : inst.model === 'lstm' ? inst.Whf.length : inst.Whn.length;
  return { D: inst.x[0]!.length, H, K: inst.y[0]!.length, T: inst.x.length };
}

function isNumberVec(v: unknown, length: number): boolean {
  if (!Array.isArray(v) || v.length !== length || length === 0) return false;
  // finite: JSON.parse turns 1e999 into Infinity, which the schema (rightly) refuses
  for (let i = 0; i < length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

function isNumberMat(v: unknown, rows: number, cols: number): boolean {
  if (!Array.isArray(v) || v.length !== rows || rows === 0) return false;
  for (let r = 0; r < rows; r++) if (!isNumberVec(v[r], cols)) return false;
  return true;
}

const DIMENSION_KEYS = { rnn: 'W', lstm: 'Whf', gru: 'Whn' } as const;

/**
 * True only for instances the schema of instance-schema.ts accepts (never the reverse: anything
 * it does not vouch for goes to zod, which decides and words the errors). Zod's generic walk over
 * thousands of instances cost about as much as solving them, and loading zod itself ~0.1 s of a
 * `solve` run; this is one pass of plain loops.
 */
export function isWellFormedInstance(input: unknown): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const o = input as Record<string, unknown>;
  const model = o.model;
  if (model === 'activations') return isNumberVec(o.x, Array.isArray(o.x) ? o.x.length : 0);
  if (model !== 'rnn' && model !== 'lstm' && model !== 'gru') return false;
  if (o.loss !== undefined && o.loss !== 'last' && o.loss !== 'sum') return false;
  const x = o.x, y = o.y, rec = o[DIMENSION_KEYS[model]];
  if (!Array.isArray(x) || !Array.isArray(y) || !Array.isArray(rec) || !Array.isArray(x[0]) || !Array.isArray(y[0])) return false;
  const T = x.length, D = (x[0] as unknown[]).length, K = (y[0] as unknown[]).length, H = rec.length;
  if (!isNumberMat(x, T, D) || !isNumberMat(y, T, K) || !isNumberMat(o.V, K, H)) return false;
  if (model === 'rnn') {
    return isNumberMat(o.U, H, D) && isNumberMat(o.W, H, H) && isNumberVec(o.b, H) && isNumberVec(o.s0, H) && isNumberVec(o.c, K);
  }
  if (model === 'gru') {
    for (const w of GRU_WEIGHTS) if (!isNumberMat(o[w], H, w.startsWith('Wx') ? D : H)) return false;
    for (const b of GRU_BIASES) if (!isNumberVec(o[b], H)) return false;
    return isNumberVec(o.by, K) && isNumberVec(o.h0, H);
  }
  for (const w of LSTM_WEIGHTS) if (!isNumberMat(o[w], H, w.startsWith('Wx') ? D : H)) return false;
  for (const b of LSTM_BIASES) if (!isNumberVec(o[b], H)) return false;
  return isNumberVec(o.by, K) && isNumberVec(o.h0, H) && isNumberVec(o.c0, H);
}

/** "instance" for a lone one, "instance 3 of the array" for `$[2]`. */
export function instanceLabel(root: string): string {
  const index = /^\$\[(\d+)\]$/.exec(root);
  return index ? `instance ${Number(index[1]) + 1} of the array` : 'instance';
}
