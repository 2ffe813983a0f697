/**
 * `gradsheet solve`'s default output computed in one pass over flat arrays: the forward pass
 * and the BPTT recurrences of docs/math.md §2–3, fused, for exactly the keys it prints
 * (solve.ts's PRINTED), handed to an Emitter as they are laid out in memory.
 *
 * This is a third implementation, for speed only: solving thousands of instances in a fresh
 * process, the engine's tape (one record, one allocation per operation) cost more than the
 * arithmetic. It is held to forward-mode dual numbers (tests/independent-solver.test.ts) and to
 * the engine (tests/solve-adversarial.test.ts) on every test run: the same keys, the same shapes,
 * the numbers equal to within rounding.
 */
import type { LstmInstance, Mat, RnnInstance, Vec } from './instance.js';
import { logistic } from '../engine/autodiff.js';

/** Receives values in order: a number, an array of numbers, or an array whose n values follow. */
export interface Emitter {
  number(x: number): void;
  leaf(data: Float64Array, offset: number, n: number): void;
  array(n: number): void;
}

/** Scratch memory, reused from instance to instance: regions are handed out from the start. */
let arena = new Float64Array(1 << 16);
let top = 0;

function take(n: number): number {
  const at = top;
  top += n;
  if (top > arena.length) {
    const grown = new Float64Array(Math.max(top, 2 * arena.length));
    grown.set(arena.subarray(0, at));
    arena = grown;
  }
  return at;
}

/**
 * A pre-activation, or NaN if its sum overflowed on the way: tanh and σ would squash ±∞ to a
 * finite value and hide the overflow, which the printed solution must report (as the engine does).
 */
function finite(x: number): number {
  return Number.isFinite(x) ? x : NaN;
}

/** Copies a matrix (rows of equal length) into the arena, row after row. */
function matrixIn(m: Mat | Vec[], rows: number, cols: number): number {
  const at = take(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = m[r]!;
    for (let j = 0; j < cols; j++) arena[at + r * cols + j] = row[j]!;
  }
  return at;
}

function vectorIn(v: Vec, n: number): number {
  const at = take(n);
  for (let j = 0; j < n; j++) arena[at + j] = v[j]!;
  return at;
}

function zeros(n: number): number {
  const at = take(n);
  arena.fill(0, at, at + n);
  return at;
}

function emitMatrix(e: Emitter, at: number, rows: number, cols: number): void {
  e.array(rows);
  for (let r = 0; r < rows; r++) e.leaf(arena, at + r * cols, cols);
}

/** T vectors of length n, stored one after another. */
function emitVectors(e: Emitter, at: number, T: number, n: number): void {
  e.array(T);
  for (let t = 0; t < T; t++) e.leaf(arena, at + t * n, n);
}

/** T matrices rows×cols, stored one after another. */
function emitMatrices(e: Emitter, at: number, T: number, rows: number, cols: number): void {
  e.array(T);
  for (let t = 0; t < T; t++) emitMatrix(e, at + t * rows * cols, rows, cols);
}

/** out[r] (+)= Σ_j M[r][j] v[j] for an rows×cols matrix M. */
function matVecInto(out: number, M: number, v: number, rows: number, cols: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    let s = accumulate ? arena[out + r]! : 0;
    for (let j = 0; j < cols; j++) s += arena[M + r * cols + j]! * arena[v + j]!;
    arena[out + r] = s;
  }
}

/** out[j] += Σ_r M[r][j] v[r]: Mᵀv for an rows×cols matrix M. */
function matTVecAdd(out: number, M: number, v: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const vr = arena[v + r]!;
    for (let j = 0; j < cols; j++) arena[out + j] = arena[out + j]! + arena[M + r * cols + j]! * vr;
  }
}

/** out (+)= u vᵀ, rows×cols. */
function outerInto(out: number, u: number, v: number, rows: number, cols: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    const ur = arena[u + r]!;
    for (let j = 0; j < cols; j++) {
      const p = ur * arena[v + j]!;
      arena[out + r * cols + j] = accumulate ? arena[out + r * cols + j]! + p : p;
    }
  }
}

/** The output of one step, out = V·state + bias (K of them), its error out − target into err, and L_t = ½‖err‖². */
function outputStep(out: number, V: number, state: number, bias: number, target: number, err: number, K: number, H: number): number {
  matVecInto(out, V, state, K, H, false);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const value = arena[out + k]! + arena[bias + k]!;
    arena[out + k] = value;
    const d = value - arena[target + k]!;
    arena[err + k] = d;
    sum += d * d;
  }
  return 0.5 * sum;
}

