/**
 * Independent check of the solver against a second implementation that shares no code with it:
 * forward-mode automatic differentiation with dual numbers, run over the forward passes of
 * docs/math.md §2 (RNN), §3 (LSTM) and §5 (GRU). Each gradient entry is the tangent of the loss after seeding
 * that one parameter entry's tangent with 1; per-step terms seed only the copy used at step k;
 * state Jacobians seed the previous state's tangent. Only the public API is imported.
 */
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { solveInput, solveToJson } from '../src/index.js';

/** A dual number v + d·ε with ε² = 0: carries a value and its directional derivative. */
class Dual {
  constructor(readonly v: number, readonly d = 0) {}
  add(o: Dual): Dual { return new Dual(this.v + o.v, this.d + o.d); }
  mul(o: Dual): Dual { return new Dual(this.v * o.v, this.d * o.v + this.v * o.d); }
  tanh(): Dual { const t = Math.tanh(this.v); return new Dual(t, (1 - t * t) * this.d); }
  sigmoid(): Dual { const s = 1 / (1 + Math.exp(-this.v)); return new Dual(s, s * (1 - s) * this.d); }
}

type Vec = number[];
type Mat = number[][];
type Tree = number | Tree[];
type LossKind = 'last' | 'sum' | undefined;
type Instance = Record<string, unknown> & { model: 'rnn' | 'lstm' | 'gru'; x: Mat; y: Mat; loss?: 'last' | 'sum' };
interface Dims { T: number; H: number; D: number; K: number }
/** Which parameter entry carries tangent 1; `step` restricts the seed to the use at that step. */
interface Seed { name: string; r: number; c: number; step?: number }

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sum = (xs: Dual[]): Dual => xs.reduce((a, b) => a.add(b), new Dual(0));
const halfSquaredError = (out: Dual[], y: Vec): Dual =>
  sum(out.map((o, k) => { const e = o.add(new Dual(-y[k]!)); return e.mul(e); })).mul(new Dual(0.5));
const constants = (v: Vec): Dual[] => v.map((a) => new Dual(a));

/** Parameter access at time step t, with the seeded entry's tangent set to 1. */
function params(inst: Instance, seed: Seed | undefined) {
  const tangent = (name: string, t: number, r: number, c: number): number =>
    seed !== undefined && seed.name === name && seed.r === r && seed.c === c &&
    (seed.step === undefined || seed.step === t) ? 1 : 0;
  return {
    /** Row r of matrix `name` times v, i.e. (M v)[r]. */
    dot: (name: string, t: number, r: number, v: Dual[]): Dual =>
      sum((inst[name] as Mat)[r]!.map((m, c) => new Dual(m, tangent(name, t, r, c)).mul(v[c]!))),
    /** Entry r of bias vector `name` (seeds use c = 0 for vectors). */
    at: (name: string, t: number, r: number): Dual => new Dual((inst[name] as Vec)[r]!, tangent(name, t, r, 0)),
  };
}

function dimsOf(inst: Instance): Dims {
  const V = inst.V as Mat;
  return { T: inst.x.length, H: V[0]!.length, D: inst.x[0]!.length, K: V.length };
}

function totalLoss(inst: Instance, losses: Dual[]): Dual {
  return inst.loss === 'sum' ? sum(losses) : losses[losses.length - 1]!;
}

// ---- RNN, docs/math.md §2: θ_t = U x_t + W s_{t−1} + b, s_t = tanh θ_t, o_t = V s_t + c -------------

/** One forward pass; `stateSeed` replaces s_{t−1}'s tangent by e_idx at the start of step t. */
function rnnRun(inst: Instance, seed?: Seed, stateSeed?: { t: number; idx: number }) {
  const { T, H, K } = dimsOf(inst);
  const P = params(inst, seed);
  let s = constants(inst.s0 as Vec);
  const S: Dual[][] = [], O: Dual[][] = [], losses: Dual[] = [];
  for (let t = 1; t <= T; t++) {
    if (stateSeed?.t === t) s = s.map((d, j) => new Dual(d.v, j === stateSeed.idx ? 1 : 0));
    const x = constants(inst.x[t - 1]!);
    const prev = s;
    s = range(H).map((a) => P.dot('U', t, a, x).add(P.dot('W', t, a, prev)).add(P.at('b', t, a)).tanh());
    const o = range(K).map((k) => P.dot('V', t, k, s).add(P.at('c', t, k)));
    S.push(s); O.push(o); losses.push(halfSquaredError(o, inst.y[t - 1]!));
  }
  return { S, O, loss: totalLoss(inst, losses) };
}

