/**
 * The GRU of docs/math.md §5 (Cho et al. 2014, the reset gate applied to h_{t−1} before W_hn):
 *   r_t = σ(W_xr x_t + W_hr h_{t−1} + b_r),  z_t = σ(W_xz x_t + W_hz h_{t−1} + b_z),
 *   n_t = tanh(W_xn x_t + W_hn (r_t ⊙ h_{t−1}) + b_n),  h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t,
 *   ŷ_t = V h_t + b_y,  L_t = ½‖y_t − ŷ_t‖².
 * - `gruForward`: the forward pass in plain arithmetic.
 * - `gruBackward` / `gruClosedForm`: the hand-derived BPTT recurrences (carrying ∂L/∂h_t backwards through the
 *   gates), every gradient and the per-step term ∂L/∂P^(k) of every weight and bias.
 * - `gruStateJacobians`: ∂h_t/∂h_{t−1}, direct (diag z_t) and total (docs/math.md §5).
 * Each takes a Convention: exact, rounded by hand, or with a catalogued mistake (among them the
 * GRU's own, `conv.gru`: the other update convention, the reset gate after W_hn, the direct term alone).
 * `solveGru` is what `solve` returns. tests/gru.test.ts holds the closed form to the autodiff
 * engine (a graph built there from the forward equations alone), to dual numbers
 * (tests/independent-solver.test.ts) and to finite differences.
 */
import { dims, type GruBias, type GruGate, type GruInstance, type GruWeight, type Mat, type Vec } from './instance.js';
import { EXACT, rounders, type Convention } from './convention.js';
import { addMat, addVec, diag, diagTimes, hadamard, matTVec, matVec, outer, sigmoid, subVec, sumMats, sumVecs } from './linalg.js';
import { lossSteps } from './rnn.js';

export interface GruForward {
  /** pre-activations a^r_t, a^z_t, a^n_t */
  ar: Vec[]; az: Vec[]; an: Vec[];
  r: Vec[]; z: Vec[]; n: Vec[];
  h: Vec[];
  yhat: Vec[];
  /** L_t for every t */
  losses: number[];
  /** the instance's loss: L_T, or Σ_t L_t */
  loss: number;
}

type WeightGrads = { [W in GruWeight as `dL_d${W}`]: Mat };
type BiasGrads = { [B in GruBias as `dL_d${B}`]: Vec };
type WeightSteps = { [W in GruWeight as `dL_d${W}_by_step`]: Mat[] };
type BiasSteps = { [B in GruBias as `dL_d${B}_by_step`]: Vec[] };

export type GruGradients = WeightGrads & BiasGrads & WeightSteps & BiasSteps & {
  dL_dV: Mat; dL_dby: Vec; dL_dh0: Vec;
};

export type GruSolution = { model: 'gru' } & GruForward & GruGradients & {
  /** entry t−1 is diag(z_t) */
  dh_dh_prev_direct: Mat[];
  /** entry t−1 is the total ∂h_t/∂h_{t−1} of docs/math.md §5 */
  dh_dh_prev: Mat[];
};

/** Each gate's input weight, recurrent weight and bias. */
export const GRU_GATE_PARAMS: Record<GruGate, readonly [GruWeight, GruWeight, GruBias]> = {
  r: ['Wxr', 'Whr', 'br'], z: ['Wxz', 'Whz', 'bz'], n: ['Wxn', 'Whn', 'bn'],
};

/**
 * A pre-activation, or NaN if its sum overflowed: σ and tanh would squash ±∞ to a finite value
 * and hide the overflow, which the printed solution must report (as fused.ts does).
 */
const finite = (x: number): number => (Number.isFinite(x) ? x : NaN);