function countedSteps(loss: string | undefined, T: number): Uint8Array {
  const counted = new Uint8Array(T);
  if (loss === 'sum') counted.fill(1);
  else counted[T - 1] = 1;
  return counted;
}

/** RNN (docs/math.md §2): s, o, loss, dL_dU, dL_dW, dL_dV, dL_db, dL_dc, dL_dU_by_step, ds_ds_prev. */
export function emitRnn(inst: RnnInstance, e: Emitter): void {
  top = 0;
  const T = inst.x.length, D = inst.U[0]!.length, H = inst.W.length, K = inst.V.length;
  const U = matrixIn(inst.U, H, D), W = matrixIn(inst.W, H, H), V = matrixIn(inst.V, K, H);
  const b = vectorIn(inst.b, H), c = vectorIn(inst.c, K);
  const x = matrixIn(inst.x, T, D), y = matrixIn(inst.y, T, K);
  // states s_0..s_T (s_0 first), outputs, errors o_t − y_t
  const s = take((T + 1) * H), o = take(T * K), err = take(T * K);
  for (let a = 0; a < H; a++) arena[s + a] = inst.s0[a]!;
  const counted = countedSteps(inst.loss, T);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const prev = s + t * H, st = s + (t + 1) * H;
    matVecInto(st, U, x + t * D, H, D, false);
    matVecInto(st, W, prev, H, H, true);
    for (let a = 0; a < H; a++) arena[st + a] = Math.tanh(finite(arena[st + a]! + arena[b + a]!));
    const lt = outputStep(o + t * K, V, st, c, y + t * K, err + t * K, K, H);
    if (counted[t]) loss += lt;
  }

  // backwards: δ_t = ∂L/∂θ_t = (Vᵀe_t [if counted] + Wᵀδ_{t+1}) ⊙ (1 − s_t²)
  const dU = zeros(H * D), dW = zeros(H * H), dV = zeros(K * H), db = zeros(H), dc = zeros(K);
  const byStepU = take(T * H * D), delta = take(H), next = zeros(H);
  for (let t = T - 1; t >= 0; t--) {
    const st = s + (t + 1) * H, prev = s + t * H;
    for (let a = 0; a < H; a++) arena[delta + a] = 0;
    if (counted[t]) {
      matTVecAdd(delta, V, err + t * K, K, H);
      outerInto(dV, err + t * K, st, K, H, true);
      for (let k = 0; k < K; k++) arena[dc + k] = arena[dc + k]! + arena[err + t * K + k]!;
    }
    for (let a = 0; a < H; a++) {
      const sa = arena[st + a]!;
      arena[delta + a] = (arena[delta + a]! + arena[next + a]!) * (1 - sa * sa);
    }
    outerInto(byStepU + t * H * D, delta, x + t * D, H, D, false);
    outerInto(dU, delta, x + t * D, H, D, true);
    outerInto(dW, delta, prev, H, H, true);
    for (let a = 0; a < H; a++) arena[db + a] = arena[db + a]! + arena[delta + a]!;
    // Wᵀδ_t, carried to step t − 1
    for (let a = 0; a < H; a++) arena[next + a] = 0;
    matTVecAdd(next, W, delta, H, H);
  }

  // ∂s_j/∂s_{j−1} = diag(1 − s_j²)·W
  const jac = take(T * H * H);
  for (let t = 0; t < T; t++) {
    for (let a = 0; a < H; a++) {
      const sa = arena[s + (t + 1) * H + a]!, d = 1 - sa * sa;
      for (let j = 0; j < H; j++) arena[jac + t * H * H + a * H + j] = d * arena[W + a * H + j]!;
    }
  }

  emitVectors(e, s + H, T, H);
  emitVectors(e, o, T, K);
  e.number(loss);
  emitMatrix(e, dU, H, D);
  emitMatrix(e, dW, H, H);
  emitMatrix(e, dV, K, H);
  e.leaf(arena, db, H);
  e.leaf(arena, dc, K);
  emitMatrices(e, byStepU, T, H, D);
  emitMatrices(e, jac, T, H, H);
}

const GATES = ['f', 'i', 'g', 'o'] as const;
const INPUT_WEIGHTS = ['Wxf', 'Wxi', 'Wxg', 'Wxo'] as const;
const RECURRENT_WEIGHTS = ['Whf', 'Whi', 'Whg', 'Who'] as const;
const BIASES = ['bf', 'bi', 'bg', 'bo'] as const;

