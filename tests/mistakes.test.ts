/**
 * The generator-2 mistakes of the catalogue: on instances chosen by hand, each value the key
 * lists is what a student making exactly that mistake computes — worked out here by the notes'
 * formulas written out directly, not by the closed forms' conventions — and the grader names it.
 */
import { describe, expect, it } from 'vitest';
import type { LstmInstance, RnnInstance } from '../src/models/instance.js';
import { solveLstm } from '../src/models/lstm.js';
import { solve } from '../src/models/solve.js';
import { mistakeValues } from '../src/problems/generate.js';
import { plainValue } from '../src/problems/format.js';
import { lstmBpttType } from '../src/problems/lstm-bptt.js';
import { lstmCellJacobianType } from '../src/problems/lstm-cell-jacobian.js';
import { lstmForwardType } from '../src/problems/lstm-forward.js';
import { MISTAKES, mistakeSince, type MistakeId } from '../src/problems/mistakes.js';
import { rnnBpttType } from '../src/problems/rnn-bptt.js';
import { rnnForwardType } from '../src/problems/rnn-forward.js';
import { rnnJacobianType } from '../src/problems/rnn-jacobian.js';
import type { AnyProblemType } from '../src/problems/types.js';
import { fixedKey, type FixedKey } from './support/fixed-key.js';
import { maxRelDiff } from './support/random-instances.js';

const NEW_MISTAKES: MistakeId[] = [
  'lstm-cell-path-only', 'lstm-output-gate-path-missing', 'immediate-state-current', 'tanh-prime-wrong-step',
  'jacobian-product-reversed', 'missing-output-weight', 'loss-missing-half', 'forward-no-activation', 'total-not-sum',
];

// ---- small linear algebra, written out for 2 × 2 hand computations ----
type M = number[][];
const mm = (A: M, B: M): M => A.map((row) => B[0]!.map((_, j) => row.reduce((acc, a, k) => acc + a * B[k]![j]!, 0)));
const tr = (A: M): M => A[0]!.map((_, j) => A.map((row) => row[j]!));
const mv = (A: M, v: number[]): number[] => A.map((row) => row.reduce((acc, a, j) => acc + a * v[j]!, 0));
const diagTimes = (d: number[], A: M): M => A.map((row, i) => row.map((a) => d[i]! * a));
const sigmaPrime = (s: number) => s * (1 - s);
const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

// ---- the scalar RNN of the notes ----
interface ScalarRnn { U: number; W: number; V: number; b: number; c: number; s0: number; x: number[]; y: number[] }
const rnnInstance = (p: ScalarRnn): RnnInstance => ({
  model: 'rnn', U: [[p.U]], W: [[p.W]], V: [[p.V]], b: [p.b], c: [p.c], s0: [p.s0], x: p.x.map((v) => [v]), y: p.y.map((v) => [v]),
});

/** s_0, s_1 … s_T: s_t = tanh(U x_t + W s_{t−1} + b), or θ_t itself for a student who forgets tanh. */
function scalarStates(p: ScalarRnn, forgetTanh = false): number[] {
  const s = [p.s0];
  for (const x of p.x) {
    const theta = p.U * x + p.W * s[s.length - 1]! + p.b;
    s.push(forgetTanh ? theta : Math.tanh(theta));
  }
  return s;
}

interface RnnSlip { noHalf?: boolean; noV?: boolean; tanhPrimeStepEarly?: boolean; currentState?: boolean }

/**
 * The notes' scalar per-step term ∂L_T/∂P^(k) = (o_T − y_T)·V·∏_{j=k+1}^{T}(1 − s_j²)W·(1 − s_k²)·z_k
 * (z_k = x_k for U, s_{k−1} for W, 1 for b), with a slip where the student makes one.
 */
function scalarTerm(p: ScalarRnn, wrt: 'U' | 'W' | 'b', k: number, slip: RnnSlip = {}): number {
  const s = scalarStates(p);
  const T = p.x.length;
  let term = (slip.noHalf ? 2 : 1) * (p.V * s[T]! + p.c - p.y[T - 1]!) * (slip.noV ? 1 : p.V);
  for (let j = T; j > k; j--) term *= (1 - s[slip.tanhPrimeStepEarly ? j - 1 : j]! ** 2) * p.W;
  term *= 1 - s[k]! ** 2;
  return term * (wrt === 'U' ? p.x[k - 1]! : wrt === 'W' ? s[slip.currentState ? k : k - 1]! : 1);
}
const scalarTotal = (p: ScalarRnn, wrt: 'U' | 'W' | 'b', slip: RnnSlip = {}) => p.x.reduce((acc, _, n) => acc + scalarTerm(p, wrt, n + 1, slip), 0);

