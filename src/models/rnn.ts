/**
 * The vanilla (Elman) RNN of docs/math.md §2, computed two independent ways:
 * - `solveRnn` builds the computation graph in the autodiff engine; per-use nodes give the
 *   per-step terms ∂L/∂U^(k), ∂L/∂W^(k), ∂L/∂b^(k).
 * - `rnnClosedForm` follows the notes' decomposition literally: each per-step term is
 *   ∂L_t/∂o_t · ∂o_t/∂s_t · (∏_{j=k+1}^{t} ∂s_j/∂s_{j−1}) · ∂s_k/∂U^(k), with the Jacobian products
 *   multiplied out as matrices.
 * Tests hold them against each other and against central finite differences.
 */
import { sharedTape, type NodeId } from '../engine/autodiff.js';
import { EXACT, rounders, type Convention } from './convention.js';
import type { LossKind, Mat, RnnInstance, Vec } from './instance.js';
import { dims } from './instance.js';
import {
  addVec, diagTimes, hadamard, identity, matMul, matTVec, matVec, outer, subVec, sumMats, sumVecs,
} from './linalg.js';

export interface RnnForward {
  /** θ_t = U x_t + W s_{t−1} + b, t = 1..T */
  theta: Vec[];
  s: Vec[];
  o: Vec[];
  /** L_t = ½‖y_t − o_t‖² for every t */
  losses: number[];
  /** the instance's loss: L_T, or Σ_t L_t */
  loss: number;
}

export interface RnnGradients {
  dL_dU: Mat; dL_dW: Mat; dL_dV: Mat; dL_db: Vec; dL_dc: Vec; dL_ds0: Vec;
  /** entry k−1 is ∂L/∂U^(k) */
  dL_dU_by_step: Mat[];
  dL_dW_by_step: Mat[];
  dL_db_by_step: Vec[];
}

export interface RnnSolution extends RnnForward, RnnGradients {
  model: 'rnn';
  /** entry j−1 is ∂s_j/∂s_{j−1} = diag(1 − s_j²)·W */
  ds_ds_prev: Mat[];
}

/** Which per-step losses L_t make up the instance's loss. */
export function lossSteps(kind: LossKind | undefined, T: number): number[] {
  return kind === 'sum' ? Array.from({ length: T }, (_, t) => t) : [T - 1];
}

/** The forward pass in plain arithmetic (docs/math.md §2); `conv.round` models a student's rounding. */
export function rnnForward(inst: RnnInstance, conv: Convention = EXACT): RnnForward {
  const { r } = rounders(conv);
  const theta: Vec[] = [], s: Vec[] = [], o: Vec[] = [], losses: number[] = [];
  let prev = inst.s0;
  inst.x.forEach((xt, t) => {
    const th = r(addVec(addVec(matVec(inst.U, xt), matVec(inst.W, prev)), inst.b));
    const st = r(conv.forwardTanh ? th.map(Math.tanh) : th.slice());
    const ot = r(addVec(matVec(inst.V, st), inst.c));
    const e = subVec(inst.y[t]!, ot);
    theta.push(th); s.push(st); o.push(ot);
    losses.push(conv.round((conv.lossHalf ? 0.5 : 1) * e.reduce((acc, v) => acc + v * v, 0)));
    prev = st;
  });
  const loss = lossSteps(inst.loss, inst.x.length).reduce((acc, t) => acc + losses[t]!, 0);
  return { theta, s, o, losses, loss };
}

/**
 * The forward values a question prints (exact, then rounded by `conv`): a student given the
 * states starts from these, rather than carrying rounding through the recurrence.
 */
export function givenForward(inst: RnnInstance, conv: Convention = EXACT): RnnForward {
  const exact = rnnForward(inst);
  const { r } = rounders(conv);
  return { theta: exact.theta.map(r), s: exact.s.map(r), o: exact.o.map(r), losses: exact.losses.map(conv.round), loss: conv.round(exact.loss) };
}

/**
 * ∂s_j/∂s_{j−1} = diag(tanh'(θ_j))·W = diag(1 − s_j²)·W for j = 1..T (entry j−1). The catalogued
 * mistake `conv.jacobianStep` = −1 takes tanh' one step early, at θ_{j−1} (s_0 at j = 1).
 */
