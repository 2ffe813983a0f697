/**
 * The LSTM of docs/math.md §3 (no peepholes), computed two independent ways:
 * - `solveLstm` builds the graph in the autodiff engine; per-use nodes give ∂L/∂W^(k) for every
 *   weight and bias, k = 1..T (the notes' ∂L₃/∂W_hf^(k)).
 * - `lstmClosedForm` runs the hand-derived BPTT recurrences (carrying ∂L/∂h_t and ∂L/∂c_t
 *   backwards through the gates).
 * The cell-to-cell Jacobian ∂c_t/∂c_{t−1} (direct f_t, and total) is the formula of docs/math.md §3.2.
 */
import { sharedTape, type NodeId } from '../engine/autodiff.js';
import {
  LSTM_BIASES, LSTM_GATES, LSTM_WEIGHTS, dims,
  type Gate, type LstmBias, type LstmInstance, type LstmWeight, type Mat, type Vec,
} from './instance.js';
import { EXACT, rounders, type Convention } from './convention.js';
import { addMat, addVec, diag, diagTimes, hadamard, identity, matMul, matTVec, matVec, outer, sigmoid, subVec, sumMats, sumVecs } from './linalg.js';
import { lossSteps, withoutOutputWeight } from './rnn.js';

export interface LstmForward {
  /** pre-activations a^f_t, a^i_t, a^g_t, a^o_t */
  af: Vec[]; ai: Vec[]; ag: Vec[]; ao: Vec[];
  f: Vec[]; i: Vec[]; g: Vec[]; o: Vec[];
  c: Vec[];
  /** m_t = tanh(c_t) */
  m: Vec[];
  h: Vec[];
  yhat: Vec[];
  losses: number[];
  loss: number;
}

type WeightGrads = { [W in LstmWeight as `dL_d${W}`]: Mat };
type BiasGrads = { [B in LstmBias as `dL_d${B}`]: Vec };
type WeightSteps = { [W in LstmWeight as `dL_d${W}_by_step`]: Mat[] };
type BiasSteps = { [B in LstmBias as `dL_d${B}_by_step`]: Vec[] };

export type LstmGradients = WeightGrads & BiasGrads & WeightSteps & BiasSteps & {
  dL_dV: Mat; dL_dby: Vec; dL_dh0: Vec; dL_dc0: Vec;
};

export type LstmSolution = { model: 'lstm' } & LstmForward & LstmGradients & {
  /** entry t−1 is diag(f_t) */
  dc_dc_prev_direct: Mat[];
  /** entry t−1 is the total ∂c_t/∂c_{t−1} of docs/math.md §3.2 */
  dc_dc_prev: Mat[];
};

/**
 * Each gate's input weight, recurrent weight and bias. A constant table, not template strings:
 * a key built anew on every call must be interned before each property lookup, which dominated
 * the closed forms' time.
 */
const GATE_PARAMS: Record<Gate, readonly [LstmWeight, LstmWeight, LstmBias]> = {
  f: ['Wxf', 'Whf', 'bf'], i: ['Wxi', 'Whi', 'bi'], g: ['Wxg', 'Whg', 'bg'], o: ['Wxo', 'Who', 'bo'],
};
const gateWeights = (gate: Gate) => GATE_PARAMS[gate];

