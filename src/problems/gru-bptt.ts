/**
 * gru.bptt — backpropagation through time in the GRU of docs/math.md §5.3: for a weight W (W_hz by
 * default; any of the six), the per-step terms ∂L/∂W^(k), k = T down to 1, and their sum ∂L/∂W, as
 * rnn.bptt does for U. The worked solution follows the notes' form: the error ∂L/∂h_k carried back
 * from ∂L/∂h_{k+1} through the total ∂h_{k+1}/∂h_k of §5.2 (plus the loss at k, when it counts),
 * then through the gate W feeds at step k (δ^G_k) to the immediate factor (x_k, h_{k−1} or
 * r_k ⊙ h_{k−1}); so each term builds on the part before it. The forward values are given
 * (rounded) unless the bank asks the student to compute them too.
 * Mistakes: the direct term alone in the state chain (∂h_{k+1}/∂h_k taken as diag(z_{k+1})), the
 * other update convention, the reset gate after W_hn (H > 1), σ' and tanh' as σ and tanh, the
 * error's sign, the ½ of the loss; on the total also only the k = T term and the other loss.
 * Follow-through: the total from the student's own per-step terms.
 */
import { z } from 'zod';
import { dims, GRU_WEIGHTS, type GruGate, type GruInstance, type GruWeight, type Mat, type Vec } from '../models/instance.js';
import { hadamard, matTVec, subVec, sumMats } from '../models/linalg.js';
import { gruBackward, gruClosedForm, gruForward, gruPrintedForward, gruStateJacobians, type GruSolution } from '../models/gru.js';
import { rounders } from '../models/convention.js';
import { asMatrixAnswer, asVectorAnswer, lossSymbol, matrixKind, partKey, perConvention, toMatrix, vectorKind } from './common.js';
import { arithmeticLine, given, num, times, sum, type Arith } from './arithmetic.js';
import { texMatrix, texVector } from './format.js';
import { lstmLossSentence } from './lstm-params.js';
import { GRU_NOTATION, drawGru, gruGiven, gruGivenWithForward, gruParamsShape } from './gru-params.js';
import type { MistakeId } from './mistakes.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SolutionStep } from './types.js';

export const gruBpttParams = z.object({
  ...gruParamsShape,
  /** T + 2 parts (T + 1 with the summed loss); at most 5, where the earliest terms are still well above the tolerance */
  steps: z.number().int().min(1).max(5).default(3),
  /** the weight matrix the gradient is taken with respect to */
  wrt: z.enum(GRU_WEIGHTS).default('Whz'),
  /** print r_t, z_t, n_t, h_t and ŷ so the question is about BPTT alone */
  giveForward: z.boolean().default(true),
}).strict().refine((p) => p.steps >= 2 || p.initialState === 'random' || !(p.wrt.startsWith('Wh') || p.wrt === 'Wxr'), {
  // with one step and h_0 = 0 the only term is the k = 1 term, which is 0 for these weights
  message: 'should be at least 2 when the initial state is zero and the weight is recurrent (or W_xr): with one step the gradient is 0',
  path: ['steps'],
});
export type GruBpttParams = z.infer<typeof gruBpttParams>;

/** W_hz, W_xn, … in TeX. */
const weightTeX = (w: GruWeight) => `W_{${w.slice(1)}}`;
const dd = (a: string, b: string) => `\\frac{\\partial ${a}}{\\partial ${b}}`;

/**
 * The mistakes a per-step term ∂L/∂W^(k) (or, with k = 1, the total) can show. The GRU's: the
 * direct term alone where the error crosses a step (k < T), the other update convention always,
 * the reset gate after W_hn for H > 1 (for a scalar r (W_hn h) = W_hn (r h), and the backward
 * pass through it is the same too). Derivatives: σ' as σ, tanh' as tanh (left out by the
 * generator where the term has no such factor). The output: the error's sign (last-step loss),
 * the ½ of the loss.
 */
function termMistakes(k: number, T: number, H: number, summed: boolean): MistakeId[] {
  return [
    ...(k < T ? ['gru-direct-only' as const] : []),
    'gru-update-swapped',
    ...(H > 1 ? ['gru-reset-after' as const] : []),
    'sigmoid-prime-as-sigmoid', 'tanh-prime-as-tanh',
    ...(summed ? [] : ['error-sign' as const]),
    'loss-missing-half',
  ];
}