// a grid instance on which the answers and every listed mistake lie at least 4% apart
const P: ScalarRnn = { U: -0.9, W: -0.7, V: 0.8, b: 0.5, c: 0.9, s0: 0.5, x: [-0.6, 1, -0.7], y: [0.6, -1, -0.9] };

/** The key lists the mistake on the part with the hand value, and grading that value names it without the answer. */
function expectNamed(key: FixedKey, part: string, id: MistakeId, hand: unknown): void {
  const listed = key.mistake(part, id);
  expect(listed, `${part} does not list ${id}`).toBeDefined();
  expect(maxRelDiff(listed, hand, 1e-12), `${part} ${id}: ${JSON.stringify(listed)} against the hand value ${JSON.stringify(hand)}`).toBeLessThan(1e-12);
  const result = key.grade({ [part]: hand }).parts.find((r) => r.id === `q1.${part}`)!;
  expect(result.mistake, `${part}: ${result.feedback}`).toBe(id);
  expect(result.status).not.toBe('correct');
  expect(result.feedback).toContain(MISTAKES[id].explanation);
  expect(result.feedback).not.toContain(plainValue(key.part(part).answer, 4));
}

describe('the generator-2 catalogue', () => {
  it('dates every new mistake to generator 2, and a generator-1 key lists none of them on the same instance', () => {
    for (const id of NEW_MISTAKES) expect(mistakeSince(id), id).toBe(2);
    const one = fixedKey(rnnBpttType, { wrt: 'W' }, rnnInstance(P), 1);
    const two = fixedKey(rnnBpttType, { wrt: 'W' }, rnnInstance(P), 2);
    const ids = (k: FixedKey) => k.variant.questions[0]!.parts.flatMap((p) => (p.mistakes ?? []).map((m) => m.id));
    expect(ids(one).filter((id) => NEW_MISTAKES.includes(id))).toEqual([]);
    expect(ids(two).filter((id) => NEW_MISTAKES.includes(id)).length).toBeGreaterThan(0);
    expect(ids(two).filter((id) => !NEW_MISTAKES.includes(id))).toEqual(ids(one));
  });

  it('explains every new mistake in the notes\' terms without a number to copy', () => {
    for (const id of NEW_MISTAKES) expect(MISTAKES[id].explanation, id).not.toMatch(/\d\.\d/);
  });
});