// ---- LSTM, docs/math.md §3: gates f, i, g, o; c_t = f⊙c_{t−1} + i⊙g; h_t = o⊙tanh(c_t); ŷ = V h + b_y -----

type CellSeed = { t: number; idx: number; direct: boolean };

/**
 * One forward pass. `cellSeed` replaces c_{t−1}'s tangent by e_idx at the start of step t; unless
 * `direct`, h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1}) is recomputed with o_{t−1} held fixed (t ≥ 2 only:
 * h_0 is an input), so the perturbation also reaches step t through the gates.
 */
function lstmRun(inst: Instance, seed?: Seed, cellSeed?: CellSeed) {
  const { T, H, K } = dimsOf(inst);
  const P = params(inst, seed);
  let h = constants(inst.h0 as Vec), c = constants(inst.c0 as Vec);
  let oPrev: Dual[] = [];
  const out = { f: [] as Dual[][], i: [] as Dual[][], g: [] as Dual[][], o: [] as Dual[][], c: [] as Dual[][], h: [] as Dual[][], yhat: [] as Dual[][] };
  const losses: Dual[] = [];
  for (let t = 1; t <= T; t++) {
    if (cellSeed?.t === t) {
      c = c.map((d, j) => new Dual(d.v, j === cellSeed.idx ? 1 : 0));
      if (!cellSeed.direct && t >= 2) h = c.map((cj, j) => new Dual(oPrev[j]!.v).mul(cj.tanh()));
    }
    const x = constants(inst.x[t - 1]!);
    const hPrev = h, cPrev = c;
    const pre = (gate: string, a: number): Dual =>
      P.dot(`Wx${gate}`, t, a, x).add(P.dot(`Wh${gate}`, t, a, hPrev)).add(P.at(`b${gate}`, t, a));
    const f = range(H).map((a) => pre('f', a).sigmoid());
    const i = range(H).map((a) => pre('i', a).sigmoid());
    const g = range(H).map((a) => pre('g', a).tanh());
    const o = range(H).map((a) => pre('o', a).sigmoid());
    c = range(H).map((a) => f[a]!.mul(cPrev[a]!).add(i[a]!.mul(g[a]!)));
    h = range(H).map((a) => o[a]!.mul(c[a]!.tanh()));
    const yhat = range(K).map((k) => P.dot('V', t, k, h).add(P.at('by', t, k)));
    oPrev = o;
    out.f.push(f); out.i.push(i); out.g.push(g); out.o.push(o); out.c.push(c); out.h.push(h); out.yhat.push(yhat);
    losses.push(halfSquaredError(yhat, inst.y[t - 1]!));
  }
  return { ...out, loss: totalLoss(inst, losses) };
}

// ---- GRU, docs/math.md §5: r, z gates; n = tanh(W_xn x + W_hn (r ⊙ h_{t−1}) + b_n); h = z⊙h_{t−1} + (1−z)⊙n ----

/**
 * One forward pass. `stateSeed` replaces h_{t−1}'s tangent by e_idx at the start of step t; if
 * `direct`, only the carry term z_t ⊙ h_{t−1} sees it (the gates and n_t use h_{t−1} untouched).
 */
function gruRun(inst: Instance, seed?: Seed, stateSeed?: CellSeed) {
  const { T, H, K } = dimsOf(inst);
  const P = params(inst, seed);
  let h = constants(inst.h0 as Vec);
  const out = { r: [] as Dual[][], z: [] as Dual[][], n: [] as Dual[][], h: [] as Dual[][], yhat: [] as Dual[][] };
  const losses: Dual[] = [];
  for (let t = 1; t <= T; t++) {
    let carried = h;
    if (stateSeed?.t === t) {
      const seeded = h.map((d, j) => new Dual(d.v, j === stateSeed.idx ? 1 : 0));
      carried = seeded;
      h = stateSeed.direct ? h.map((d) => new Dual(d.v)) : seeded;
    }
    const x = constants(inst.x[t - 1]!);
    const hPrev = h;
    const pre = (gate: string, a: number, state: Dual[]): Dual =>
      P.dot(`Wx${gate}`, t, a, x).add(P.dot(`Wh${gate}`, t, a, state)).add(P.at(`b${gate}`, t, a));
    const r = range(H).map((a) => pre('r', a, hPrev).sigmoid());
    const z = range(H).map((a) => pre('z', a, hPrev).sigmoid());
    const reset = range(H).map((a) => r[a]!.mul(hPrev[a]!));
    const n = range(H).map((a) => pre('n', a, reset).tanh());
    h = range(H).map((a) => z[a]!.mul(carried[a]!).add(new Dual(1).add(z[a]!.mul(new Dual(-1))).mul(n[a]!)));
    const yhat = range(K).map((k) => P.dot('V', t, k, h).add(P.at('by', t, k)));
    out.r.push(r); out.z.push(z); out.n.push(n); out.h.push(h); out.yhat.push(yhat);
    losses.push(halfSquaredError(yhat, inst.y[t - 1]!));
  }
  return { ...out, loss: totalLoss(inst, losses) };
}