/** The forward pass in plain arithmetic (docs/math.md §5); `conv.round` models a student's rounding. */
export function gruForward(inst: GruInstance, conv: Convention = EXACT): GruForward {
  const { r: rd } = rounders(conv);
  const out: GruForward = { ar: [], az: [], an: [], r: [], z: [], n: [], h: [], yhat: [], losses: [], loss: 0 };
  let h = inst.h0;
  inst.x.forEach((xt, t) => {
    const ar = rd(addVec(addVec(matVec(inst.Wxr, xt), matVec(inst.Whr, h)), inst.br).map(finite));
    const az = rd(addVec(addVec(matVec(inst.Wxz, xt), matVec(inst.Whz, h)), inst.bz).map(finite));
    const r = rd(ar.map(sigmoid)), z = rd(az.map(sigmoid));
    // the reset gate before W_hn (correct), or after it under `conv.gru.resetAfter`
    const recurrent = conv.gru.resetAfter ? hadamard(r, rd(matVec(inst.Whn, h))) : matVec(inst.Whn, rd(hadamard(r, h)));
    const an = rd(addVec(addVec(matVec(inst.Wxn, xt), recurrent), inst.bn).map(finite));
    const n = rd(an.map(Math.tanh));
    // z_t carries h_{t−1} (correct), or 1 − z_t does under `conv.gru.updateSwapped`
    h = rd(h.map((hp, a) => (conv.gru.updateSwapped ? (1 - z[a]!) * hp + z[a]! * n[a]! : z[a]! * hp + (1 - z[a]!) * n[a]!)));
    const yhat = rd(addVec(matVec(inst.V, h), inst.by));
    const e = subVec(inst.y[t]!, yhat);
    out.ar.push(ar); out.az.push(az); out.an.push(an);
    out.r.push(r); out.z.push(z); out.n.push(n); out.h.push(h); out.yhat.push(yhat);
    out.losses.push(conv.round((conv.lossHalf ? 0.5 : 1) * e.reduce((acc, v) => acc + v * v, 0)));
  });
  out.loss = lossSteps(inst.loss, inst.x.length).reduce((acc, t) => acc + out.losses[t]!, 0);
  return out;
}

/** The parts of the total ∂h_t/∂h_{t−1} (docs/math.md §5), for t = 1..T (entry t−1). */
export interface GruStateJacobians {
  /** diag(z_t): the carry path */
  direct: Mat[];
  /** diag((h_{t−1} − n_t) ⊙ σ'(a^z_t)) W_hz: through the update gate */
  viaZ: Mat[];
  /** diag((1 − z_t) ⊙ tanh'(a^n_t)) W_hn diag(r_t): through the candidate, r_t held fixed */
  viaN: Mat[];
  /** diag((1 − z_t) ⊙ tanh'(a^n_t)) W_hn diag(h_{t−1} ⊙ σ'(a^r_t)) W_hr: through the reset gate */
  viaR: Mat[];
  /** the sum of the four */
  total: Mat[];
}

/**
 * ∂h_t/∂h_{t−1} for every t ≥ 1 (h_0 is the state before step 1), from the forward values in `fw`:
 *   diag(z_t) + diag((h_{t−1} − n_t) ⊙ σ'(a^z_t)) W_hz
 *     + diag((1 − z_t) ⊙ tanh'(a^n_t)) W_hn [diag(r_t) + diag(h_{t−1} ⊙ σ'(a^r_t)) W_hr].
 * σ' and tanh' are taken from the activations' values, s(1 − s) and 1 − t² (docs/math.md §1).
 */
