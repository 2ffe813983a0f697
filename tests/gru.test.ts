/**
 * The GRU of docs/math.md §5: the closed-form BPTT of src/models/gru.ts held to
 * (a) the project's autodiff engine, on a graph built here from the forward equations alone;
 * (b) central finite differences of the loss; (c) the total ∂h_t/∂h_{t−1} to finite differences of
 * one step; (d) a scalar T = 2 case worked by hand; (e) the instance contract's refusals;
 * (f) `gradsheet solve` on GRU instances, alone and mixed with RNN and LSTM ones.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tape, type NodeId } from '../src/engine/autodiff.js';
import {
  GRU_BIASES, GRU_WEIGHTS, gruClosedForm, gruForward, isWellFormedInstance, parseInstance, solveGru, solveToJson,
  type GruInstance, type Mat, type Vec,
} from '../src/index.js';
import { PRINTED } from '../src/models/solve.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';
import { maxRelDiff, randomGru, randomLstm, randomRnn, randomShape, rngFor, type Rng, type Shape } from './support/random-instances.js';

type Param = (typeof GRU_WEIGHTS)[number] | (typeof GRU_BIASES)[number];
const PARAMS: readonly Param[] = [...GRU_WEIGHTS, ...GRU_BIASES];

/**
 * The engine's gradients, from a tape built straight from docs/math.md §5's equations: one `use`
 * record per parameter per step, so each use's gradient is the per-step term ∂L/∂P^(k).
 */
function engineGradients(inst: GruInstance) {
  const tp = new Tape();
  const T = inst.x.length, H = inst.Whn.length;
  const params = {} as Record<Param, NodeId>;
  for (const w of GRU_WEIGHTS) params[w] = tp.matrix(inst[w]);
  for (const b of GRU_BIASES) params[b] = tp.vector(inst[b]);
  const uses = Object.fromEntries(PARAMS.map((p) => [p, [] as NodeId[]])) as Record<Param, NodeId[]>;
  const use = (p: Param) => { const u = tp.use(params[p]); uses[p].push(u); return u; };
  const V = tp.matrix(inst.V), by = tp.vector(inst.by), h0 = tp.vector(inst.h0);
  const ones = tp.vector(new Array<number>(H).fill(1));
  let h = h0;
  const hs: NodeId[] = [], rs: NodeId[] = [], zs: NodeId[] = [], ns: NodeId[] = [], losses: NodeId[] = [];
  for (let t = 0; t < T; t++) {
    const x = tp.vector(inst.x[t]!);
    const r = tp.sigmoid(tp.add(tp.add(tp.matmul(use('Wxr'), x), tp.matmul(use('Whr'), h)), use('br')));
    const z = tp.sigmoid(tp.add(tp.add(tp.matmul(use('Wxz'), x), tp.matmul(use('Whz'), h)), use('bz')));
    const n = tp.tanh(tp.add(tp.add(tp.matmul(use('Wxn'), x), tp.matmul(use('Whn'), tp.mul(r, h))), use('bn')));
    h = tp.add(tp.mul(z, h), tp.mul(tp.sub(ones, z), n));
    const yhat = tp.add(tp.matmul(V, h), by);
    losses.push(tp.halfSquaredNorm(tp.sub(tp.vector(inst.y[t]!), yhat)));
    hs.push(h); rs.push(r); zs.push(z); ns.push(n);
  }
  const root = inst.loss === 'sum' ? tp.sum(losses) : losses[T - 1]!;
  tp.backward(root);
  const out: Record<string, unknown> = {
    loss: tp.scalar(root), h: hs.map((n) => tp.valueArray(n)), r: rs.map((n) => tp.valueArray(n)),
    z: zs.map((n) => tp.valueArray(n)), n: ns.map((n) => tp.valueArray(n)),
    dL_dV: tp.gradRows(V), dL_dby: tp.gradArray(by), dL_dh0: tp.gradArray(h0),
  };
  for (const w of GRU_WEIGHTS) {
    out[`dL_d${w}`] = tp.gradRows(params[w]);
    out[`dL_d${w}_by_step`] = uses[w].map((u) => tp.gradRows(u));
  }
  for (const b of GRU_BIASES) {
    out[`dL_d${b}`] = tp.gradArray(params[b]);
    out[`dL_d${b}_by_step`] = uses[b].map((u) => tp.gradArray(u));
  }
  return out;
}