// ---- Reference solutions: one forward pass per seeded entry --------------------------------------

const values = (seq: Dual[][]): Mat => seq.map((row) => row.map((d) => d.v));
const gradMat = (run: (s: Seed) => Dual, name: string, rows: number, cols: number, step?: number): Mat =>
  range(rows).map((r) => range(cols).map((c) => run(step === undefined ? { name, r, c } : { name, r, c, step }).d));
const gradVec = (run: (s: Seed) => Dual, name: string, n: number): Vec => range(n).map((r) => run({ name, r, c: 0 }).d);
/** Jacobian [a][b] = ∂state_t[a]/∂state_{t−1}[b], one seeded run per column b, for t = 1..T. */
const jacobians = (T: number, H: number, column: (t: number, b: number) => Dual[]): Mat[] =>
  range(T).map((k) => {
    const cols = range(H).map((b) => column(k + 1, b));
    return range(H).map((a) => range(H).map((b) => cols[b]![a]!.d));
  });

function rnnReference(inst: Instance): Record<string, Tree> {
  const { T, H, D, K } = dimsOf(inst);
  const base = rnnRun(inst);
  const run = (s: Seed): Dual => rnnRun(inst, s).loss;
  return {
    s: values(base.S), o: values(base.O), loss: base.loss.v,
    dL_dU: gradMat(run, 'U', H, D), dL_dW: gradMat(run, 'W', H, H), dL_dV: gradMat(run, 'V', K, H),
    dL_db: gradVec(run, 'b', H), dL_dc: gradVec(run, 'c', K),
    dL_dU_by_step: range(T).map((k) => gradMat(run, 'U', H, D, k + 1)),
    ds_ds_prev: jacobians(T, H, (t, b) => rnnRun(inst, undefined, { t, idx: b }).S[t - 1]!),
  };
}

const GATES = ['f', 'i', 'g', 'o'] as const;

function lstmReference(inst: Instance): Record<string, Tree> {
  const { T, H, D, K } = dimsOf(inst);
  const base = lstmRun(inst);
  const run = (s: Seed): Dual => lstmRun(inst, s).loss;
  const ref: Record<string, Tree> = {
    f: values(base.f), i: values(base.i), g: values(base.g), o: values(base.o),
    c: values(base.c), h: values(base.h), yhat: values(base.yhat), loss: base.loss.v,
  };
  for (const gate of GATES) {
    ref[`dL_dWx${gate}`] = gradMat(run, `Wx${gate}`, H, D);
    ref[`dL_dWh${gate}`] = gradMat(run, `Wh${gate}`, H, H);
    ref[`dL_db${gate}`] = gradVec(run, `b${gate}`, H);
  }
  ref.dL_dV = gradMat(run, 'V', K, H);
  ref.dL_dby = gradVec(run, 'by', K);
  ref.dL_dWhf_by_step = range(T).map((k) => gradMat(run, 'Whf', H, H, k + 1));
  const cellJacobians = (direct: boolean): Mat[] =>
    jacobians(T, H, (t, b) => lstmRun(inst, undefined, { t, idx: b, direct }).c[t - 1]!);
  ref.dc_dc_prev_direct = cellJacobians(true);
  ref.dc_dc_prev = cellJacobians(false);
  return ref;
}

const GRU_GATES = ['r', 'z', 'n'] as const;

function gruReference(inst: Instance): Record<string, Tree> {
  const { T, H, D, K } = dimsOf(inst);
  const base = gruRun(inst);
  const run = (s: Seed): Dual => gruRun(inst, s).loss;
  const ref: Record<string, Tree> = {
    r: values(base.r), z: values(base.z), n: values(base.n), h: values(base.h), yhat: values(base.yhat), loss: base.loss.v,
  };
  for (const gate of GRU_GATES) {
    ref[`dL_dWx${gate}`] = gradMat(run, `Wx${gate}`, H, D);
    ref[`dL_dWh${gate}`] = gradMat(run, `Wh${gate}`, H, H);
    ref[`dL_db${gate}`] = gradVec(run, `b${gate}`, H);
  }
  ref.dL_dV = gradMat(run, 'V', K, H);
  ref.dL_dby = gradVec(run, 'by', K);
  ref.dL_dWhz_by_step = range(T).map((k) => gradMat(run, 'Whz', H, H, k + 1));
  const stateJacobians = (direct: boolean): Mat[] =>
    jacobians(T, H, (t, b) => gruRun(inst, undefined, { t, idx: b, direct }).h[t - 1]!);
  ref.dh_dh_prev_direct = stateJacobians(true);
  ref.dh_dh_prev = stateJacobians(false);
  return ref;
}