/** The forward pass in plain arithmetic (docs/math.md §3); `conv.round` models a student's rounding. */
export function lstmForward(inst: LstmInstance, conv: Convention = EXACT): LstmForward {
  const { r } = rounders(conv);
  const out: LstmForward = { af: [], ai: [], ag: [], ao: [], f: [], i: [], g: [], o: [], c: [], m: [], h: [], yhat: [], losses: [], loss: 0 };
  let h = inst.h0, c = inst.c0;
  inst.x.forEach((xt, t) => {
    const pre = (gate: Gate) => {
      const [wx, wh, b] = gateWeights(gate);
      return r(addVec(addVec(matVec(inst[wx], xt), matVec(inst[wh], h)), inst[b]));
    };
    const af = pre('f'), ai = pre('i'), ag = pre('g'), ao = pre('o');
    const f = r(af.map(sigmoid)), i = r(ai.map(sigmoid)), g = r(ag.map(Math.tanh)), o = r(ao.map(sigmoid));
    c = r(addVec(hadamard(f, c), hadamard(i, g)));
    const m = r(c.map(Math.tanh));
    h = r(hadamard(o, m));
    const yhat = r(addVec(matVec(inst.V, h), inst.by));
    const e = subVec(inst.y[t]!, yhat);
    out.af.push(af); out.ai.push(ai); out.ag.push(ag); out.ao.push(ao);
    out.f.push(f); out.i.push(i); out.g.push(g); out.o.push(o);
    out.c.push(c); out.m.push(m); out.h.push(h); out.yhat.push(yhat);
    out.losses.push(conv.round((conv.lossHalf ? 0.5 : 1) * e.reduce((acc, v) => acc + v * v, 0)));
  });
  out.loss = lossSteps(inst.loss, inst.x.length).reduce((acc, t) => acc + out.losses[t]!, 0);
  return out;
}

/**
 * ∂c_t/∂c_{t−1}, direct (diag f_t) and total (docs/math.md §3.2), for t = 1..T. For t = 1 the total is
 * the direct term: h_0 is an input, not a function of c_0. `conv.cell` drops or swaps factors
 * the way the catalogued mistakes do.
 */
export function lstmCellJacobians(inst: LstmInstance, fw: LstmForward, conv: Convention = EXACT): { direct: Mat[]; total: Mat[] } {
  const { r } = rounders(conv);
  const direct: Mat[] = [], total: Mat[] = [];
  const sigPrime = (a: number) => conv.round(conv.sigmoidPrime(a, conv.round(sigmoid(a))));
  const tanhPrime = (a: number) => conv.round(conv.tanhPrime(a, conv.round(Math.tanh(a))));
  for (let t = 0; t < fw.f.length; t++) {
    const d = diag(fw.f[t]!);
    direct.push(d);
    if (t === 0 || !conv.cell.throughH) {
      total.push(d);
      continue;
    }
    const cPrev = conv.cell.cellIsCurrent ? fw.c[t]! : fw.c[t - 1]!;
    const viaF = diagTimes(r(hadamard(cPrev, fw.af[t]!.map(sigPrime))), inst.Whf);
    const viaI = diagTimes(r(hadamard(fw.g[t]!, fw.ai[t]!.map(sigPrime))), inst.Whi);
    const viaG = diagTimes(r(hadamard(fw.i[t]!, fw.ag[t]!.map(tanhPrime))), inst.Whg);
    // ∂h_{t−1}/∂c_{t−1} = diag(o_{t−1} ⊙ tanh'(c_{t−1})), applied on the right
    const dh_dc = r(cPrev.map((c, a) => (conv.cell.outputGate ? fw.o[t - 1]![a]! : 1) * (conv.cell.tanhPrimeCell ? conv.round(conv.tanhPrime(c, Math.tanh(c))) : 1)));
    const throughH = addMat(addMat(viaF, viaI), viaG).map((row) => row.map((v, j) => conv.round(v * dh_dc[j]!)));
    total.push(addMat(d, throughH).map(r));
  }
  return { direct, total };
}