export function gruStateJacobians(inst: GruInstance, fw: GruForward, conv: Convention = EXACT): GruStateJacobians {
  const { r: rd, rm } = rounders(conv);
  const out: GruStateJacobians = { direct: [], viaZ: [], viaN: [], viaR: [], total: [] };
  for (let t = 0; t < fw.h.length; t++) {
    const hp = t === 0 ? inst.h0 : fw.h[t - 1]!;
    const z = fw.z[t]!, n = fw.n[t]!, r = fw.r[t]!;
    const sz = z.map((v, a) => conv.round(conv.sigmoidPrime(fw.az[t]![a]!, v)));
    const sr = r.map((v, a) => conv.round(conv.sigmoidPrime(fw.ar[t]![a]!, v)));
    const tn = n.map((v, a) => conv.round(conv.tanhPrime(fw.an[t]![a]!, v)));
    const { updateSwapped, resetAfter, directOnly } = conv.gru;
    // under the other convention (h_t = (1 − z_t) h_{t−1} + z_t n_t) 1 − z_t carries, and ∂h_t/∂z_t = n_t − h_{t−1}
    const direct = diag(updateSwapped ? rd(z.map((v) => 1 - v)) : z);
    const viaZ = rm(diagTimes(rd(hp.map((h, a) => (updateSwapped ? n[a]! - h : h - n[a]!) * sz[a]!)), inst.Whz));
    const c = rd(z.map((v, a) => (updateSwapped ? v : 1 - v) * tn[a]!));
    let viaN: Mat, viaR: Mat;
    if (resetAfter) {
      // n_t = tanh(W_xn x_t + r_t ⊙ (W_hn h_{t−1}) + b_n): diag(c ⊙ r_t) W_hn, and diag(c ⊙ W_hn h_{t−1} ⊙ σ'(a^r_t)) W_hr
      const whh = matVec(inst.Whn, hp);
      viaN = rm(diagTimes(c.map((v, a) => v * r[a]!), inst.Whn));
      viaR = rm(diagTimes(c.map((v, a) => v * whh[a]! * sr[a]!), inst.Whr));
    } else {
      // diag(c) W_hn diag(d) has entries c[a] W_hn[a][b] d[b]
      const left = diagTimes(c, inst.Whn);
      viaN = rm(left.map((row) => row.map((v, b) => v * r[b]!)));
      viaR = rm(left.map((row) => {
        const scaled = row.map((v, b) => v * hp[b]! * sr[b]!);
        return inst.Whr[0]!.map((_, j) => scaled.reduce((acc, v, b) => acc + v * inst.Whr[b]![j]!, 0));
      }));
    }
    out.direct.push(direct); out.viaZ.push(viaZ); out.viaN.push(viaN); out.viaR.push(viaR);
    // under `directOnly` the total is taken as the direct term alone
    out.total.push(directOnly ? direct : rm(addMat(addMat(direct, viaZ), addMat(viaN, viaR))));
  }
  return out;
}

export type GruParamSteps = Record<GruWeight, Mat[]> & Record<GruBias, Vec[]>;

/** The backward pass of `gruBackward`: entry t−1 of each list is step t. */
export interface GruBackward {
  /** ∂L/∂h_t: the loss at t (when it counts) plus what step t+1 sends back */
  dh: Vec[];
  /** δ^G_t = ∂L/∂a^G_t */
  delta: Record<GruGate, Vec[]>;
  /** the per-step terms ∂L/∂P^(t) of every weight and bias */
  steps: GruParamSteps;
  dV: Mat; dby: Vec; dh0: Vec;
}