/**
 * LSTM (docs/math.md §3): f, i, g, o, c, h, yhat, loss, the eight weights' and four biases' gradients,
 * dL_dV, dL_dby, dL_dWhf_by_step, dc_dc_prev_direct, dc_dc_prev.
 */
export function emitLstm(inst: LstmInstance, e: Emitter): void {
  top = 0;
  const T = inst.x.length, D = inst.Wxf[0]!.length, H = inst.Whf.length, K = inst.V.length;
  const Wx = INPUT_WEIGHTS.map((w) => matrixIn(inst[w], H, D));
  const Wh = RECURRENT_WEIGHTS.map((w) => matrixIn(inst[w], H, H));
  const bias = BIASES.map((w) => vectorIn(inst[w], H));
  const V = matrixIn(inst.V, K, H), by = vectorIn(inst.by, K);
  const x = matrixIn(inst.x, T, D), y = matrixIn(inst.y, T, K);
  // per gate G: its value at t = 1..T; h and c with the initial state first
  const gate = GATES.map(() => take(T * H));
  const [F, I, G, O] = gate as [number, number, number, number];
  const h = take((T + 1) * H), c = take((T + 1) * H), m = take(T * H);
  const yhat = take(T * K), err = take(T * K);
  for (let a = 0; a < H; a++) {
    arena[h + a] = inst.h0[a]!;
    arena[c + a] = inst.c0[a]!;
  }
  const counted = countedSteps(inst.loss, T);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const hPrev = h + t * H, cPrev = c + t * H, ht = h + (t + 1) * H, ct = c + (t + 1) * H;
    for (let q = 0; q < 4; q++) {
      const out = gate[q]! + t * H;
      matVecInto(out, Wx[q]!, x + t * D, H, D, false);
      matVecInto(out, Wh[q]!, hPrev, H, H, true);
      for (let a = 0; a < H; a++) {
        const pre = finite(arena[out + a]! + arena[bias[q]! + a]!);
        arena[out + a] = q === 2 ? Math.tanh(pre) : logistic(pre);
      }
    }
    for (let a = 0; a < H; a++) {
      const ca = arena[F + t * H + a]! * arena[cPrev + a]! + arena[I + t * H + a]! * arena[G + t * H + a]!;
      arena[ct + a] = ca;
      const ma = Math.tanh(ca);
      arena[m + t * H + a] = ma;
      arena[ht + a] = arena[O + t * H + a]! * ma;
    }
    const lt = outputStep(yhat + t * K, V, ht, by, y + t * K, err + t * K, K, H);
    if (counted[t]) loss += lt;
  }

  // backwards (lstmClosedForm's recurrences): dh = ∂L/∂h_t, dc = ∂L/∂c_t, δ^G_t = ∂L/∂a^G_t
  const dWx = GATES.map(() => zeros(H * D)), dWh = GATES.map(() => zeros(H * H)), db = GATES.map(() => zeros(H));
  const dV = zeros(K * H), dby = zeros(K);
  const byStepWhf = take(T * H * H);
  const dh = take(H), dcell = zeros(H), dhNext = zeros(H), delta = GATES.map(() => take(H));
  for (let t = T - 1; t >= 0; t--) {
    const ht = h + (t + 1) * H, hPrev = h + t * H, cPrev = c + t * H;
    for (let a = 0; a < H; a++) arena[dh + a] = arena[dhNext + a]!;
    if (counted[t]) {
      matTVecAdd(dh, V, err + t * K, K, H);
      outerInto(dV, err + t * K, ht, K, H, true);
      for (let k = 0; k < K; k++) arena[dby + k] = arena[dby + k]! + arena[err + t * K + k]!;
    }
    for (let a = 0; a < H; a++) {
      const at = t * H + a, dha = arena[dh + a]!;
      const f = arena[F + at]!, i = arena[I + at]!, g = arena[G + at]!, o = arena[O + at]!, ma = arena[m + at]!;
      // ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ (1 − m_t²) + ∂L/∂c_{t+1} ⊙ f_{t+1} (the latter carried in dcell)
      const dca = dha * o * (1 - ma * ma) + arena[dcell + a]!;
      arena[delta[0]! + a] = dca * arena[cPrev + a]! * (f * (1 - f));
      arena[delta[1]! + a] = dca * g * (i * (1 - i));
      arena[delta[2]! + a] = dca * i * (1 - g * g);
      arena[delta[3]! + a] = dha * ma * (o * (1 - o));
      arena[dcell + a] = dca * f;
    }
    for (let a = 0; a < H; a++) arena[dhNext + a] = 0;
    for (let q = 0; q < 4; q++) {
      outerInto(dWx[q]!, delta[q]!, x + t * D, H, D, true);
      outerInto(dWh[q]!, delta[q]!, hPrev, H, H, true);
      for (let a = 0; a < H; a++) arena[db[q]! + a] = arena[db[q]! + a]! + arena[delta[q]! + a]!;
      matTVecAdd(dhNext, Wh[q]!, delta[q]!, H, H);
    }
    outerInto(byStepWhf + t * H * H, delta[0]!, hPrev, H, H, false);
  }

  // ∂c_t/∂c_{t−1}: diag(f_t), and for t ≥ 2 the paths through h_{t−1} as well (docs/math.md §3.2)
  const direct = zeros(T * H * H), total = take(T * H * H);
  for (let t = 0; t < T; t++) {
    const at = t * H * H;
    for (let a = 0; a < H; a++) arena[direct + at + a * H + a] = arena[F + t * H + a]!;
    if (t === 0) {
      arena.copyWithin(total + at, direct + at, direct + at + H * H);
      continue;
    }
    const cPrev = c + t * H;
    for (let a = 0; a < H; a++) {
      const f = arena[F + t * H + a]!, i = arena[I + t * H + a]!, g = arena[G + t * H + a]!;
      const viaF = arena[cPrev + a]! * (f * (1 - f)), viaI = g * (i * (1 - i)), viaG = i * (1 - g * g);
      for (let j = 0; j < H; j++) {
        const mPrev = arena[m + (t - 1) * H + j]!;
        const dhdc = arena[O + (t - 1) * H + j]! * (1 - mPrev * mPrev);
        const through = (viaF * arena[Wh[0]! + a * H + j]! + viaI * arena[Wh[1]! + a * H + j]! + viaG * arena[Wh[2]! + a * H + j]!) * dhdc;
        arena[total + at + a * H + j] = arena[direct + at + a * H + j]! + through;
      }
    }
  }

  for (const q of [F, I, G, O]) emitVectors(e, q, T, H);
  emitVectors(e, c + H, T, H);
  emitVectors(e, h + H, T, H);
  emitVectors(e, yhat, T, K);
  e.number(loss);
  for (let q = 0; q < 4; q++) emitMatrix(e, dWx[q]!, H, D);
  for (let q = 0; q < 4; q++) emitMatrix(e, dWh[q]!, H, H);
  for (let q = 0; q < 4; q++) e.leaf(arena, db[q]!, H);
  emitMatrix(e, dV, K, H);
  e.leaf(arena, dby, K);
  emitMatrices(e, byStepWhf, T, H, H);
  emitMatrices(e, direct, T, H, H);
  emitMatrices(e, total, T, H, H);
}