describe('rnn.bptt (scalar, T = 3, ∂L_3/∂W): the mistakes a student makes in the notes\' closed form', () => {
  const key = fixedKey(rnnBpttType, { wrt: 'W', initialState: 'random' }, rnnInstance(P), 2);
  const s = scalarStates(P);
  const terms = ['b', 'c', 'd'] as const;

  it('½ missing: ∂L/∂o_3 = 2(o_3 − y_3), and every term and the total doubled', () => {
    expectNamed(key, 'a', 'loss-missing-half', 2 * (P.V * s[3]! + P.c - P.y[2]!));
    terms.forEach((part, n) => expectNamed(key, part, 'loss-missing-half', scalarTerm(P, 'W', n + 1, { noHalf: true })));
    expectNamed(key, 'e', 'loss-missing-half', scalarTotal(P, 'W', { noHalf: true }));
  });

  it('V missing: (o_3 − y_3)·∏(1 − s_j²)W·(1 − s_k²)·s_{k−1}', () => {
    terms.forEach((part, n) => expectNamed(key, part, 'missing-output-weight', scalarTerm(P, 'W', n + 1, { noV: true })));
    expectNamed(key, 'e', 'missing-output-weight', scalarTotal(P, 'W', { noV: true }));
  });

  it('tanh\' at the wrong step: each factor (1 − s_{j−1}²)W; the k = 3 term has none and does not list it', () => {
    expectNamed(key, 'b', 'tanh-prime-wrong-step', P.V * (P.V * s[3]! + P.c - P.y[2]!) * (1 - s[2]! ** 2) * P.W * (1 - s[1]! ** 2) * P.W * (1 - s[1]! ** 2) * s[0]!);
    expectNamed(key, 'c', 'tanh-prime-wrong-step', scalarTerm(P, 'W', 2, { tanhPrimeStepEarly: true }));
    expect(key.mistake('d', 'tanh-prime-wrong-step')).toBeUndefined();
    expectNamed(key, 'e', 'tanh-prime-wrong-step', scalarTotal(P, 'W', { tanhPrimeStepEarly: true }));
  });

  it('s_k for s_{k−1}: the term ends in (1 − s_k²)·s_k', () => {
    expectNamed(key, 'b', 'immediate-state-current', (P.V * s[3]! + P.c - P.y[2]!) * P.V * (1 - s[3]! ** 2) * P.W * (1 - s[2]! ** 2) * P.W * (1 - s[1]! ** 2) * s[1]!);
    terms.forEach((part, n) => expectNamed(key, part, 'immediate-state-current', scalarTerm(P, 'W', n + 1, { currentState: true })));
    expectNamed(key, 'e', 'immediate-state-current', scalarTotal(P, 'W', { currentState: true }));
  });

  it('lists s_k for s_{k−1} only where W is the weight', () => {
    for (const wrt of ['U', 'b'] as const) {
      const parts = rnnBpttType.build(rnnInstance(P), rnnBpttType.params.parse({ wrt }), { digits: 4, generator: 2 }).parts;
      expect(parts.some((p) => p.mistakes?.includes('immediate-state-current')), wrt).toBe(false);
    }
  });
});

describe('rnn.forward (scalar, T = 3)', () => {
  const key = fixedKey(rnnForwardType, {}, rnnInstance(P), 2);
  const linear = scalarStates(P, true);
  const s = scalarStates(P);

  it('tanh forgotten: s_t = θ_t all the way, o_3 = V θ_3 + c and the loss from it', () => {
    ['a', 'b', 'c'].forEach((part, n) => expectNamed(key, part, 'forward-no-activation', linear[n + 1]!));
    const o = P.V * linear[3]! + P.c;
    expectNamed(key, 'd', 'forward-no-activation', o);
    expectNamed(key, 'e', 'forward-no-activation', 0.5 * (P.y[2]! - o) ** 2);
  });

  it('½ missing: the loss is (y_3 − o_3)²', () => {
    expectNamed(key, 'e', 'loss-missing-half', (P.y[2]! - (P.V * s[3]! + P.c)) ** 2);
  });
});

describe('rnn.jacobian', () => {
  it('tanh\' at the wrong step (scalar, T = 4): ∂s_j/∂s_{j−1} = (1 − s_{j−1}²)W, and their product', () => {
    const p: ScalarRnn = { ...P, s0: 0, x: [...P.x, 0.6], y: [...P.y, 0.6] };
    const key = fixedKey(rnnJacobianType, {}, rnnInstance(p), 2);
    const s = scalarStates(p);
    const wrong = (j: number) => (1 - s[j - 1]! ** 2) * p.W;
    ['a', 'b', 'c'].forEach((part, n) => expectNamed(key, part, 'tanh-prime-wrong-step', wrong(n + 2)));
    expectNamed(key, 'd', 'tanh-prime-wrong-step', wrong(2) * wrong(3) * wrong(4));
    // in the scalar case the order of the factors cannot matter, so the reversed product is not listed
    expect(key.mistake('d', 'jacobian-product-reversed')).toBeUndefined();
  });

  it('the product in reverse order (H = 2, T = 3): ∂s_2/∂s_1 · ∂s_3/∂s_2 for ∂s_3/∂s_2 · ∂s_2/∂s_1', () => {
    const inst: RnnInstance = {
      model: 'rnn', U: [[0.7], [-0.4]], W: [[0.5, -0.8], [0.9, 0.3]], V: [[0.6, -0.2]], b: [0.1, -0.3], c: [0.2], s0: [0, 0],
      x: [[0.8], [-0.5], [0.6]], y: [[0.1], [0.4], [-0.3]],
    };
    const key = fixedKey(rnnJacobianType, { hidden: 2 }, inst, 2);
    const s: number[][] = [inst.s0];
    for (const x of inst.x) s.push(inst.W.map((row, a) => Math.tanh(inst.U[a]![0]! * x[0]! + row[0]! * s[s.length - 1]![0]! + row[1]! * s[s.length - 1]![1]! + inst.b[a]!)));
    const J = (j: number) => diagTimes(s[j]!.map((v) => 1 - v * v), inst.W);
    expect(maxRelDiff(key.part('c').answer, mm(J(3), J(2)), 1e-12)).toBeLessThan(1e-12);
    expectNamed(key, 'c', 'jacobian-product-reversed', mm(J(2), J(3)));
  });
});