/**
 * The BPTT recurrences written by hand, from t = T down to 1 (∂L/∂h_{T+1} path taken as 0), from
 * the forward values in `fw` (the student's own, or the printed ones):
 *   ∂L/∂h_t = Vᵀ(ŷ_t − y_t)[if L_t counts] + (what step t+1 sends back to h_t)
 *   δ^z_t = ∂L/∂h_t ⊙ (h_{t−1} − n_t) ⊙ σ'(a^z_t),  δ^n_t = ∂L/∂h_t ⊙ (1 − z_t) ⊙ tanh'(a^n_t)
 *   ρ_t = W_hnᵀ δ^n_t (the gradient of r_t ⊙ h_{t−1}),  δ^r_t = ρ_t ⊙ h_{t−1} ⊙ σ'(a^r_t)
 *   back to h_{t−1}: ∂L/∂h_t ⊙ z_t + ρ_t ⊙ r_t + W_hrᵀ δ^r_t + W_hzᵀ δ^z_t  (= (∂h_t/∂h_{t−1})ᵀ ∂L/∂h_t)
 *   ∂L/∂W_xG^(t) = δ^G_t x_tᵀ, ∂L/∂W_hr^(t) = δ^r_t h_{t−1}ᵀ, ∂L/∂W_hz^(t) = δ^z_t h_{t−1}ᵀ,
 *   ∂L/∂W_hn^(t) = δ^n_t (r_t ⊙ h_{t−1})ᵀ, ∂L/∂b_G^(t) = δ^G_t.
 * Under a Convention: σ', tanh' and the output error as it says, every written quantity rounded,
 * and the GRU mistakes of `conv.gru` (the other update convention: 1 − z_t carries and
 * ∂h_t/∂z_t = n_t − h_{t−1}; the reset gate after W_hn: δ^r_t = δ^n_t ⊙ (W_hn h_{t−1}) ⊙ σ'(a^r_t),
 * ∂L/∂W_hn^(t) = (δ^n_t ⊙ r_t) h_{t−1}ᵀ, back to h_{t−1} through W_hnᵀ(δ^n_t ⊙ r_t); the direct
 * term alone: back to h_{t−1} only ∂L/∂h_t ⊙ z_t).
 */
export function gruBackward(inst: GruInstance, fw: GruForward, conv: Convention = EXACT): GruBackward {
  const { r: rd, rm } = rounders(conv);
  const { H, K, T } = dims(inst);
  const { updateSwapped, resetAfter, directOnly } = conv.gru;
  const counted = new Set(lossSteps(inst.loss, T));
  const steps: Record<GruWeight | GruBias, (Mat | Vec)[]> = { Wxr: [], Wxz: [], Wxn: [], Whr: [], Whz: [], Whn: [], br: [], bz: [], bn: [] };
  const out: GruBackward = { dh: new Array<Vec>(T), delta: { r: new Array<Vec>(T), z: new Array<Vec>(T), n: new Array<Vec>(T) }, steps: steps as GruParamSteps, dV: [], dby: [], dh0: [] };
  let dhNext = new Array<number>(H).fill(0);
  const dV: Mat[] = [], dby: Vec[] = [];
  for (let t = T - 1; t >= 0; t--) {
    let dh = dhNext;
    if (counted.has(t)) {
      const e = rd(fw.yhat[t]!.map((v, a) => conv.outputError(v, inst.y[t]![a]!)));
      dh = addVec(dh, conv.outputWeight ? matTVec(inst.V, e) : e);
      dV.push(outer(e, fw.h[t]!));
      dby.push(e);
    }
    dh = rd(dh);
    const hp = t === 0 ? inst.h0 : fw.h[t - 1]!;
    const r = fw.r[t]!, z = fw.z[t]!, n = fw.n[t]!, xt = inst.x[t]!;
    const sz = z.map((v, a) => conv.sigmoidPrime(fw.az[t]![a]!, v));
    const sr = r.map((v, a) => conv.sigmoidPrime(fw.ar[t]![a]!, v));
    const tn = n.map((v, a) => conv.tanhPrime(fw.an[t]![a]!, v));
    const dz = rd(dh.map((v, a) => v * (updateSwapped ? n[a]! - hp[a]! : hp[a]! - n[a]!) * sz[a]!));
    const dn = rd(dh.map((v, a) => v * (updateSwapped ? z[a]! : 1 - z[a]!) * tn[a]!));
    let dr: Vec, candidateBack: Vec;
    if (resetAfter) {
      const whh = matVec(inst.Whn, hp), dnr = hadamard(dn, r);
      dr = rd(dn.map((v, a) => v * whh[a]! * sr[a]!));
      candidateBack = matTVec(inst.Whn, dnr);
      steps.Whn[t] = rm(outer(dnr, hp));
    } else {
      const rho = matTVec(inst.Whn, dn);
      dr = rd(rho.map((v, a) => v * hp[a]! * sr[a]!));
      candidateBack = hadamard(rho, r);
      steps.Whn[t] = rm(outer(dn, hadamard(r, hp)));
    }
    steps.Wxr[t] = rm(outer(dr, xt)); steps.Wxz[t] = rm(outer(dz, xt)); steps.Wxn[t] = rm(outer(dn, xt));
    steps.Whr[t] = rm(outer(dr, hp)); steps.Whz[t] = rm(outer(dz, hp));
    steps.br[t] = dr; steps.bz[t] = dz; steps.bn[t] = dn;
    out.dh[t] = dh;
    out.delta.r[t] = dr; out.delta.z[t] = dz; out.delta.n[t] = dn;
    const carry = dh.map((v, a) => v * (updateSwapped ? 1 - z[a]! : z[a]!));
    dhNext = directOnly ? carry : addVec(addVec(addVec(carry, candidateBack), matTVec(inst.Whr, dr)), matTVec(inst.Whz, dz));
  }
  out.dV = sumMats(dV, K, H);
  out.dby = sumVecs(dby, K);
  out.dh0 = dhNext;
  return out;
}