/** ∂c_t/∂c_k along every path, and what it is built from, for t = k..T (see `lstmCellAcrossSteps`). */
export interface LstmCellAcrossSteps {
  /** the step k the derivatives are taken with respect to (c_k) */
  from: number;
  /** entry t − k: ∂c_t/∂c_k (H×H; the identity at t = k) */
  dc: Mat[];
  /** entry t − k: ∂h_t/∂c_k */
  dh: Mat[];
  /**
   * entry t − k − 1, for t = k+1..T: A_t = ∂c_t/∂h_{t−1} with c_{t−1} held fixed,
   * diag(c_{t−1} ⊙ σ'(a^f_t)) W_hf + diag(g_t ⊙ σ'(a^i_t)) W_hi + diag(i_t ⊙ tanh'(a^g_t)) W_hg
   */
  throughH: Mat[];
  /** entry t − k − 1, for t = k+1..T: ∂h_t/∂h_{t−1} through the output gate at fixed c_t, diag(m_t ⊙ σ'(a^o_t)) W_ho */
  outputGate: Mat[];
  /** entry t − k: ∂h_t/∂c_t = o_t ⊙ (1 − m_t²) (the diagonal) */
  hPerC: Vec[];
}

/**
 * The true ∂c_t/∂c_k, t = k..T, by the chain rule through the LSTM's whole state (c_t, h_t)
 * (docs/math.md §3.4). It is not the product of the per-step totals ∂c_t/∂c_{t−1} of §3.2: each
 * total holds o_{t−1} fixed — right for one step, since o_{t−1} is computed from h_{t−2} before
 * c_{t−1} exists — so over two steps and more the product leaves out the path
 * c_{t−1} → h_{t−1} → o_t → h_t (and on into the gates of step t+1), which skips c_t.
 * Differentiating §3.1's equations,
 *   ∂c_t = diag(f_t) ∂c_{t−1} + A_t ∂h_{t−1},
 *     A_t = diag(c_{t−1} ⊙ σ'(a^f_t)) W_hf + diag(g_t ⊙ σ'(a^i_t)) W_hi + diag(i_t ⊙ tanh'(a^g_t)) W_hg,
 *   ∂h_t = diag(m_t ⊙ σ'(a^o_t)) W_ho ∂h_{t−1} + diag(o_t ⊙ (1 − m_t²)) ∂c_t,
 * from ∂c_k = I and ∂h_k = diag(o_k ⊙ (1 − m_k²)) (o_k does not depend on c_k). Since
 * ∂h_{t−1} = diag(o_{t−1} ⊙ (1 − m_{t−1}²)) ∂c_{t−1} + diag(m_{t−1}) ∂o_{t−1}, the first line is
 * §3.2's total times ∂c_{t−1} plus A_t diag(m_{t−1}) ∂o_{t−1}: the path the product misses, zero
 * when W_ho = 0. Forward values come from `fw` (exact: `lstmForward(inst)`).
 */
export function lstmCellAcrossSteps(inst: LstmInstance, fw: LstmForward, from = 1): LstmCellAcrossSteps {
  const T = fw.c.length, H = inst.Whf.length;
  if (!Number.isInteger(from) || from < 1 || from > T) throw new RangeError(`lstmCellAcrossSteps: from should be a step 1..${T}, not ${from}`);
  const sigPrime = (s: Vec) => s.map((v) => v * (1 - v));
  const hPerC = (t: number) => fw.o[t - 1]!.map((o, a) => o * (1 - fw.m[t - 1]![a]! ** 2));
  const out: LstmCellAcrossSteps = { from, dc: [identity(H)], dh: [diag(hPerC(from))], throughH: [], outputGate: [], hPerC: [hPerC(from)] };
  for (let t = from + 1; t <= T; t++) {
    const k = t - 1;
    const A = addMat(addMat(
      diagTimes(hadamard(fw.c[k - 1]!, sigPrime(fw.f[k]!)), inst.Whf),
      diagTimes(hadamard(fw.g[k]!, sigPrime(fw.i[k]!)), inst.Whi)),
      diagTimes(hadamard(fw.i[k]!, fw.g[k]!.map((g) => 1 - g * g)), inst.Whg));
    const B = diagTimes(hadamard(fw.m[k]!, sigPrime(fw.o[k]!)), inst.Who);
    const kappa = hPerC(t);
    const dcPrev = out.dc[out.dc.length - 1]!, dhPrev = out.dh[out.dh.length - 1]!;
    const dc = addMat(diagTimes(fw.f[k]!, dcPrev), matMul(A, dhPrev));
    const dh = addMat(matMul(B, dhPrev), diagTimes(kappa, dc));
    out.dc.push(dc);
    out.dh.push(dh);
    out.throughH.push(A);
    out.outputGate.push(B);
    out.hPerC.push(kappa);
  }
  return out;
}