describe('rnn.bptt (H = K = 2, T = 3, ∂L_3/∂U): the reversed product and V inside the vector closed form', () => {
  const inst: RnnInstance = {
    model: 'rnn', U: [[0.7], [-0.4]], W: [[0.5, -0.8], [0.9, 0.3]], V: [[0.6, -0.2], [0.3, 0.8]], b: [0.1, -0.3], c: [0.2, -0.1], s0: [0, 0],
    x: [[0.8], [-0.5], [0.6]], y: [[0.1, 0.5], [0.4, 0.2], [-0.3, 0.7]],
  };
  const key = fixedKey(rnnBpttType, { hidden: 2, outputs: 2 }, inst, 2);
  const s: number[][] = [inst.s0];
  for (const x of inst.x) s.push(inst.W.map((row, a) => Math.tanh(inst.U[a]![0]! * x[0]! + row[0]! * s[s.length - 1]![0]! + row[1]! * s[s.length - 1]![1]! + inst.b[a]!)));
  const J = (j: number) => diagTimes(s[j]!.map((v) => 1 - v * v), inst.W);
  const o = mv(inst.V, s[3]!).map((v, a) => v + inst.c[a]!);
  const e = o.map((v, a) => v - inst.y[2]![a]!);
  // ∂L_3/∂U^(1) = [(∏ J)ᵀ · (error at s_3)] ⊙ (1 − s_1²) · x_1ᵀ, with the product and the error as given
  const termK1 = (product: M, errorAtState: number[]) => mv(tr(product), errorAtState).map((v, a) => [v * (1 - s[1]![a]! ** 2) * inst.x[0]![0]!]);

  it('agrees with the hand formula when nothing goes wrong', () => {
    expect(maxRelDiff(key.part('b').answer, termK1(mm(J(3), J(2)), mv(tr(inst.V), e)), 1e-12)).toBeLessThan(1e-12);
  });

  it('names the product J_2·J_3 in place of J_3·J_2', () => {
    expectNamed(key, 'b', 'jacobian-product-reversed', termK1(mm(J(2), J(3)), mv(tr(inst.V), e)));
    // one Jacobian factor has no order: not listed on the k = 2 term
    expect(key.mistake('c', 'jacobian-product-reversed')).toBeUndefined();
  });

  it('names the error o_3 − y_3 taken for ∂L/∂s_3 (Vᵀ left out)', () => {
    expectNamed(key, 'b', 'missing-output-weight', termK1(mm(J(3), J(2)), e));
    expectNamed(key, 'd', 'missing-output-weight', e.map((v, a) => [v * (1 - s[3]![a]! ** 2) * inst.x[2]![0]!]));
  });

  it('does not list V missing when K ≠ H (the error has the wrong shape for a state)', () => {
    const narrow: RnnInstance = { ...inst, V: [[0.6, -0.2]], c: [0.2], y: inst.y.map((v) => [v[0]!]) };
    const parts = rnnBpttType.build(narrow, rnnBpttType.params.parse({ hidden: 2 }), { digits: 4, generator: 2 }).parts;
    expect(parts.some((p) => p.mistakes?.includes('missing-output-weight'))).toBe(false);
  });
});