/** Shapes drawn as the brief asks: T up to 6, H up to 4, D and K up to 3. */
function smallShape(rng: Rng, n: number): Shape {
  const pick = (k: number) => 1 + Math.floor(rng() * k);
  return { D: pick(3), H: pick(4), K: pick(3), T: 1 + (n % 6), loss: n % 2 === 0 ? 'last' : 'sum' };
}

/** Instance n of a run: every third one leaves the loss out (the default, L_T). */
function drawGru(rng: Rng, n: number, scale = 1): GruInstance {
  const inst = randomGru(rng, smallShape(rng, n), scale);
  if (n % 3 === 0) delete inst.loss;
  return inst;
}

/** A copy of `inst` with entry `idx` (row-major) of parameter `key` moved by `delta`. */
function nudged(inst: GruInstance, key: Param | 'V' | 'by' | 'h0', idx: number, delta: number): GruInstance {
  const copy = structuredClone(inst);
  const p = copy[key] as Vec | Mat;
  if (Array.isArray(p[0])) { const cols = (p[0] as Vec).length; (p as Mat)[Math.floor(idx / cols)]![idx % cols]! += delta; } else (p as Vec)[idx]! += delta;
  return copy;
}

describe('the GRU closed form (docs/math.md §5)', () => {
  it('(a) agrees with the autodiff engine to 1e-9 relative on 500 random instances, every gradient and per-step term', () => {
    const rng = rngFor('gru-vs-engine');
    let worst = 0;
    for (let n = 0; n < 500; n++) {
      const inst = drawGru(rng, n, n % 5 === 0 ? 2 : 1);
      const closed = gruClosedForm(inst) as unknown as Record<string, unknown>;
      const engine = engineGradients(inst);
      for (const [key, value] of Object.entries(engine)) {
        const d = maxRelDiff(closed[key], value, 1e-300);
        worst = Math.max(worst, d);
        expect(d, `${key} on instance ${n}: ${JSON.stringify(inst)}`).toBeLessThan(1e-9);
      }
    }
    console.log(`GRU closed form vs autodiff engine: max relative difference ${worst.toExponential(2)}`);
  });

  it('(b) matches central finite differences of the loss for every parameter entry and h0', () => {
    const rng = rngFor('gru-fd');
    const step = 1e-6;
    for (let n = 0; n < 40; n++) {
      const inst = drawGru(rng, n);
      const sol = solveGru(inst) as unknown as Record<string, Vec | Mat>;
      for (const key of [...PARAMS, 'V', 'by', 'h0'] as const) {
        const analytic = [sol[`dL_d${key}`]!].flat(2) as number[];
        const size = ([inst[key]].flat(2) as number[]).length;
        for (let idx = 0; idx < size; idx++) {
          const fd = (gruForward(nudged(inst, key, idx, step)).loss - gruForward(nudged(inst, key, idx, -step)).loss) / (2 * step);
          expect(Math.abs(analytic[idx]! - fd), `${key}[${idx}] on instance ${n}`).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
        }
      }
    }
  });

  it('(c) gives a total ∂h_t/∂h_{t−1} that matches finite differences of one step, and a direct part diag(z_t)', () => {
    const rng = rngFor('gru-jacobian');
    const step = 1e-6;
    for (let n = 0; n < 40; n++) {
      const inst = drawGru(rng, n, 1.5);
      const sol = solveGru(inst);
      const T = inst.x.length, H = inst.Whn.length;
      expect(sol.dh_dh_prev).toHaveLength(T);
      for (let t = 1; t <= T; t++) {
        const hPrev = t === 1 ? inst.h0 : sol.h[t - 2]!;
        const after = (h: Vec) => gruForward({ ...inst, h0: h, x: [inst.x[t - 1]!], y: [inst.y[t - 1]!] }).h[0]!;
        expect(sol.dh_dh_prev_direct[t - 1]).toEqual(sol.z[t - 1]!.map((zi, a) => sol.z[t - 1]!.map((_, b) => (a === b ? zi : 0))));
        for (let col = 0; col < H; col++) {
          const up = [...hPrev], down = [...hPrev];
          up[col]! += step; down[col]! -= step;
          const hu = after(up), hd = after(down);
          for (let row = 0; row < H; row++) {
            expect(sol.dh_dh_prev[t - 1]![row]![col], `t=${t} [${row}][${col}] on instance ${n}`).toBeCloseTo((hu[row]! - hd[row]!) / (2 * step), 8);
          }
        }
      }
    }
  });

  it('(d) reproduces a scalar T = 2 case computed by hand', () => {
    const inst = JSON.parse(readFileSync('examples/gru-t2.json', 'utf8')) as GruInstance;
    const sig = (a: number) => 1 / (1 + Math.exp(-a));
    // the instance's numbers, written out
    const Wxr = 0.5, Wxz = -0.4, Wxn = 0.9, Whr = 0.3, Whz = 0.7, Whn = -0.6, br = 0.1, bz = 0, bn = 0.2;
    const V = 1.5, by = -0.1, h0 = 0.4, x1 = 1, x2 = -0.5, y2 = 0.3;
    // step 1
    const ar1 = Wxr * x1 + Whr * h0 + br; // 0.72
    const az1 = Wxz * x1 + Whz * h0 + bz; // −0.12
    const r1 = sig(ar1), z1 = sig(az1);
    const an1 = Wxn * x1 + Whn * (r1 * h0) + bn;
    const n1 = Math.tanh(an1);
    const h1 = z1 * h0 + (1 - z1) * n1;
    // step 2
    const ar2 = Wxr * x2 + Whr * h1 + br, az2 = Wxz * x2 + Whz * h1 + bz;
    const r2 = sig(ar2), z2 = sig(az2);
    const an2 = Wxn * x2 + Whn * (r2 * h1) + bn;
    const n2 = Math.tanh(an2);
    const h2 = z2 * h1 + (1 - z2) * n2;
    const yhat2 = V * h2 + by;
    const loss = 0.5 * (y2 - yhat2) ** 2;
    expect(ar1).toBeCloseTo(0.72, 15);
    expect(az1).toBeCloseTo(-0.12, 15);

    // the notes' decomposition, scalar: ∂L_2/∂P = (ŷ_2 − y_2)·V·[∂h_2/∂P^(2) + ∂h_2/∂h_1 · ∂h_1/∂P^(1)]
    const sp = (s: number) => s * (1 - s), tp = (v: number) => 1 - v * v;
    const J = (z: number, r: number, n: number, hPrev: number) =>
      z + (hPrev - n) * sp(z) * Whz + (1 - z) * tp(n) * Whn * (r + hPrev * sp(r) * Whr);
    const J1 = J(z1, r1, n1, h0), J2 = J(z2, r2, n2, h1);
    // immediate partials ∂h_t/∂P^(t), h_{t−1} held fixed
    const immediate = (z: number, r: number, n: number, hPrev: number, x: number): Record<Param, number> => {
      const viaZ = (hPrev - n) * sp(z), viaN = (1 - z) * tp(n), viaR = viaN * Whn * hPrev * sp(r);
      return { Wxr: viaR * x, Whr: viaR * hPrev, br: viaR, Wxz: viaZ * x, Whz: viaZ * hPrev, bz: viaZ, Wxn: viaN * x, Whn: viaN * r * hPrev, bn: viaN };
    };
    const i1 = immediate(z1, r1, n1, h0, x1), i2 = immediate(z2, r2, n2, h1, x2);
    const e2 = yhat2 - y2;

    const sol = solveGru(inst);
    expect(sol.r[0]![0]).toBeCloseTo(r1, 15);
    expect(sol.z[1]![0]).toBeCloseTo(z2, 15);
    expect(sol.n[1]![0]).toBeCloseTo(n2, 15);
    expect(sol.h[0]![0]).toBeCloseTo(h1, 15);
    expect(sol.h[1]![0]).toBeCloseTo(h2, 15);
    expect(sol.yhat[1]![0]).toBeCloseTo(yhat2, 15);
    expect(sol.loss).toBeCloseTo(loss, 15);
    expect(sol.dh_dh_prev[0]![0]![0]).toBeCloseTo(J1, 14);
    expect(sol.dh_dh_prev[1]![0]![0]).toBeCloseTo(J2, 14);
    expect(sol.dh_dh_prev_direct[1]![0]![0]).toBe(z2);
    const grads = sol as unknown as Record<string, Vec | Mat>;
    for (const p of PARAMS) {
      const expected = e2 * V * (i2[p] + J2 * i1[p]);
      expect([grads[`dL_d${p}`]].flat(2)[0], p).toBeCloseTo(expected, 14);
    }
    expect(sol.dL_dWhz_by_step[0]![0]![0]).toBeCloseTo(e2 * V * J2 * i1.Whz, 14);
    expect(sol.dL_dWhz_by_step[1]![0]![0]).toBeCloseTo(e2 * V * i2.Whz, 14);
    expect(sol.dL_dV[0]![0]).toBeCloseTo(e2 * h2, 15);
    expect(sol.dL_dby[0]).toBeCloseTo(e2, 15);
    expect(sol.dL_dh0[0]).toBeCloseTo(e2 * V * J2 * J1, 14);
  });
});