type ParamSteps = Record<LstmWeight, Mat[]> & Record<LstmBias, Vec[]>;

/**
 * The whole result, every field written out in one literal: assembling it by spreading objects
 * (or building one from computed keys) measured ~100 µs per call in V8's slow paths, against a
 * few µs here — and the generator calls the closed forms thousands of times per class set.
 */
function lstmResult(
  fw: LstmForward, steps: ParamSteps, total: (p: LstmWeight | LstmBias) => Mat | Vec,
  rest: { dL_dV: Mat; dL_dby: Vec; dL_dh0: Vec; dL_dc0: Vec },
): LstmForward & LstmGradients {
  const m = (w: LstmWeight) => total(w) as Mat;
  const v = (b: LstmBias) => total(b) as Vec;
  return {
    af: fw.af, ai: fw.ai, ag: fw.ag, ao: fw.ao, f: fw.f, i: fw.i, g: fw.g, o: fw.o,
    c: fw.c, m: fw.m, h: fw.h, yhat: fw.yhat, losses: fw.losses, loss: fw.loss,
    dL_dWxf: m('Wxf'), dL_dWxi: m('Wxi'), dL_dWxg: m('Wxg'), dL_dWxo: m('Wxo'),
    dL_dWhf: m('Whf'), dL_dWhi: m('Whi'), dL_dWhg: m('Whg'), dL_dWho: m('Who'),
    dL_dbf: v('bf'), dL_dbi: v('bi'), dL_dbg: v('bg'), dL_dbo: v('bo'),
    dL_dV: rest.dL_dV, dL_dby: rest.dL_dby, dL_dh0: rest.dL_dh0, dL_dc0: rest.dL_dc0,
    dL_dWxf_by_step: steps.Wxf, dL_dWxi_by_step: steps.Wxi, dL_dWxg_by_step: steps.Wxg, dL_dWxo_by_step: steps.Wxo,
    dL_dWhf_by_step: steps.Whf, dL_dWhi_by_step: steps.Whi, dL_dWhg_by_step: steps.Whg, dL_dWho_by_step: steps.Who,
    dL_dbf_by_step: steps.bf, dL_dbi_by_step: steps.bi, dL_dbg_by_step: steps.bg, dL_dbo_by_step: steps.bo,
  };
}