// ---- the scalar LSTM of the notes ----
interface ScalarLstm {
  Wxf: number; Wxi: number; Wxg: number; Wxo: number; Whf: number; Whi: number; Whg: number; Who: number;
  bf: number; bi: number; bg: number; bo: number; V: number; by: number; h0: number; c0: number; x: number[]; y: number[];
}
const lstmInstance = (p: ScalarLstm): LstmInstance => ({
  model: 'lstm',
  Wxf: [[p.Wxf]], Wxi: [[p.Wxi]], Wxg: [[p.Wxg]], Wxo: [[p.Wxo]], Whf: [[p.Whf]], Whi: [[p.Whi]], Whg: [[p.Whg]], Who: [[p.Who]],
  bf: [p.bf], bi: [p.bi], bg: [p.bg], bo: [p.bo], V: [[p.V]], by: [p.by], h0: [p.h0], c0: [p.c0], x: p.x.map((v) => [v]), y: p.y.map((v) => [v]),
});

/** The forward pass of docs/math.md §3, scalar; index t holds step t (index 0: h_0, c_0). */
function scalarLstmForward(p: ScalarLstm) {
  const f = [NaN], i = [NaN], g = [NaN], o = [NaN], c = [p.c0], h = [p.h0];
  p.x.forEach((x, n) => {
    const t = n + 1;
    f.push(sigmoid(p.Wxf * x + p.Whf * h[t - 1]! + p.bf));
    i.push(sigmoid(p.Wxi * x + p.Whi * h[t - 1]! + p.bi));
    g.push(Math.tanh(p.Wxg * x + p.Whg * h[t - 1]! + p.bg));
    o.push(sigmoid(p.Wxo * x + p.Who * h[t - 1]! + p.bo));
    c.push(f[t]! * c[t - 1]! + i[t]! * g[t]!);
    h.push(o[t]! * Math.tanh(c[t]!));
  });
  const T = p.x.length;
  return { f, i, g, o, c, h, yhat: p.V * h[T]! + p.by };
}

interface LstmSlip { noHalf?: boolean; noV?: boolean; noOutputGatePath?: boolean }

/**
 * ∂L_T/∂W_hf^(k), k = 1..T (index k), by the notes' routes: the error at h_k from the gates of
 * step k+1 (through o_{k+1} unless that path is dropped), the error at c_k from h_k and from
 * c_{k+1} through f_{k+1}; then δ^f_k = ∂L/∂c_k · c_{k−1} · σ'(a^f_k) and the term δ^f_k · h_{k−1}.
 */
function scalarWhfTerms(p: ScalarLstm, slip: LstmSlip = {}): number[] {
  const { f, i, g, o, c, h, yhat } = scalarLstmForward(p);
  const T = p.x.length;
  const terms: number[] = new Array(T + 1).fill(NaN);
  let dhFromNext = 0, dcNext = 0;
  for (let t = T; t >= 1; t--) {
    const dh = (t === T ? (slip.noHalf ? 2 : 1) * (yhat - p.y[T - 1]!) * (slip.noV ? 1 : p.V) : 0) + dhFromNext;
    const dc = dh * o[t]! * (1 - Math.tanh(c[t]!) ** 2) + (t === T ? 0 : dcNext * f[t + 1]!);
    const df = dc * c[t - 1]! * sigmaPrime(f[t]!), di = dc * g[t]! * sigmaPrime(i[t]!), dg = dc * i[t]! * (1 - g[t]! ** 2), dOut = dh * Math.tanh(c[t]!) * sigmaPrime(o[t]!);
    terms[t] = df * h[t - 1]!;
    dhFromNext = p.Whf * df + p.Whi * di + p.Whg * dg + (slip.noOutputGatePath ? 0 : p.Who * dOut);
    dcNext = dc;
  }
  return terms;
}

// a grid instance on which the terms and every listed mistake lie at least 7% apart
const Q: ScalarLstm = {
  Wxf: -0.1, Wxi: 1, Wxg: 0.5, Wxo: 0.4, Whf: 0.9, Whi: 1, Whg: 0.5, Who: 0.8,
  bf: -0.1, bi: 0.5, bg: 0.1, bo: 0.2, V: -0.5, by: -0.6, h0: 0.6, c0: 1, x: [-0.6, 0.2, -0.4], y: [-0.2, 0.8, 0.2],
};