export function rnnStateJacobians(inst: RnnInstance, fwd: Pick<RnnForward, 'theta' | 's'>, conv: Convention = EXACT): Mat[] {
  return fwd.s.map((sj, j) => {
    const [pre, act] = conv.jacobianStep === -1
      ? (j === 0 ? [inst.s0.map(Math.atanh), inst.s0] : [fwd.theta[j - 1]!, fwd.s[j - 1]!])
      : [fwd.theta[j]!, sj];
    const d = act.map((t, a) => conv.round(conv.tanhPrime(pre[a]!, t)));
    return rounders(conv).rm(diagTimes(d, inst.W));
  });
}

/**
 * ∏_{j=k+1}^{t} ∂s_j/∂s_{j−1} = J_t·J_{t−1}···J_{k+1} (identity when k = t); steps are 1-based.
 * `conv.productOrder` 'reversed' is the catalogued mistake J_{k+1}···J_t.
 */
export function jacobianProduct(jacobians: readonly Mat[], k: number, t: number, conv: Convention = EXACT): Mat {
  let p = identity(jacobians[0]!.length);
  const { rm } = rounders(conv);
  const reversed = conv.productOrder === 'reversed';
  for (let j = k + 1; j <= t; j++) p = rm(reversed ? matMul(p, jacobians[j - 1]!) : matMul(jacobians[j - 1]!, p));
  return p;
}

/**
 * A catalogued mistake on a Jacobian product: one factor W too many (+1: P·W) or, in the scalar
 * case, one too few (−1: P/W). Exact (shift 0) returns P unchanged.
 */
export function shiftPower(product: Mat, W: Mat, conv: Convention): Mat {
  if (conv.wPowerShift === 1) return rounders(conv).rm(matMul(product, W));
  if (conv.wPowerShift === -1) return product.map((row) => row.map((v) => conv.round(v / W[0]![0]!)));
  return product;
}

/**
 * The catalogued mistake of leaving ∂o_t/∂s_t = V out of the backward pass: the output error
 * taken as the error of the state itself, which only has the state's shape when K = H.
 */
export function withoutOutputWeight(error: Vec, H: number): Vec {
  if (error.length !== H) throw new Error(`leaving V out needs as many outputs as states (K = ${error.length}, H = ${H})`);
  return error;
}

/** The engine's solution: forward values and every gradient, with per-use (per-step) terms. */
export function solveRnn(inst: RnnInstance): RnnSolution {
  const { T } = dims(inst);
  const tp = sharedTape();
  tp.reset();
  const U = tp.matrix(inst.U), W = tp.matrix(inst.W), V = tp.matrix(inst.V);
  const b = tp.vector(inst.b), c = tp.vector(inst.c), s0 = tp.vector(inst.s0);
  const uses: { U: NodeId[]; W: NodeId[]; b: NodeId[] } = { U: [], W: [], b: [] };
  const thetaNodes: NodeId[] = [], sNodes: NodeId[] = [], oNodes: NodeId[] = [], lossNodes: NodeId[] = [];
  let prev = s0;
  for (let t = 0; t < T; t++) {
    const Ut = tp.use(U), Wt = tp.use(W), bt = tp.use(b);
    uses.U.push(Ut); uses.W.push(Wt); uses.b.push(bt);
    const theta = tp.add(tp.add(tp.matmul(Ut, tp.vector(inst.x[t]!)), tp.matmul(Wt, prev)), bt);
    const s = tp.tanh(theta);
    const o = tp.add(tp.matmul(V, s), c);
    lossNodes.push(tp.halfSquaredNorm(tp.sub(tp.vector(inst.y[t]!), o)));
    thetaNodes.push(theta); sNodes.push(s); oNodes.push(o);
    prev = s;
  }
  const root = tp.sum(lossSteps(inst.loss, T).map((t) => lossNodes[t]!));
  tp.backward(root);
  const col = (n: NodeId) => tp.valueArray(n);
  const theta = thetaNodes.map(col), s = sNodes.map(col);
  return {
    model: 'rnn',
    theta,
    s,
    o: oNodes.map(col),
    losses: lossNodes.map((n) => tp.scalar(n)),
    loss: tp.scalar(root),
    dL_dU: tp.gradRows(U),
    dL_dW: tp.gradRows(W),
    dL_dV: tp.gradRows(V),
    dL_db: tp.gradArray(b),
    dL_dc: tp.gradArray(c),
    dL_ds0: tp.gradArray(s0),
    dL_dU_by_step: uses.U.map((n) => tp.gradRows(n)),
    dL_dW_by_step: uses.W.map((n) => tp.gradRows(n)),
    dL_db_by_step: uses.b.map((n) => tp.gradArray(n)),
    ds_ds_prev: rnnStateJacobians(inst, { theta, s }),
  };
}