/** The engine's solution: forward values, every gradient, and per-use terms of every weight. */
export function solveLstm(inst: LstmInstance): LstmSolution {
  const { T } = dims(inst);
  const tp = sharedTape();
  tp.reset();
  const params = {} as Record<LstmWeight | LstmBias, NodeId>;
  for (const w of LSTM_WEIGHTS) params[w] = tp.matrix(inst[w]);
  for (const b of LSTM_BIASES) params[b] = tp.vector(inst[b]);
  const uses = {} as Record<LstmWeight | LstmBias, NodeId[]>;
  for (const p of [...LSTM_WEIGHTS, ...LSTM_BIASES]) uses[p] = [];
  const V = tp.matrix(inst.V), by = tp.vector(inst.by), h0 = tp.vector(inst.h0), c0 = tp.vector(inst.c0);
  const nodes: Record<keyof Omit<LstmForward, 'losses' | 'loss'>, NodeId[]> = { af: [], ai: [], ag: [], ao: [], f: [], i: [], g: [], o: [], c: [], m: [], h: [], yhat: [] };
  const lossNodes: NodeId[] = [];
  const use = (p: LstmWeight | LstmBias) => {
    const u = tp.use(params[p]);
    uses[p].push(u);
    return u;
  };
  let h = h0, c = c0;
  for (let t = 0; t < T; t++) {
    const x = tp.vector(inst.x[t]!);
    const preActivation = (gate: Gate) => {
      const [wx, wh, b] = GATE_PARAMS[gate];
      return tp.add(tp.add(tp.matmul(use(wx), x), tp.matmul(use(wh), h)), use(b));
    };
    const af = preActivation('f'), ai = preActivation('i'), ag = preActivation('g'), ao = preActivation('o');
    const f = tp.sigmoid(af), i = tp.sigmoid(ai), g = tp.tanh(ag), o = tp.sigmoid(ao);
    c = tp.add(tp.mul(f, c), tp.mul(i, g));
    const m = tp.tanh(c);
    h = tp.mul(o, m);
    const yhat = tp.add(tp.matmul(V, h), by);
    lossNodes.push(tp.halfSquaredNorm(tp.sub(tp.vector(inst.y[t]!), yhat)));
    nodes.af.push(af); nodes.ai.push(ai); nodes.ag.push(ag); nodes.ao.push(ao);
    nodes.f.push(f); nodes.i.push(i); nodes.g.push(g); nodes.o.push(o);
    nodes.c.push(c); nodes.m.push(m); nodes.h.push(h); nodes.yhat.push(yhat);
  }
  const root = tp.sum(lossSteps(inst.loss, T).map((t) => lossNodes[t]!));
  tp.backward(root);
  const cols = (ns: NodeId[]) => ns.map((n) => tp.valueArray(n));
  const fw: LstmForward = {
    af: cols(nodes.af), ai: cols(nodes.ai), ag: cols(nodes.ag), ao: cols(nodes.ao),
    f: cols(nodes.f), i: cols(nodes.i), g: cols(nodes.g), o: cols(nodes.o),
    c: cols(nodes.c), m: cols(nodes.m), h: cols(nodes.h), yhat: cols(nodes.yhat),
    losses: lossNodes.map((n) => tp.scalar(n)), loss: tp.scalar(root),
  };
  const steps = {} as ParamSteps;
  for (const w of LSTM_WEIGHTS) steps[w] = uses[w].map((u) => tp.gradRows(u));
  for (const b of LSTM_BIASES) steps[b] = uses[b].map((u) => tp.gradArray(u));
  const jac = lstmCellJacobians(inst, fw);
  const result = lstmResult(fw, steps, (p) => (p.startsWith('W') ? tp.gradRows(params[p]) : tp.gradArray(params[p])), {
    dL_dV: tp.gradRows(V), dL_dby: tp.gradArray(by), dL_dh0: tp.gradArray(h0), dL_dc0: tp.gradArray(c0),
  });
  return Object.assign(result, { model: 'lstm' as const, dc_dc_prev_direct: jac.direct, dc_dc_prev: jac.total });
}

/**
 * The BPTT recurrences written by hand, from t = T down to 1:
 *   ∂L/∂h_t = Vᵀ(ŷ_t − y_t)[if L_t counts] + Σ_G W_hGᵀ δ^G_{t+1}
 *   ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ (1 − m_t²) + ∂L/∂c_{t+1} ⊙ f_{t+1}
 *   δ^f_t = ∂L/∂c_t ⊙ c_{t−1} ⊙ σ'(a^f_t), δ^i_t = ∂L/∂c_t ⊙ g_t ⊙ σ'(a^i_t),
 *   δ^g_t = ∂L/∂c_t ⊙ i_t ⊙ tanh'(a^g_t),  δ^o_t = ∂L/∂h_t ⊙ m_t ⊙ σ'(a^o_t)
 *   ∂L/∂W_xG^(t) = δ^G_t x_tᵀ, ∂L/∂W_hG^(t) = δ^G_t h_{t−1}ᵀ, ∂L/∂b_G^(t) = δ^G_t.
 */