/** Any JSON-like value made of numbers and arrays, emitted as it stands (for the other models). */
export function emitValue(e: Emitter, v: unknown): void {
  if (typeof v === 'number') return e.number(v);
  const a = v as readonly unknown[];
  if (a.length === 0 || typeof a[0] === 'number') {
    e.array(a.length);
    for (let i = 0; i < a.length; i++) e.number(a[i] as number);
    return;
  }
  e.array(a.length);
  for (let i = 0; i < a.length; i++) emitValue(e, a[i]);
}

/** Builds the emitted values as plain arrays and numbers. */
export class ValueBuilder implements Emitter {
  readonly values: unknown[] = [];
  private readonly open: { items: unknown[]; remaining: number }[] = [];

  number(x: number): void {
    this.add(x);
  }

  leaf(data: Float64Array, offset: number, n: number): void {
    const items: number[] = [];
    for (let i = 0; i < n; i++) items.push(data[offset + i]!);
    this.add(items);
  }

  array(n: number): void {
    if (n === 0) this.add([]);
    else this.open.push({ items: [], remaining: n });
  }

  private add(v: unknown): void {
    const parent = this.open.at(-1);
    if (parent === undefined) {
      this.values.push(v);
      return;
    }
    parent.items.push(v);
    if (--parent.remaining === 0) {
      this.open.pop();
      this.add(parent.items);
    }
  }
}