export const gruBpttProblem: ProblemType<GruBpttParams, GruInstance> = {
  id: 'gru.bptt',
  title: 'Backpropagation through time in a GRU',
  summary: 'The per-step terms ∂L/∂W_hz^(k) (or any GRU weight), carried back through ∂h_{k+1}/∂h_k, and their sum.',
  params: gruBpttParams,
  generate: drawGru,
  build(inst, params, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const summed = inst.loss === 'sum';
    const L = lossSymbol(inst);
    const wrt = params.wrt;
    const W = weightTeX(wrt);
    const cols = wrt.startsWith('Wx') ? D : H;
    const kind = matrixKind(H, cols);
    // with the forward values printed the student starts from them (rounded by hand, exact under a
    // mistake: a wrong convention changes only the backward pass); otherwise from their own forward pass
    const forward = perConvention((conv) => (params.giveForward ? gruPrintedForward(inst, conv) : gruForward(inst, conv)));
    const backward = perConvention((conv) => gruBackward(inst, forward(conv), conv));
    const term = (conv: Parameters<typeof forward>[0], k: number): Mat => backward(conv).steps[wrt][k - 1]!;
    const exact = (() => {
      let cache: { sol: GruSolution; bw: ReturnType<typeof gruBackward>; jac: ReturnType<typeof gruStateJacobians> } | null = null;
      return (s: GruSolution) => {
        if (!cache || cache.sol !== s) cache = { sol: s, bw: gruBackward(inst, s), jac: gruStateJacobians(inst, s) };
        return cache;
      };
    })();
    const parts: PartSpec<GruSolution>[] = [];

    if (!summed) {
      parts.push({
        key: partKey(parts.length),
        kind: vectorKind(K),
        prompt: `$\\dfrac{\\partial L_{${T}}}{\\partial \\hat y_{${T}}}$`,
        symbol: `\\partial L_{${T}}/\\partial \\hat y_{${T}}`,
        answer: (s) => asVectorAnswer(subVec(s.yhat[T - 1]!, inst.y[T - 1]!)),
        calc: (conv) => asVectorAnswer(rounders(conv).r(forward(conv).yhat[T - 1]!.map((v, a) => conv.outputError(v, inst.y[T - 1]![a]!)))),
        mistakes: ['error-sign', 'loss-missing-half'],
        solution: (s) => [{ math: `\\frac{\\partial L_{${T}}}{\\partial \\hat y_{${T}}} = \\hat y_{${T}} - y_{${T}} = ${texVector(subVec(s.yhat[T - 1]!, inst.y[T - 1]!), d)}` }],
      });
    }

    // the k = 1 term is δ_1 h_0ᵀ (δ^n_1 (r_1 ⊙ h_0)ᵀ for W_hn), and the reset gate's δ^r_1 carries
    // h_0 too (W_xr): from generator 2 on, the bank's zero h_0 makes it 0 on every sheet — a free
    // point — so it is not asked, and the intro says why; the total still sums from k = 1 (decided
    // by the bank's params, so a part id means the same on every sheet)
    const zeroFirstTerm = style.generator >= 2 && params.initialState === 'zero' && (wrt.startsWith('Wh') || wrt === 'Wxr') && inst.h0.every((v) => v === 0);
    const termKeys: string[] = [];
    for (let k = T; k >= (zeroFirstTerm ? 2 : 1); k--) {
      const key = partKey(parts.length);
      termKeys.push(key);
      parts.push({
        key,
        kind,
        prompt: `$\\dfrac{\\partial ${L}}{\\partial ${W}^{(${k})}}$`,
        symbol: `\\partial ${L}/\\partial ${W}^{(${k})}`,
        answer: (s) => asMatrixAnswer(s[`dL_d${wrt}_by_step`][k - 1]!),
        calc: (conv) => asMatrixAnswer(term(conv, k)),
        mistakes: termMistakes(k, T, H, summed),
        solution: (s) => termSolution(inst, s, exact(s), wrt, k, d),
      });
    }

    parts.push({
      key: partKey(parts.length),
      kind,
      prompt: `$\\dfrac{\\partial ${L}}{\\partial ${W}} = \\sum_{k=1}^{${T}} \\dfrac{\\partial ${L}}{\\partial ${W}^{(k)}}$`,
      symbol: `\\partial ${L}/\\partial ${W}`,
      answer: (s) => asMatrixAnswer(s[`dL_d${wrt}`]),
      calc: (conv) => asMatrixAnswer(rounders(conv).rm(sumMats(backward(conv).steps[wrt], H, cols))),
      mistakes: [...termMistakes(1, T, H, summed), ...(T > 1 ? ['last-term-only', 'loss-convention'] as const : [])],
      mistakeValue: {
        'last-term-only': (s) => asMatrixAnswer(s[`dL_d${wrt}_by_step`][T - 1]!),
        'loss-convention': () => asMatrixAnswer(gruClosedForm({ ...inst, loss: summed ? 'last' : 'sum' })[`dL_d${wrt}`]),
      },
      dependsOn: termKeys,
      followThrough: (earlier) => {
        const terms = termKeys.map((k) => toMatrix(earlier[k], H, cols));
        if (terms.some((m) => m === null) || terms.length === 0) return null;
        return asMatrixAnswer(sumMats(terms as Mat[], H, cols));
      },
      ...(T > 1 ? {
        // the student's own k = T term (the first asked) as their total; any other total that is not their sum
        followThroughMistakes: { 'last-term-only': (earlier) => earlier[termKeys[0]!] ?? null },
        departsMistake: 'total-not-sum' as const,
      } : {}),
      solution: (s) => [{
        text: `$${W}$ is shared by every step, so the gradient is the sum of the per-step terms:`,
        math: `\\frac{\\partial ${L}}{\\partial ${W}} = ${arithmeticLine(sum(...Array.from({ length: T }, (_, n) => num(s[`dL_d${wrt}_by_step`][T - 1 - n]!))), s[`dL_d${wrt}`], d)}`,
      }],
    });

    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => (params.giveForward ? gruGivenWithForward(inst, d, true) : gruGiven(inst));
    return {
      notation: GRU_NOTATION,
      intro: `${lstmLossSentence(inst)} The weight $${W}$ is used at every step; write $${W}^{(k)}$ for its use at step $k$. ` +
        `Compute each per-step term, from $k = ${T}$ back to $k = 1$, carrying $\\partial ${L}/\\partial h_k$ back through the total $\\partial h_{k+1}/\\partial h_k$, and their sum.` +
        (params.giveForward ? ' The forward values (rounded) are given.' : '') +
        (zeroFirstTerm ? ` Since $h_0 = 0$, the term for $k = 1$ is $0$ (${wrt === 'Wxr' ? 'the reset gate acts on $h_0$ alone at step $1$' : `its immediate factor is $${wrt === 'Whn' ? 'r_1 \\odot h_0' : 'h_0'}$`}): stop at $k = 2$.` : ''),
      given: givenLines,
      parts,
    };
  },
};