// ---- Random instances -----------------------------------------------------------------------------

const rng = seedrandom('gradsheet-independent-dual-check');
const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rng();
const randVec = (n: number, a = 1.5): Vec => range(n).map(() => uniform(-a, a));
const randMat = (r: number, c: number): Mat => range(r).map(() => randVec(c));
const randInt = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

/** Instance n: every third is scalar; T cycles over 1..20 for both loss kinds; "last" is sometimes implicit. */
function plan(n: number): Dims & { loss: LossKind } {
  const scalar = n % 3 === 0;
  const T = 1 + (Math.floor(n / 2) % 20);
  const loss: LossKind = n % 2 === 0 ? 'sum' : n % 4 === 1 ? 'last' : undefined;
  return scalar ? { T, H: 1, D: 1, K: 1, loss } : { T, H: randInt(1, 4), D: randInt(1, 3), K: randInt(1, 2), loss };
}

function withSequences(body: Record<string, unknown>, { T, D, K, loss }: Dims & { loss: LossKind }): Instance {
  const inst = { ...body, x: range(T).map(() => randVec(D)), y: range(T).map(() => randVec(K)) } as Instance;
  if (loss !== undefined) inst.loss = loss;
  return inst;
}

function randomRnn(n: number): Instance {
  const p = plan(n);
  const { H, D, K } = p;
  return withSequences({ model: 'rnn', U: randMat(H, D), W: randMat(H, H), V: randMat(K, H), b: randVec(H), c: randVec(K), s0: randVec(H, 1) }, p);
}

function randomLstm(n: number): Instance {
  const p = plan(n);
  const { H, D, K } = p;
  const body: Record<string, unknown> = { model: 'lstm' };
  for (const gate of GATES) {
    body[`Wx${gate}`] = randMat(H, D); body[`Wh${gate}`] = randMat(H, H); body[`b${gate}`] = randVec(H);
  }
  return withSequences({ ...body, V: randMat(K, H), by: randVec(K), h0: randVec(H, 1), c0: randVec(H) }, p);
}

function randomGru(n: number): Instance {
  const p = plan(n);
  const { H, D, K } = p;
  const body: Record<string, unknown> = { model: 'gru' };
  for (const gate of GRU_GATES) {
    body[`Wx${gate}`] = randMat(H, D); body[`Wh${gate}`] = randMat(H, H); body[`b${gate}`] = randVec(H);
  }
  return withSequences({ ...body, V: randMat(K, H), by: randVec(K), h0: randVec(H, 1) }, p);
}

const N = 150;
const rnnInstances = range(N).map(randomRnn);
const lstmInstances = range(N).map(randomLstm);
const gruInstances = range(N).map(randomGru);

// ---- Comparison -------------------------------------------------------------------------------------

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-13;

/** Appends one line per disagreeing entry (or shape mismatch) under `path`. */
function compare(actual: unknown, expected: Tree, path: string, out: string[]): void {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !close(actual, expected)) out.push(`${path}: solver ${String(actual)}, dual numbers ${expected}`);
    return;
  }
  if (!Array.isArray(actual) || actual.length !== expected.length) {
    out.push(`${path}: solver has shape ${JSON.stringify(shapeOf(actual))}, expected length ${expected.length}`);
    return;
  }
  expected.forEach((e, k) => compare(actual[k], e, `${path}[${k}]`, out));
}

/** Dimensions of a nested array ([] for a number); null when ragged or not numeric. */
function shapeOf(x: unknown): number[] | null {
  if (typeof x === 'number') return [];
  if (!Array.isArray(x) || x.length === 0) return Array.isArray(x) ? [0] : null;
  const inner = x.map(shapeOf);
  const first = JSON.stringify(inner[0]);
  return inner[0] !== null && inner.every((s) => JSON.stringify(s) === first) ? [x.length, ...inner[0]!] : null;
}