describe('lstm.bptt (scalar, T = 3, ∂L_3/∂W_hf with h_0, c_0 ≠ 0)', () => {
  const key = fixedKey(lstmBpttType, { wrt: 'Whf', initialState: 'random' }, lstmInstance(Q), 2);
  const fw = scalarLstmForward(Q);
  // parts: (a) ∂L_3/∂ŷ_3, (b) k = 3, (c) k = 2, (d) k = 1, (e) the total
  const partOfStep: Record<number, string> = { 3: 'b', 2: 'c', 1: 'd' };
  const sum = (terms: number[]) => terms[1]! + terms[2]! + terms[3]!;

  it('agrees with the hand routes when nothing goes wrong', () => {
    const exact = scalarWhfTerms(Q);
    for (const k of [1, 2, 3]) expect(maxRelDiff(key.part(partOfStep[k]!).answer, exact[k], 1e-12)).toBeLessThan(1e-12);
  });

  it('only the cell path: ∂L/∂c_{k} = ∂L/∂c_3 · f_3 ⋯ f_{k+1}', () => {
    const dc3 = Q.V * (fw.yhat - Q.y[2]!) * fw.o[3]! * (1 - Math.tanh(fw.c[3]!) ** 2);
    const dc = { 3: dc3, 2: dc3 * fw.f[3]!, 1: dc3 * fw.f[3]! * fw.f[2]! } as Record<number, number>;
    const term = (k: number) => dc[k]! * fw.c[k - 1]! * sigmaPrime(fw.f[k]!) * fw.h[k - 1]!;
    expectNamed(key, 'c', 'lstm-cell-path-only', term(2));
    expectNamed(key, 'd', 'lstm-cell-path-only', term(1));
    expectNamed(key, 'e', 'lstm-cell-path-only', term(1) + term(2) + term(3));
    // the k = 3 term has no path back through time to drop
    expect(key.mistake('b', 'lstm-cell-path-only')).toBeUndefined();
  });

  it('the output-gate path dropped: ∂L/∂h_k without W_ho δ^o_{k+1}', () => {
    const wrong = scalarWhfTerms(Q, { noOutputGatePath: true });
    expectNamed(key, 'c', 'lstm-output-gate-path-missing', wrong[2]);
    expectNamed(key, 'd', 'lstm-output-gate-path-missing', wrong[1]);
    expectNamed(key, 'e', 'lstm-output-gate-path-missing', sum(wrong));
    expect(key.mistake('b', 'lstm-output-gate-path-missing')).toBeUndefined();
  });

  it('V missing and ½ missing', () => {
    const noV = scalarWhfTerms(Q, { noV: true }), noHalf = scalarWhfTerms(Q, { noHalf: true });
    for (const k of [1, 2, 3]) {
      expectNamed(key, partOfStep[k]!, 'missing-output-weight', noV[k]);
      expectNamed(key, partOfStep[k]!, 'loss-missing-half', noHalf[k]);
    }
    expectNamed(key, 'e', 'missing-output-weight', sum(noV));
    expectNamed(key, 'a', 'loss-missing-half', 2 * (fw.yhat - Q.y[2]!));
  });
});

describe('lstm.forward (scalar, T = 2)', () => {
  it('½ missing: the loss is (y_2 − ŷ_2)²', () => {
    const p = { ...Q, x: [0.6, -0.8], y: [0.1, 0.2] };
    const key = fixedKey(lstmForwardType, {}, lstmInstance(p), 2);
    const loss = key.variant.questions[0]!.parts.at(-1)!.id.split('.')[1]!;
    expectNamed(key, loss, 'loss-missing-half', (p.y[1]! - scalarLstmForward(p).yhat) ** 2);
  });
});

const CELL: LstmInstance = {
  model: 'lstm',
  Wxf: [[0.3], [-0.5]], Wxi: [[0.9], [0.2]], Wxg: [[-0.5], [0.7]], Wxo: [[0.4], [-0.6]],
  Whf: [[0.5, -0.3], [0.2, 0.6]], Whi: [[-0.6, 0.4], [0.7, -0.2]], Whg: [[0.8, 0.5], [-0.9, 0.3]], Who: [[0.7, -0.4], [0.1, 0.5]],
  bf: [0.5, 0.2], bi: [-0.2, 0.3], bg: [0.1, -0.4], bo: [0.3, 0.1], V: [[0.8, -0.6]], by: [-0.1], h0: [0, 0], c0: [0, 0],
  x: [[0.6], [-0.8], [0.5]], y: [[0.1], [0.2], [0.9]],
};