export const gruBpttType = erase('gru', gruBpttProblem);

/** The gate a weight feeds. */
const gateOf = (w: GruWeight) => w.slice(2) as GruGate;

/** δ^G_k's formula in the notes' terms. */
const DELTA_TEX: Record<GruGate, (k: number, L: string) => string> = {
  z: (k, L) => `\\delta^z_{${k}} = ${dd(L, `h_{${k}}`)} \\odot (h_{${k - 1}} - n_{${k}}) \\odot z_{${k}} \\odot (1 - z_{${k}})`,
  n: (k, L) => `\\delta^n_{${k}} = ${dd(L, `h_{${k}}`)} \\odot (1 - z_{${k}}) \\odot (1 - n_{${k}}^2)`,
  r: (k) => `\\delta^r_{${k}} = (W_{hn}^\\top \\delta^n_{${k}}) \\odot h_{${k - 1}} \\odot r_{${k}} \\odot (1 - r_{${k}})`,
};

/** One per-step term: the error reaching h_k, the gate's δ, the immediate factor. */
function termSolution(
  inst: GruInstance, s: GruSolution, ex: { bw: ReturnType<typeof gruBackward>; jac: ReturnType<typeof gruStateJacobians> },
  wrt: GruWeight, k: number, d: number,
): SolutionStep[] {
  const { T, H, D, K } = dims(inst);
  const summed = inst.loss === 'sum';
  const L = lossSymbol(inst);
  const W = weightTeX(wrt);
  const G = gateOf(wrt);
  const scalar = H === 1 && D === 1 && K === 1;
  const { bw, jac } = ex;
  const dh = bw.dh[k - 1]!;
  const hPrev = k === 1 ? inst.h0 : s.h[k - 2]!;
  const out: SolutionStep[] = [];

  // 1. the error reaching h_k
  const localTeX = `V^\\top(\\hat y_{${k}} - y_{${k}})`;
  if (k === T) {
    const e = subVec(s.yhat[T - 1]!, inst.y[T - 1]!);
    out.push({
      text: `The use at step $${T}$ is reached from the output of step $${T}$ alone:`,
      math: `${dd(L, `h_{${T}}`)} = ${localTeX} = ${scalar ? arithmeticLine(times(given(inst.V[0]![0]!), num(e[0]!)), dh, d) : texVector(dh, d)}`,
    });
  } else {
    const J = jac.total[k]!;
    const next = bw.dh[k]!;
    out.push({
      text: `The error at $h_{${k}}$ comes back from $h_{${k + 1}}$ through the total of §5.2, every path from $h_{${k}}$ into step $${k + 1}$ (the carry, the update gate, the candidate and the reset gate)${summed ? `, plus the loss at step $${k}$` : ''}:`,
      math: `${dd(L, `h_{${k}}`)} = \\Bigl(${dd(`h_{${k + 1}}`, `h_{${k}}`)}\\Bigr)^{\\!\\top} ${dd(L, `h_{${k + 1}}`)}${summed ? ` + ${localTeX}` : ''},\\quad ${dd(`h_{${k + 1}}`, `h_{${k}}`)} = ${texMatrix(J, d)}`,
    });
    const local = summed ? matTVec(inst.V, subVec(s.yhat[k - 1]!, inst.y[k - 1]!)) : null;
    out.push({
      math: `${dd(L, `h_{${k}}`)} = ${scalar
        ? arithmeticLine(local ? sum(times(num(J[0]![0]!), num(next[0]!)), num(local[0]!)) : times(num(J[0]![0]!), num(next[0]!)), dh, d)
        : local ? arithmeticLine(sum(num(matTVec(J, next)), num(local)), dh, d) : texVector(dh, d)}`,
    });
  }

  // 2. through the gate W feeds at step k
  const z = s.z[k - 1]!, n = s.n[k - 1]!, r = s.r[k - 1]!;
  const delta = bw.delta[G][k - 1]!;
  const imm: Vec = wrt.startsWith('Wx') ? inst.x[k - 1]! : wrt === 'Whn' ? hadamard(r, hPrev) : hPrev;
  const immTeX = wrt.startsWith('Wx') ? `x_{${k}}` : wrt === 'Whn' ? `(r_{${k}} \\odot h_{${k - 1}})` : `h_{${k - 1}}`;
  // x_k and h_0 are given; the rest is computed
  const immGiven = wrt.startsWith('Wx') || (k === 1 && wrt !== 'Whn');
  const stateArith = (v: number) => (k === 1 ? given(v) : num(v));
  if (G === 'r') {
    out.push({
      text: `$${W}$ feeds the reset gate, which reaches $h_{${k}}$ only through the candidate: first $\\delta^n_{${k}}$, then back through $W_{hn}$ to $r_{${k}} \\odot h_{${k - 1}}$:`,
      math: `${DELTA_TEX.n(k, L)} = ${texVector(bw.delta.n[k - 1]!, d)}`,
    });
  }
  const stepMath = `${DELTA_TEX[G](k, L)} = `;
  let deltaLine: string;
  if (scalar) {
    const dz = z[0]! * (1 - z[0]!), dr = r[0]! * (1 - r[0]!);
    const factors: Arith[] = G === 'z' ? [num(dh[0]!), num(hPrev[0]! - n[0]!), num(dz)]
      : G === 'n' ? [num(dh[0]!), num(1 - z[0]!), num(1 - n[0]! ** 2)]
        : [given(inst.Whn[0]![0]!), num(bw.delta.n[k - 1]![0]!), stateArith(hPrev[0]!), num(dr)];
    deltaLine = `${stepMath}${arithmeticLine(times(...factors), delta, d)}`;
  } else {
    deltaLine = `${stepMath}${texVector(delta, d)}`;
  }
  out.push({ math: deltaLine });
  const value = s[`dL_d${wrt}_by_step`][k - 1]!;
  out.push({
    text: `The immediate factor of $${W}^{(${k})}$ is $${immTeX}$:`,
    math: `${dd(L, `${W}^{(${k})}`)} = \\delta^${G}_{${k}}\\, ${immTeX}^\\top = ${scalar
      ? arithmeticLine(times(num(delta[0]!), immGiven ? given(imm[0]!) : num(imm[0]!)), value, d)
      : texMatrix(value, d)}`,
  });
  if (imm.every((v) => v === 0)) out.push({ text: `Here $${immTeX} = 0$, so this use of the weight contributes nothing, whatever the error reaching it.` });
  return out;
}