function expectedShapes(inst: Instance): Record<string, number[]> {
  const { T, H, D, K } = dimsOf(inst);
  if (inst.model === 'rnn') {
    return { s: [T, H], o: [T, K], loss: [], dL_dU: [H, D], dL_dW: [H, H], dL_dV: [K, H], dL_db: [H], dL_dc: [K],
      dL_dU_by_step: [T, H, D], ds_ds_prev: [T, H, H] };
  }
  if (inst.model === 'gru') {
    const shapes: Record<string, number[]> = { yhat: [T, K], loss: [], dL_dV: [K, H], dL_dby: [K],
      dL_dWhz_by_step: [T, H, H], dh_dh_prev_direct: [T, H, H], dh_dh_prev: [T, H, H] };
    for (const gate of [...GRU_GATES, 'h']) shapes[gate] = [T, H];
    for (const gate of GRU_GATES) {
      shapes[`dL_dWx${gate}`] = [H, D]; shapes[`dL_dWh${gate}`] = [H, H]; shapes[`dL_db${gate}`] = [H];
    }
    return shapes;
  }
  const shapes: Record<string, number[]> = { yhat: [T, K], loss: [], dL_dV: [K, H], dL_dby: [K],
    dL_dWhf_by_step: [T, H, H], dc_dc_prev_direct: [T, H, H], dc_dc_prev: [T, H, H] };
  for (const gate of [...GATES, 'c', 'h']) shapes[gate] = [T, H];
  for (const gate of GATES) {
    shapes[`dL_dWx${gate}`] = [H, D]; shapes[`dL_dWh${gate}`] = [H, H]; shapes[`dL_db${gate}`] = [H];
  }
  return shapes;
}

type Solver = (inst: Instance) => Record<string, unknown>;
/** The library's solver (the autodiff engine), and what `gradsheet solve` prints (the fused kernels for its default keys). */
const engine: Solver = (inst) => solveInput(structuredClone(inst)) as unknown as Record<string, unknown>;
const printed: Solver = (inst) => JSON.parse(solveToJson(structuredClone(inst))) as Record<string, unknown>;

function disagreements(instances: Instance[], reference: (inst: Instance) => Record<string, Tree>, solver: Solver = engine): string[] {
  const out: string[] = [];
  instances.forEach((inst, n) => {
    const sol = solver(inst);
    const ref = reference(inst);
    const before = out.length;
    for (const [key, expected] of Object.entries(ref)) compare(sol[key], expected, `#${n} ${key}`, out);
    if (out.length > before) out.push(`#${n} instance: ${JSON.stringify(inst)}`);
  });
  return out;
}

describe('the solver, checked against forward-mode dual numbers', () => {
  it('uses instances covering scalar and vector sizes, T = 1..20 and both loss conventions', () => {
    for (const set of [rnnInstances, lstmInstances, gruInstances]) {
      const ts = new Set(set.map((inst) => inst.x.length));
      expect([...ts].sort((a, b) => a - b)).toEqual(range(20).map((k) => k + 1));
      expect(new Set(set.map((inst) => inst.loss))).toEqual(new Set(['sum', 'last', undefined]));
      expect(set.some((inst) => dimsOf(inst).H === 1 && dimsOf(inst).D === 1)).toBe(true);
      expect(set.some((inst) => dimsOf(inst).H === 4)).toBe(true);
    }
  });

  for (const [who, solver] of [['the engine', engine], ['the printed solution', printed]] as const) {
    it(`${who}: every listed key with the right shape on all ${3 * N} random instances`, () => {
      const problems: string[] = [];
      [...rnnInstances, ...lstmInstances, ...gruInstances].forEach((inst, n) => {
        const sol = solver(inst);
        for (const [key, shape] of Object.entries(expectedShapes(inst))) {
          const got = shapeOf(sol[key]);
          if (JSON.stringify(got) !== JSON.stringify(shape)) problems.push(`#${n} ${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(shape)}`);
        }
      });
      expect(problems).toEqual([]);
    });

    it(`${who}: agrees with forward-mode dual numbers on ${N} random RNN instances`, () => {
      expect(disagreements(rnnInstances, rnnReference, solver)).toEqual([]);
    });

    it(`${who}: agrees with forward-mode dual numbers on ${N} random LSTM instances`, () => {
      expect(disagreements(lstmInstances, lstmReference, solver)).toEqual([]);
    }, 120_000);

    it(`${who}: agrees with forward-mode dual numbers on ${N} random GRU instances`, () => {
      expect(disagreements(gruInstances, gruReference, solver)).toEqual([]);
    }, 120_000);
  }
});