/** The forward values a sheet prints: the exact ones, each rounded as `conv` rounds (unrounded when exact). */
export function gruPrintedForward(inst: GruInstance, conv: Convention = EXACT): GruForward {
  const fw = gruForward(inst);
  const { r: rd } = rounders(conv);
  const all = (vs: Vec[]) => vs.map(rd);
  return {
    ar: all(fw.ar), az: all(fw.az), an: all(fw.an), r: all(fw.r), z: all(fw.z), n: all(fw.n), h: all(fw.h),
    yhat: all(fw.yhat), losses: fw.losses.map(conv.round), loss: conv.round(fw.loss),
  };
}

/** The forward pass and the backward pass (`gruBackward`): every gradient and per-step term. */
export function gruClosedForm(inst: GruInstance, conv: Convention = EXACT, fw: GruForward = gruForward(inst, conv)): GruForward & GruGradients {
  const { D, H } = dims(inst);
  const bw = gruBackward(inst, fw, conv);
  const s = bw.steps;
  const m = (w: GruWeight) => sumMats(s[w], H, w.startsWith('Wx') ? D : H);
  const v = (b: GruBias) => sumVecs(s[b], H);
  return {
    ar: fw.ar, az: fw.az, an: fw.an, r: fw.r, z: fw.z, n: fw.n, h: fw.h, yhat: fw.yhat, losses: fw.losses, loss: fw.loss,
    dL_dWxr: m('Wxr'), dL_dWxz: m('Wxz'), dL_dWxn: m('Wxn'), dL_dWhr: m('Whr'), dL_dWhz: m('Whz'), dL_dWhn: m('Whn'),
    dL_dbr: v('br'), dL_dbz: v('bz'), dL_dbn: v('bn'),
    dL_dV: bw.dV, dL_dby: bw.dby, dL_dh0: bw.dh0,
    dL_dWxr_by_step: s.Wxr, dL_dWxz_by_step: s.Wxz, dL_dWxn_by_step: s.Wxn,
    dL_dWhr_by_step: s.Whr, dL_dWhz_by_step: s.Whz, dL_dWhn_by_step: s.Whn,
    dL_dbr_by_step: s.br, dL_dbz_by_step: s.bz, dL_dbn_by_step: s.bn,
  };
}

/** The whole solution `solve` returns for a GRU instance: the closed form and both Jacobians. */
export function solveGru(inst: GruInstance): GruSolution {
  const closed = gruClosedForm(inst);
  const jac = gruStateJacobians(inst, closed);
  return Object.assign({ model: 'gru' as const }, closed, { dh_dh_prev_direct: jac.direct, dh_dh_prev: jac.total });
}