describe('the GRU instance contract (docs/math.md §4–§5)', () => {
  const base = randomGru(rngFor('gru-contract'), { D: 2, H: 3, K: 2, T: 4, loss: 'sum' });
  const message = (input: unknown): string => {
    try {
      parseInstance(input);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('accepts valid GRU instances through the fast check and the schema', () => {
    const rng = rngFor('gru-valid');
    for (let n = 0; n < 100; n++) {
      const inst = randomGru(rng, randomShape(rng, n % 2 === 0, 6));
      expect(isWellFormedInstance(inst)).toBe(true);
      expect(message(inst)).toBe('accepted');
    }
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an input weight with the wrong number of columns', { Wxz: [[1, 2, 3], [1, 2, 3], [1, 2, 3]] }, /\$\.Wxz\[0\] should have 2 columns \(D, the length of each x_t\), not 3/],
    ['a recurrent weight that is not square', { Whr: [[1, 2], [1, 2], [1, 2]] }, /\$\.Whr\[0\] should have 3 columns \(H, recurrent weights are square\), not 2/],
    ['a recurrent weight with too few rows', { Whz: [[1, 2, 3]] }, /\$\.Whz should have 3 rows \(H, the number of rows of Whn\), not 1/],
    ['a bias of the wrong length', { bn: [1] }, /\$\.bn should have 3 entries \(H, the number of rows of Whn\), not 1/],
    ['an output weight of the wrong shape', { V: [[1, 2, 3]] }, /\$\.V should have 2 rows \(K, the length of each y_t\), not 1/],
    ['an output bias of the wrong length', { by: [1, 2, 3] }, /\$\.by should have 2 entries \(K, the length of each y_t\), not 3/],
    ['an initial state of the wrong length', { h0: [0] }, /\$\.h0 should have 3 entries \(H, the number of rows of Whn\), not 1/],
    ['an input of the wrong length', { x: [[1, 2], [1], [1, 2], [1, 2]] }, /\$\.x\[1\] should have 2 entries \(D, the length of x\[0\]\), not 1/],
    ['too few targets', { y: [[1, 2]] }, /\$\.y should have one target per time step, 4 \(the length of x\), not 1/],
    ['a missing field', { br: undefined }, /\$\.br is missing \(expected an array\)/],
    ['an LSTM field instead of a GRU one', { Whn: undefined, Whf: [[1]] }, /\$\.Whn is missing/],
    ['a string for a number', { Wxn: [['0.5', 1], [1, 1], [1, 1]] }, /\$\.Wxn\[0\]\[0\] should be a number, not the string "0\.5"/],
    ['an unknown loss', { loss: 'mean' }, /\$\.loss should be "last" or "sum", not the string "mean"/],
  ];
  for (const [what, change, expected] of bad) {
    it(`refuses ${what}, naming the JSON path`, () => {
      const inst = { ...structuredClone(base), ...change } as Record<string, unknown>;
      for (const k of Object.keys(change)) if (change[k] === undefined) delete inst[k];
      expect(isWellFormedInstance(inst)).toBe(false);
      expect(message(inst)).toMatch(expected);
    });
  }

  it('names the models it knows when the model is unknown', () => {
    expect(message({ ...base, model: 'transformer' })).toMatch(/\$\.model should be "rnn" or "lstm" or "gru" or "activations", not the string "transformer"/);
  });
});

describe('gradsheet solve on GRU instances', () => {
  const GRU_KEYS = PRINTED.gru;

  it('(f) prints every key of docs/math.md §5 for examples/gru-t2.json, identical to the library', () => {
    const r = gradsheet(['solve', 'examples/gru-t2.json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual([...GRU_KEYS]);
    for (const key of ['r', 'z', 'n', 'h', 'yhat', 'loss', 'dL_dWxr', 'dL_dWxz', 'dL_dWxn', 'dL_dWhr', 'dL_dWhz', 'dL_dWhn',
      'dL_dbr', 'dL_dbz', 'dL_dbn', 'dL_dV', 'dL_dby', 'dL_dWhz_by_step', 'dh_dh_prev_direct', 'dh_dh_prev']) expect(out).toHaveProperty(key);
    const inst = JSON.parse(readFileSync('examples/gru-t2.json', 'utf8')) as GruInstance;
    const library = solveGru(inst) as unknown as Record<string, unknown>;
    for (const key of GRU_KEYS) expect(out[key], key).toEqual(library[key]);
    expect(out.dL_dWhz_by_step).toHaveLength(2);
  });

  it('prints everything the solver knows with --all', () => {
    const dir = tempDir('gradsheet-gru-');
    const inst = randomGru(rngFor('gru-all'), { D: 2, H: 3, K: 2, T: 3, loss: 'sum' });
    const file = join(dir, 'gru.json');
    writeFileSync(file, JSON.stringify(inst));
    const r = gradsheet(['solve', '--all', file]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual(JSON.parse(JSON.stringify(solveGru(inst))));
    for (const key of ['ar', 'az', 'an', 'losses', 'dL_dh0', 'dL_dWxr_by_step', 'dL_dbn_by_step']) expect(out).toHaveProperty(key);
  });

  it('solves a mixed array of RNN, LSTM and GRU instances in order', () => {
    const rng = rngFor('gru-mixed');
    const instances = Array.from({ length: 30 }, (_, n) =>
      [randomRnn, randomLstm, randomGru][n % 3]!(rng, randomShape(rng, n % 2 === 0, 8)));
    const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out.map((o) => o.model)).toEqual(instances.map((i) => i.model));
    expect(out).toEqual(instances.map((inst) => JSON.parse(solveToJson(inst))));
  });

  it('rejects a malformed GRU instance in an array by its index and JSON path, exit code 2', () => {
    const rng = rngFor('gru-bad');
    const good = randomGru(rng, { D: 1, H: 2, K: 1, T: 2, loss: 'last' });
    const r = gradsheet(['solve', '-'], { input: JSON.stringify([good, { ...good, Whz: [[1, 2]] }]) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/instance 2 of the array: \$\[1\]\.Whz should have 2 rows \(H, the number of rows of Whn\), not 1/);
  });

  it('reports an overflowing pre-activation instead of printing σ(∞) = 1', () => {
    const inst = { ...randomGru(rngFor('gru-overflow'), { D: 2, H: 1, K: 1, T: 2, loss: 'last' }), Wxz: [[1.7e308, 1.7e308]], x: [[1, 1], [1, 1]] };
    expect(() => solveToJson(inst)).toThrow(/overflows: \w+ is not a finite number/);
  });
});