/**
 * The closed form of docs/math.md §2.2, term by term:
 * ∂L_t/∂U^(k) = [(∏_{j=k+1}^{t} ∂s_j/∂s_{j−1})ᵀ Vᵀ (o_t − y_t)] ⊙ tanh'(θ_k) · x_kᵀ,
 * and likewise W^(k) (with s_{k−1}) and b^(k); summed over the losses the instance counts.
 * Under a non-exact Convention it gives what a rounding student, or a catalogued mistake, gives;
 * `fwd` is the forward pass to start from (by default computed under `conv`; `givenForward`
 * when the question prints the states).
 */
export function rnnClosedForm(inst: RnnInstance, conv: Convention = EXACT, fwd: RnnForward = rnnForward(inst, conv)): RnnForward & RnnGradients & { ds_ds_prev: Mat[] } {
  const { r, rm } = rounders(conv);
  const { D, H, K, T } = dims(inst);
  const jac = rnnStateJacobians(inst, fwd, conv);
  const stateBefore = (k: number) => (k === 1 ? inst.s0 : fwd.s[k - 2]!);
  const byStepU: Mat[] = [], byStepW: Mat[] = [], byStepB: Vec[] = [];
  const counted = lossSteps(inst.loss, T).map((t) => t + 1);
  const errors = counted.map((t) => r(fwd.o[t - 1]!.map((o, a) => conv.outputError(o, inst.y[t - 1]![a]!))));
  let dL_ds0: Vec = new Array<number>(H).fill(0);
  // ∏_{j=k+1}^{t} ∂s_j/∂s_{j−1} for every k ≤ t, built from the end as a student does:
  // P(t, t) = I, P(k−1, t) = P(k, t)·J_k — O(T) products per loss term rather than O(T²)
  // (J_k·P(k, t) under the catalogued mistake of the reversed order)
  const reversed = conv.productOrder === 'reversed';
  const products = counted.map((t) => {
    const P: Mat[] = new Array<Mat>(t + 1);
    P[t] = identity(H);
    for (let k = t; k >= 2; k--) P[k - 1] = rm(reversed ? matMul(jac[k - 1]!, P[k]!) : matMul(P[k]!, jac[k - 1]!));
    return P;
  });
  for (let k = 1; k <= T; k++) {
    // δ_k = Σ_t ∂L_t/∂θ_k over the counted losses with t ≥ k
    let delta = new Array<number>(H).fill(0);
    counted.forEach((t, n) => {
      if (t < k) return;
      const dL_ds_t = r(conv.outputWeight ? matTVec(inst.V, errors[n]!) : withoutOutputWeight(errors[n]!, H));
      // an off-by-one power of W is a mistake about the Jacobian factors, so only where there are some
      const product = k < t ? shiftPower(products[n]![k]!, inst.W, conv) : products[n]![k]!;
      const dL_ds_k = r(conv.transposeBack ? matTVec(product, dL_ds_t) : matVec(product, dL_ds_t));
      const tanhPrimeK = fwd.s[k - 1]!.map((sk, a) => conv.round(conv.tanhPrime(fwd.theta[k - 1]![a]!, sk)));
      delta = r(addVec(delta, hadamard(dL_ds_k, tanhPrimeK)));
    });
    byStepU.push(rm(outer(delta, inst.x[k - 1]!)));
    byStepW.push(rm(outer(delta, conv.immediateState === 'current' ? fwd.s[k - 1]! : stateBefore(k))));
    byStepB.push(delta);
    if (k === 1) dL_ds0 = r(matTVec(inst.W, delta));
  }
  // fields listed, not spread: `{...fwd, …}` measured ~18 µs here against ~1 µs (V8 slow path)
  return {
    theta: fwd.theta, s: fwd.s, o: fwd.o, losses: fwd.losses, loss: fwd.loss,
    dL_dU: rm(sumMats(byStepU, H, D)),
    dL_dW: rm(sumMats(byStepW, H, H)),
    dL_dV: rm(sumMats(counted.map((t, i) => outer(errors[i]!, fwd.s[t - 1]!)), K, H)),
    dL_db: r(sumVecs(byStepB, H)),
    dL_dc: r(sumVecs(errors, K)),
    dL_ds0,
    dL_dU_by_step: byStepU,
    dL_dW_by_step: byStepW,
    dL_db_by_step: byStepB,
    ds_ds_prev: jac,
  };
}