describe('lstm.cell-jacobian (H = 2, T = 3)', () => {
  it('the cell factor in reverse order: ∂c_2/∂c_1 · ∂c_3/∂c_2', () => {
    const inst = CELL;
    const key = fixedKey(lstmCellJacobianType, { hidden: 2, giveForward: false }, inst, 2);
    // the forward values from the engine; each ∂c_t/∂c_{t−1} by the formula of docs/math.md §3.2
    const r = solveLstm(inst);
    const J = (t: number): M => {
      const [f, i, g, cPrev, oPrev] = [r.f[t - 1]!, r.i[t - 1]!, r.g[t - 1]!, r.c[t - 2]!, r.o[t - 2]!];
      const paths = [
        diagTimes(cPrev.map((c, a) => c * sigmaPrime(f[a]!)), inst.Whf),
        diagTimes(g.map((v, a) => v * sigmaPrime(i[a]!)), inst.Whi),
        diagTimes(i.map((v, a) => v * (1 - g[a]! ** 2)), inst.Whg),
      ].reduce((A, B) => A.map((row, a) => row.map((v, b) => v + B[a]![b]!)));
      const dhdc = cPrev.map((c, a) => oPrev[a]! * (1 - Math.tanh(c) ** 2));
      return paths.map((row, a) => row.map((v, b) => v * dhdc[b]! + (a === b ? f[a]! : 0)));
    };
    const product = key.variant.questions[0]!.parts.find((p) => p.prompt.includes('cell factor'))!.id.split('.')[1]!;
    expect(maxRelDiff(key.part(product).answer, mm(J(3), J(2)), 1e-12)).toBeLessThan(1e-12);
    expectNamed(key, product, 'jacobian-product-reversed', mm(J(2), J(3)));
  });

  it('the comparable RNN\'s factor: reversed, and with tanh\' one step early', () => {
    const key = fixedKey(lstmCellJacobianType, { hidden: 2, giveForward: false }, CELL, 2);
    // the comparable RNN: s_t = tanh(W_xg x_t + W_hg s_{t−1} + b_g), s_0 = h_0
    const s: number[][] = [CELL.h0];
    for (const x of CELL.x) s.push(CELL.Whg.map((row, a) => Math.tanh(CELL.Wxg[a]![0]! * x[0]! + row[0]! * s[s.length - 1]![0]! + row[1]! * s[s.length - 1]![1]! + CELL.bg[a]!)));
    const J = (j: number, step = j) => diagTimes(s[step]!.map((v) => 1 - v * v), CELL.Whg);
    const factor = key.variant.questions[0]!.parts.at(-1)!.id.split('.')[1]!;
    expect(maxRelDiff(key.part(factor).answer, mm(J(3), J(2)), 1e-12)).toBeLessThan(1e-12);
    expectNamed(key, factor, 'jacobian-product-reversed', mm(J(2), J(3)));
    expectNamed(key, factor, 'tanh-prime-wrong-step', mm(J(3, 2), J(2, 1)));
  });
});

describe('every problem type lists only mistakes it can compute', () => {
  it('builds each type on a hand instance with finite values for every listed mistake', () => {
    const cases: [AnyProblemType, Record<string, unknown>, RnnInstance | LstmInstance][] = [
      [rnnForwardType, {}, rnnInstance(P)], [rnnBpttType, { wrt: 'b' }, rnnInstance(P)], [rnnBpttType, { wrt: 'V' }, rnnInstance(P)],
      [rnnBpttType, { loss: 'sum' }, { ...rnnInstance(P), loss: 'sum' }], [lstmBpttType, { wrt: 'Who' }, lstmInstance(Q)], [lstmBpttType, { wrt: 'Wxg' }, lstmInstance(Q)],
    ];
    for (const [type, params, inst] of cases) {
      const sol = solve(inst);
      for (const spec of type.build(inst, type.params.parse(params), { digits: 4, generator: 2 }).parts) {
        const listed = mistakeValues(spec, sol, 2);
        expect(listed.length, `${type.id} ${spec.key}`).toBeGreaterThan(0);
        for (const m of listed) expect([m.value].flat(2).every((v) => Number.isFinite(v)), `${type.id} ${spec.key} ${m.id}`).toBe(true);
      }
    }
  });
});