export function lstmClosedForm(inst: LstmInstance, conv: Convention = EXACT): LstmForward & LstmGradients {
  const { r, rm } = rounders(conv);
  const fw = lstmForward(inst, conv);
  const { D, H, K, T } = dims(inst);
  const counted = new Set(lossSteps(inst.loss, T));
  const steps: Record<LstmWeight | LstmBias, (Mat | Vec)[]> = {
    Wxf: [], Wxi: [], Wxg: [], Wxo: [], Whf: [], Whi: [], Whg: [], Who: [], bf: [], bi: [], bg: [], bo: [],
  };
  let dhNext = new Array<number>(H).fill(0);
  let dcNext = new Array<number>(H).fill(0);
  let fNext = new Array<number>(H).fill(0);
  const dV: Mat[] = [], dby: Vec[] = [];
  for (let t = T - 1; t >= 0; t--) {
    let dh = dhNext;
    if (counted.has(t)) {
      const e = r(fw.yhat[t]!.map((v, a) => conv.outputError(v, inst.y[t]![a]!)));
      dh = r(addVec(dh, conv.outputWeight ? matTVec(inst.V, e) : withoutOutputWeight(e, H)));
      dV.push(outer(e, fw.h[t]!));
      dby.push(e);
    }
    const cPrev = t === 0 ? inst.c0 : fw.c[t - 1]!;
    const hPrev = t === 0 ? inst.h0 : fw.h[t - 1]!;
    const tp = (pre: Vec[], act: Vec[], a: number) => conv.round(conv.tanhPrime(pre[t]![a]!, act[t]![a]!));
    const sp = (pre: Vec[], act: Vec[], a: number) => conv.round(conv.sigmoidPrime(pre[t]![a]!, act[t]![a]!));
    const dc = r(addVec(dh.map((v, a) => v * fw.o[t]![a]! * tp(fw.c, fw.m, a)), hadamard(dcNext, fNext)));
    const delta: Record<Gate, Vec> = {
      f: r(dc.map((v, a) => v * cPrev[a]! * sp(fw.af, fw.f, a))),
      i: r(dc.map((v, a) => v * fw.g[t]![a]! * sp(fw.ai, fw.i, a))),
      g: r(dc.map((v, a) => v * fw.i[t]![a]! * tp(fw.ag, fw.g, a))),
      o: r(dh.map((v, a) => v * fw.m[t]![a]! * sp(fw.ao, fw.o, a))),
    };
    let dhPrev = new Array<number>(H).fill(0);
    for (const gate of LSTM_GATES) {
      const [wx, wh, b] = gateWeights(gate);
      steps[wx]![t] = rm(outer(delta[gate], inst.x[t]!));
      steps[wh]![t] = rm(outer(delta[gate], hPrev));
      steps[b]![t] = delta[gate];
      // the catalogued mistakes drop the paths back through h_{t−1} (all of them: the cell path
      // alone), or the one through the output gate
      if (conv.lstmBack.throughH && (gate !== 'o' || conv.lstmBack.outputGate)) dhPrev = addVec(dhPrev, matTVec(inst[wh], delta[gate]));
    }
    dhNext = r(dhPrev);
    dcNext = dc;
    fNext = fw.f[t]!;
  }
  return lstmResult(fw, steps as ParamSteps, (p) =>
    p.startsWith('W') ? rm(sumMats(steps[p] as Mat[], H, p.startsWith('Wx') ? D : H)) : r(sumVecs(steps[p] as Vec[], H)), {
    dL_dV: rm(sumMats(dV, K, H)), dL_dby: r(sumVecs(dby, K)), dL_dh0: dhNext, dL_dc0: r(hadamard(dcNext, fNext)),
  });
}
