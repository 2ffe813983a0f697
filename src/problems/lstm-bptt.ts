/**
 * lstm.bptt — the notes' ∂L_3/∂W_hf (docs/math.md §3.3): the per-step terms ∂L/∂W^(k), k = T down to 1
 * (the order of the notes' ①②③), and their sum ∂L/∂W, for any of the eight weight matrices.
 * The worked solution follows the notes' paths: from h_k the loss is reached through the gates
 * of step k+1 (h_{k+1} ← o_{k+1}, and c_{k+1} ← f_{k+1}, i_{k+1}, g_{k+1}); from c_k through the
 * cell, by the total ∂c_{k+1}/∂c_k of §3, and through the output gate of step k+1 — so each term
 * builds on the error ∂L/∂h_{k+1}, ∂L/∂c_{k+1} of the part before it. The forward values are
 * given (rounded) unless the bank asks the student to compute them too.
 * Follow-through: the total from the student's own per-step terms.
 */
import { z } from 'zod';
import { dims, LSTM_GATES, LSTM_WEIGHTS, type Gate, type LstmInstance, type LstmWeight, type Mat, type Vec } from '../models/instance.js';
import { addVec, diag, diagTimes, hadamard, matMul, matTVec, subVec } from '../models/linalg.js';
import { lstmClosedForm, type LstmSolution } from '../models/lstm.js';
import { lossSteps } from '../models/rnn.js';
import { asMatrixAnswer, asVectorAnswer, lossSymbol, matrixKind, partKey, perConvention, toMatrix, vectorKind } from './common.js';
import { arithmeticLine, given, minus, num, squared, sum, times, type Arith } from './arithmetic.js';
import { texExact, texMatrix, texNumber, texVector } from './format.js';
import { LSTM_NOTATION, drawLstm, lstmForwardLines, lstmGiven, lstmLossSentence, lstmParamsShape, lstmRegimeMiss } from './lstm-params.js';
import type { MistakeId } from './mistakes.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SolutionStep } from './types.js';

export const lstmBpttParams = z.object({
  ...lstmParamsShape,
  /**
   * T + 2 parts; at most 8, since further back the per-step terms shrink below the tolerance's
   * atol, where the generator cannot tell the catalogued mistakes from the answer
   */
  steps: z.number().int().min(1).max(8).default(3),
  /** the weight matrix the gradient is taken with respect to (the notes' W_hf by default) */
  wrt: z.enum(LSTM_WEIGHTS).default('Whf'),
  /** print f_t, i_t, g_t, o_t, c_t, h_t and ŷ_T so the question is about BPTT alone */
  giveForward: z.boolean().default(true),
}).strict();
export type LstmBpttParams = z.infer<typeof lstmBpttParams>;

const DERIVATIVE_MISTAKES: MistakeId[] = ['sigma-tanh-prime-swapped', 'sigmoid-prime-as-sigmoid', 'tanh-prime-as-tanh', 'missing-tanh-prime'];

/**
 * The derivative mistakes that can change ∂L/∂W^(k). At the last step the path is short: the
 * output gate's δ^o_T = ∂L/∂h_T ⊙ m_T ⊙ σ'(a^o_T) has no tanh', the candidate's
 * δ^g_T = ∂L/∂h_T ⊙ o_T ⊙ tanh'(c_T) ⊙ i_T ⊙ tanh'(a^g_T) no σ'. (Listing a mistake that cannot
 * apply is not harmless: its closed-form value equals the engine's answer only up to the last
 * bits, so the generator would count it as indistinguishable and redraw.)
 */
function derivativeMistakes(wrt: LstmWeight, k: number, T: number): MistakeId[] {
  if (k < T) return DERIVATIVE_MISTAKES;
  const gate = wrt.slice(2) as Gate;
  if (gate === 'o') return ['sigma-tanh-prime-swapped', 'sigmoid-prime-as-sigmoid'];
  if (gate === 'g') return ['sigma-tanh-prime-swapped', 'tanh-prime-as-tanh', 'missing-tanh-prime'];
  return DERIVATIVE_MISTAKES;
}

/**
 * The generator-2 mistakes of ∂L/∂W^(k) (or, with k = 1, the total): the ½ of the loss and the
 * factor V always (V only where leaving it out keeps the shape, K = H); the paths back through
 * h_k dropped, all of them or the output gate's, where there are steps after k.
 */
function pathMistakes(k: number, T: number, H: number, K: number): MistakeId[] {
  return [
    'loss-missing-half',
    ...(K === H ? ['missing-output-weight' as const] : []),
    ...(k < T ? ['lstm-cell-path-only' as const, 'lstm-output-gate-path-missing' as const] : []),
  ];
}

/** One step of the backward pass, as the worked solutions print it. */
export interface LstmBackwardStep {
  /** ∂L/∂h_t: every route from h_t to the loss */
  dh: Vec;
  /** ∂L/∂c_t */
  dc: Vec;
  /** δ^G_t = ∂L/∂a^G_t */
  delta: Record<Gate, Vec>;
  /** ∂c_t/∂c_{t−1}, the total of §3 (t ≥ 2) */
  cellJacobian: Mat;
  /** ∂h_t/∂o_t · ∂o_t/∂h_{t−1} · ∂h_{t−1}/∂c_{t−1} = diag(m_t ⊙ σ'(a^o_t)) W_ho diag(o_{t−1} ⊙ (1 − m_{t−1}²)) (t ≥ 2) */
  outputGatePath: Mat;
}

/**
 * The backward pass by the notes' grouping, from the exact forward values of a solution: ∂L/∂h_t
 * through the four gates of step t+1, and ∂L/∂c_t = (∂c_{t+1}/∂c_t)ᵀ ∂L/∂c_{t+1} + (output-gate
 * path)ᵀ ∂L/∂h_{t+1} (+ the loss at t through h_t, when it counts). A third computation of the
 * same δ's (tests hold it against the engine's per-step bias gradients), so the numbers the
 * worked solution prints are the ones its formulas give. Entry t−1 is step t.
 */
export function lstmBackwardByRoutes(inst: LstmInstance, r: LstmSolution): LstmBackwardStep[] {
  const { T, H } = dims(inst);
  const counted = new Set(lossSteps(inst.loss, T));
  const steps: LstmBackwardStep[] = new Array(T);
  const oneMinusSq = (v: Vec) => v.map((x) => 1 - x * x);
  const sigPrime = (v: Vec) => v.map((x) => x * (1 - x));
  for (let t = T; t >= 1; t--) {
    const k = t - 1;
    const local = counted.has(k) ? matTVec(inst.V, subVec(r.yhat[k]!, inst.y[k]!)) : new Array<number>(H).fill(0);
    const dhdc = hadamard(r.o[k]!, oneMinusSq(r.m[k]!));
    let dh: Vec, dc: Vec;
    if (t === T) {
      dh = local;
      dc = hadamard(dh, dhdc);
    } else {
      const next = steps[t]!;
      dh = local;
      for (const G of LSTM_GATES) dh = addVec(dh, matTVec(inst[`Wh${G}`], next.delta[G]));
      dc = addVec(addVec(matTVec(next.cellJacobian, next.dc), matTVec(next.outputGatePath, next.dh)), hadamard(local, dhdc));
    }
    const cPrev = t === 1 ? inst.c0 : r.c[t - 2]!;
    const delta: Record<Gate, Vec> = {
      f: hadamard(hadamard(dc, cPrev), sigPrime(r.f[k]!)),
      i: hadamard(hadamard(dc, r.g[k]!), sigPrime(r.i[k]!)),
      g: hadamard(hadamard(dc, r.i[k]!), oneMinusSq(r.g[k]!)),
      o: hadamard(hadamard(dh, r.m[k]!), sigPrime(r.o[k]!)),
    };
    const outputGatePath = t === 1
      ? diag(new Array<number>(H).fill(0))
      : matMul(diagTimes(hadamard(r.m[k]!, sigPrime(r.o[k]!)), inst.Who), diag(hadamard(r.o[k - 1]!, oneMinusSq(r.m[k - 1]!))));
    steps[t - 1] = { dh, dc, delta, cellJacobian: r.dc_dc_prev[k]!, outputGatePath };
  }
  return steps;
}

export const lstmBpttProblem: ProblemType<LstmBpttParams, LstmInstance> = {
  id: 'lstm.bptt',
  title: 'Backpropagation through time in an LSTM',
  summary: 'The notes\' ∂L_3/∂W_hf: per-step terms ∂L_T/∂W^(k) along every path, and their sum, for any of the eight weights.',
  params: lstmBpttParams,
  generate: drawLstm,
  accept: (_inst, sol, params) => lstmRegimeMiss(sol, params.regime),
  build(inst, params, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const summed = inst.loss === 'sum';
    const L = lossSymbol(inst);
    const wrt = params.wrt;
    const closedForm = perConvention((conv) => lstmClosedForm(inst, conv));
    const parts: PartSpec<LstmSolution>[] = [];
    const routes = (() => {
      let cache: { sol: LstmSolution; steps: LstmBackwardStep[] } | null = null;
      return (r: LstmSolution) => {
        if (!cache || cache.sol !== r) cache = { sol: r, steps: lstmBackwardByRoutes(inst, r) };
        return cache.steps;
      };
    })();

    if (!summed) {
      parts.push({
        key: partKey(parts.length),
        kind: vectorKind(K),
        prompt: `$\\dfrac{\\partial L_{${T}}}{\\partial \\hat y_{${T}}}$`,
        symbol: `\\partial L_{${T}}/\\partial \\hat y_{${T}}`,
        answer: (s) => asVectorAnswer(subVec(s.yhat[T - 1]!, inst.y[T - 1]!)),
        calc: (conv) => asVectorAnswer(closedForm(conv).yhat[T - 1]!.map((v, a) => conv.round(conv.outputError(v, inst.y[T - 1]![a]!)))),
        mistakes: ['error-sign', 'loss-missing-half'],
        solution: (s) => [{ math: `\\frac{\\partial L_{${T}}}{\\partial \\hat y_{${T}}} = \\hat y_{${T}} - y_{${T}} = ${texVector(subVec(s.yhat[T - 1]!, inst.y[T - 1]!), d)}` }],
      });
    }

    const cols = wrt.startsWith('Wx') ? D : H;
    const kind = matrixKind(H, cols);
    const stepKey = `dL_d${wrt}_by_step` as const;
    const termKeys: string[] = [];
    const outputMistakes: MistakeId[] = summed ? [] : ['error-sign'];
    // the k = 1 term is (∂L/∂a_1) z_1ᵀ with z_1 = h_0 for a recurrent weight, and ∂L/∂a^f_1 carries
    // c_0: from generator version 2 on, a zero h_0 (or c_0 for the forget gate) makes it 0 — a free
    // point — so it is not asked, and the intro says why; the total still sums from k = 1
    // (decided by the bank's params, never the draw, so a part id means the same on every sheet; a
    // drawn h_0 or c_0 with a zero entry is redrawn as a free point instead)
    const zeroFirstTerm = style.generator >= 2 && params.initialState === 'zero' && ((wrt.startsWith('Wh') && inst.h0.every((v) => v === 0)) || (wrt.endsWith('f') && inst.c0.every((v) => v === 0)));
    for (let k = T; k >= (zeroFirstTerm ? 2 : 1); k--) {
      const key = partKey(parts.length);
      termKeys.push(key);
      parts.push({
        key,
        kind,
        prompt: `$\\dfrac{\\partial ${L}}{\\partial ${weightTeX(wrt)}^{(${k})}}$`,
        symbol: `\\partial ${L}/\\partial ${weightTeX(wrt)}^{(${k})}`,
        answer: (s) => asMatrixAnswer(s[stepKey][k - 1]!),
        calc: (conv) => asMatrixAnswer(closedForm(conv)[stepKey][k - 1]!),
        mistakes: [...derivativeMistakes(wrt, k, T), ...outputMistakes, ...pathMistakes(k, T, H, K)],
        solution: (s) => termSolution(inst, s, routes(s), wrt, k, d),
      });
    }

    const totalMistakes: MistakeId[] = [...derivativeMistakes(wrt, 1, T), ...outputMistakes, ...(T > 1 ? ['last-term-only', 'loss-convention'] as const : [])];
    totalMistakes.push(...pathMistakes(1, T, H, K));
    parts.push({
      key: partKey(parts.length),
      kind,
      prompt: `$\\dfrac{\\partial ${L}}{\\partial ${weightTeX(wrt)}} = \\sum_{k=1}^{${T}} \\dfrac{\\partial ${L}}{\\partial ${weightTeX(wrt)}^{(k)}}$`,
      symbol: `\\partial ${L}/\\partial ${weightTeX(wrt)}`,
      answer: (s) => asMatrixAnswer(s[`dL_d${wrt}`]),
      calc: (conv) => asMatrixAnswer(closedForm(conv)[`dL_d${wrt}`]),
      mistakes: totalMistakes,
      mistakeValue: {
        'last-term-only': (s) => asMatrixAnswer(s[stepKey][T - 1]!),
        'loss-convention': () => asMatrixAnswer(lstmClosedForm({ ...inst, loss: summed ? 'last' : 'sum' })[`dL_d${wrt}`]),
      },
      dependsOn: termKeys,
      followThrough: (earlier) => {
        const terms = termKeys.map((k) => toMatrix(earlier[k], H, cols));
        if (terms.some((m) => m === null) || terms.length === 0) return null;
        return asMatrixAnswer((terms as Mat[]).reduce((acc, m) => acc.map((row, i) => row.map((v, j) => v + m[i]![j]!))));
      },
      ...(T > 1 ? {
        // the student's own k = T term (the first asked) as their total; any other total that is not their sum
        followThroughMistakes: { 'last-term-only': (earlier) => earlier[termKeys[0]!] ?? null },
        departsMistake: 'total-not-sum' as const,
      } : {}),
      solution: (s) => {
        const r = s;
        const terms = Array.from({ length: T }, (_, n) => num(r[stepKey][T - 1 - n]!));
        return [{
          text: `$${weightTeX(wrt)}$ is shared by every step, so the gradient is the sum of the per-step terms:`,
          math: `\\frac{\\partial ${L}}{\\partial ${weightTeX(wrt)}} = ${arithmeticLine(sum(...terms), r[`dL_d${wrt}`], d)}`,
        }];
      },
    });

    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => {
      const given = lstmGiven(inst);
      if (params.giveForward) {
        const r = lstmClosedForm(inst);
        given.push(...lstmForwardLines(r, d));
        given.push(summed
          ? r.yhat.map((v, t) => `\\hat y_{${t + 1}} = ${texVector(v, d)}`).join(',\\quad ')
          : `\\hat y_{${T}} = ${texVector(r.yhat[T - 1]!, d)}`);
      }
      return given;
    };
    return {
      notation: LSTM_NOTATION,
      intro: `${lstmLossSentence(inst)} The weight $${weightTeX(wrt)}$ is used at every step; write $${weightTeX(wrt)}^{(k)}$ for its use at step $k$. ` +
        `Compute each per-step term, from $k = ${T}$ back to $k = 1$ along every path from the loss to that use, and their sum.` +
        (params.giveForward ? ' The forward values (rounded) are given.' : '') +
        (zeroFirstTerm ? ` Since ${wrt.startsWith('Wh') ? '$h_0 = 0$' : '$c_0 = 0$'}, the term for $k = 1$ is $0$: stop at $k = 2$.` : ''),
      given: givenLines,
      parts,
    };
  },
};

export const lstmBpttType = erase('lstm', lstmBpttProblem);

/** W_hf, W_xg, … in TeX. */
function weightTeX(w: LstmWeight): string {
  return `W_{${w.slice(1)}}`;
}

/** ∂c_k/∂G_k for the cell gates (c_{k−1}, g_k, i_k), as symbols. */
const CELL_FACTOR: Record<'f' | 'i' | 'g', (k: number) => string> = {
  f: (k) => `c_{${k - 1}}`,
  i: (k) => `g_{${k}}`,
  g: (k) => `i_{${k}}`,
};

/** σ'(a^G_k) or tanh'(a^g_k), as a symbol and as its expression in the gate's value. */
function activationPrime(G: Gate, k: number): { sym: string; expr: string } {
  return G === 'g'
    ? { sym: `\\tanh'(a^g_{${k}})`, expr: `1 - g_{${k}}^2` }
    : { sym: `\\sigma'(a^${G}_{${k}})`, expr: `${G}_{${k}}(1 - ${G}_{${k}})` };
}

const dd = (num: string, den: string) => `\\frac{\\partial ${num}}{\\partial ${den}}`;

/** One per-step term, along the notes' paths, with the error reaching step k evaluated. */
function termSolution(inst: LstmInstance, r: LstmSolution, routes: LstmBackwardStep[], wrt: LstmWeight, k: number, d: number): SolutionStep[] {
  const { T, H, D, K } = dims(inst);
  const summed = inst.loss === 'sum';
  const L = lossSymbol(inst);
  const G = wrt.slice(2) as Gate;
  const fromInput = wrt.startsWith('Wx');
  const z = fromInput ? inst.x[k - 1]! : (k === 1 ? inst.h0 : r.h[k - 2]!);
  const zSym = fromInput ? `x_{${k}}` : `h_{${k - 1}}`;
  const W = weightTeX(wrt);
  const term = r[`dL_d${wrt}_by_step`][k - 1]!;
  const step = routes[k - 1]!;
  const scalar = H === 1 && D === 1 && K === 1;
  const n = (x: number) => texNumber(x, d);
  const prime = activationPrime(G, k);
  const primeValue = (G === 'g' ? 1 - r.g[k - 1]![0]! ** 2 : r[G][k - 1]![0]! * (1 - r[G][k - 1]![0]!));
  const out: SolutionStep[] = [];

  // 1. the chain of the notes for this use of the weight
  if (G === 'o') {
    out.push({
      text: `The use at step $${k}$ reaches the loss only through $o_{${k}}$ and $h_{${k}} = o_{${k}} \\odot m_{${k}}$:`,
      math: `${dd(L, `${W}^{(${k})}`)} = ${dd(L, `h_{${k}}`)} \\cdot ${dd(`h_{${k}}`, `o_{${k}}`)} \\cdot ${dd(`o_{${k}}`, `${W}^{(${k})}`)}` +
        (scalar ? ` = ${dd(L, `h_{${k}}`)} \\cdot m_{${k}} \\cdot ${prime.sym}\\, ${zSym}` : ` = \\delta^o_{${k}}\\, ${zSym}^\\top,\\quad \\delta^o_{${k}} = ${dd(L, `h_{${k}}`)} \\odot m_{${k}} \\odot ${prime.sym}`),
    });
  } else {
    out.push({
      text: `The use at step $${k}$ reaches the loss through $${G}_{${k}}$ and the cell $c_{${k}}$:`,
      math: `${dd(L, `${W}^{(${k})}`)} = ${dd(L, `c_{${k}}`)} \\cdot ${dd(`c_{${k}}`, `${G}_{${k}}`)} \\cdot ${dd(`${G}_{${k}}`, `${W}^{(${k})}`)}` +
        (scalar
          ? ` = ${dd(L, `c_{${k}}`)} \\cdot ${CELL_FACTOR[G](k)} \\cdot ${prime.sym}\\, ${zSym}`
          : ` = \\delta^${G}_{${k}}\\, ${zSym}^\\top,\\quad \\delta^${G}_{${k}} = ${dd(L, `c_{${k}}`)} \\odot ${CELL_FACTOR[G](k)} \\odot ${prime.sym}`),
    });
  }

  // 2. the error reaching h_k and c_k
  const dhk = `\\frac{\\partial ${L}}{\\partial h_{${k}}}`, dck = `\\frac{\\partial ${L}}{\\partial c_{${k}}}`;
  if (k === T) {
    out.push({
      text: `At the last step the error comes from $\\hat y_{${T}}$ alone:`,
      math: scalar
        ? `${dhk} = ${dd(`L_{${T}}`, `\\hat y_{${T}}`)} \\cdot ${dd(`\\hat y_{${T}}`, `h_{${T}}`)} = (\\hat y_{${T}} - y_{${T}})\\,V = ${arithmeticLine(times(num(r.yhat[T - 1]![0]! - inst.y[T - 1]![0]!), given(inst.V[0]![0]!)), step.dh, d)}`
        : `${dhk} = V^\\top(\\hat y_{${T}} - y_{${T}}) = ${texVector(step.dh, d)}`,
    });
    out.push({
      math: scalar
        ? `${dck} = ${dhk} \\cdot ${dd(`h_{${T}}`, `m_{${T}}`)} \\cdot ${dd(`m_{${T}}`, `c_{${T}}`)} = ${dhk}\\, o_{${T}}(1 - m_{${T}}^2) = ${arithmeticLine(times(num(step.dh), num(r.o[T - 1]!), num(1 - r.m[T - 1]![0]! ** 2)), step.dc, d)}`
        : `${dck} = ${dhk} \\odot o_{${T}} \\odot (1 - m_{${T}}^2) = ${texVector(step.dc, d)}`,
    });
  } else {
    const next = routes[k]!;
    const k1 = k + 1;
    const dhk1 = `\\frac{\\partial ${L}}{\\partial h_{${k1}}}`, dck1 = `\\frac{\\partial ${L}}{\\partial c_{${k1}}}`;
    const localText = summed ? ` and, since $L$ counts $L_{${k}}$, through $\\hat y_{${k}}$` : '';
    const localSym = summed ? (scalar ? ` + (\\hat y_{${k}} - y_{${k}})\\,V` : ` + V^\\top(\\hat y_{${k}} - y_{${k}})`) : '';
    const e = summed ? r.yhat[k - 1]![0]! - inst.y[k - 1]![0]! : 0;
    out.push({
      text: `From $h_{${k}}$ the loss is reached through the gates of step $${k1}$ (the notes' $h_{${k1}} \\to o_{${k1}} \\to h_{${k}}$ and $c_{${k1}} \\to f_{${k1}}, i_{${k1}}, g_{${k1}} \\to h_{${k}}$)${localText}; $${dhk1}$ and $${dck1}$ come from the term for $k = ${k1}$:`,
      math: scalar
        ? `${dhk} = ${dhk1}${dd(`h_{${k1}}`, `o_{${k1}}`)}${dd(`o_{${k1}}`, `h_{${k}}`)} + ${dck1}\\Big(${dd(`c_{${k1}}`, `f_{${k1}}`)}${dd(`f_{${k1}}`, `h_{${k}}`)} + ${dd(`c_{${k1}}`, `i_{${k1}}`)}${dd(`i_{${k1}}`, `h_{${k}}`)} + ${dd(`c_{${k1}}`, `g_{${k1}}`)}${dd(`g_{${k1}}`, `h_{${k}}`)}\\Big)${localSym}`
        : `${dhk} = W_{ho}^\\top \\delta^o_{${k1}} + W_{hf}^\\top \\delta^f_{${k1}} + W_{hi}^\\top \\delta^i_{${k1}} + W_{hg}^\\top \\delta^g_{${k1}}${localSym}`,
    });
    if (scalar) {
      const v = (name: 'f' | 'i' | 'g' | 'o' | 'm' | 'c', t: number) => r[name][t - 1]![0]!;
      const sp = (name: 'f' | 'i' | 'o', t: number) => v(name, t) * (1 - v(name, t));
      const w = (name: LstmWeight) => given(inst[name][0]![0]!);
      // A_{k+1} = ∂c_{k+1}/∂h_k at fixed c_k: the paths from h_k into f_{k+1}, i_{k+1}, g_{k+1}
      const gatesTerms = sum(
        times(num(v('c', k)), num(sp('f', k1)), w('Whf')),
        times(num(v('g', k1)), num(sp('i', k1)), w('Whi')),
        times(num(v('i', k1)), num(1 - v('g', k1) ** 2), w('Whg')));
      const throughGates = v('c', k) * sp('f', k1) * inst.Whf[0]![0]! + v('g', k1) * sp('i', k1) * inst.Whi[0]![0]! + v('i', k1) * (1 - v('g', k1) ** 2) * inst.Whg[0]![0]!;
      const gatesSym = `c_{${k}}\\,\\sigma'(a^f_{${k1}})\\,W_{hf} + g_{${k1}}\\,\\sigma'(a^i_{${k1}})\\,W_{hi} + i_{${k1}}\\tanh'(a^g_{${k1}})\\,W_{hg}`;
      const local: Arith[] = summed ? [times(num(e), given(inst.V[0]![0]!))] : [];
      out.push({
        math: `= ${dhk1}\\, m_{${k1}}\\,\\sigma'(a^o_{${k1}})\\,W_{ho} + ${dck1}\\big(${gatesSym}\\big)${localSym}`,
      });
      out.push({
        text: `where the bracket, the paths from $h_{${k}}$ into the gates of step $${k1}$ with $c_{${k}}$ held, is`,
        math: `${gatesSym} = ${arithmeticLine(gatesTerms, throughGates, d)}`,
      });
      out.push({
        math: `${dhk} = ${arithmeticLine(sum(times(num(next.dh), num(v('m', k1)), num(sp('o', k1)), w('Who')), times(num(next.dc), num(throughGates)), ...local), step.dh, d)}`,
      });
      const kappa = v('o', k) * (1 - v('m', k) ** 2);
      out.push({
        text: `From $c_{${k}}$ (the notes' grouping): through the cell, by the total $\\partial c_{${k1}}/\\partial c_{${k}}$ (the direct $f_{${k1}}$ plus the paths through $h_{${k}}$), and through the output gate of step $${k1}$${summed ? `, and through $h_{${k}}$ into $\\hat y_{${k}}$` : ''}:`,
        math: `${dck} = ${dck1}\\cdot ${dd(`c_{${k1}}`, `c_{${k}}`)} + ${dhk1}\\cdot ${dd(`h_{${k1}}`, `o_{${k1}}`)}\\cdot ${dd(`o_{${k1}}`, `h_{${k}}`)}\\cdot ${dd(`h_{${k}}`, `c_{${k}}`)}` +
          (summed ? ` + ${dd(`L_{${k}}`, `h_{${k}}`)}\\cdot ${dd(`h_{${k}}`, `c_{${k}}`)}` : ''),
      });
      out.push({
        math: `o_{${k}}(1 - m_{${k}}^2) = ${arithmeticLine(times(num(v('o', k)), sum(given(1), minus(squared(num(v('m', k)))))), kappa, d)}`,
      });
      out.push({
        math: `${dd(`c_{${k1}}`, `c_{${k}}`)} = f_{${k1}} + o_{${k}}(1 - m_{${k}}^2)\\big[${gatesSym}\\big] = ${arithmeticLine(sum(num(v('f', k1)), times(num(kappa), num(throughGates))), next.cellJacobian, d)}`,
      });
      out.push({
        math: `${dd(`h_{${k1}}`, `o_{${k1}}`)}\\cdot ${dd(`o_{${k1}}`, `h_{${k}}`)}\\cdot ${dd(`h_{${k}}`, `c_{${k}}`)} = m_{${k1}}\\,\\sigma'(a^o_{${k1}})\\,W_{ho}\\cdot o_{${k}}(1 - m_{${k}}^2) = ${arithmeticLine(times(num(v('m', k1)), num(sp('o', k1)), w('Who'), num(kappa)), next.outputGatePath, d)}`,
      });
      out.push({
        math: `${dck} = ${arithmeticLine(sum(times(num(next.dc), num(next.cellJacobian)), times(num(next.dh), num(next.outputGatePath)), ...(summed ? [times(num(e * inst.V[0]![0]!), num(kappa))] : [])), step.dc, d)}`,
      });
    } else {
      out.push({
        text: `with the gate errors of step $${k1}$ (e.g. $\\delta^f_{${k1}} = \\partial ${L}/\\partial c_{${k1}} \\odot c_{${k}} \\odot \\sigma'(a^f_{${k1}})$, $\\delta^o_{${k1}} = \\partial ${L}/\\partial h_{${k1}} \\odot m_{${k1}} \\odot \\sigma'(a^o_{${k1}})$)`,
        math: LSTM_GATES.map((G) => `\\delta^${G}_{${k1}} = ${texVector(next.delta[G], d)}`).join(',\\quad '),
      });
      out.push({ math: `${dhk} = ${texVector(step.dh, d)}` });
      out.push({
        text: `From $c_{${k}}$ (the notes' grouping): through the cell, by the total $\\partial c_{${k1}}/\\partial c_{${k}}$, and through the output gate of step $${k1}$${summed ? `, and through $h_{${k}}$ into $\\hat y_{${k}}$` : ''}:`,
        math: `${dck} = \\Big(${dd(`c_{${k1}}`, `c_{${k}}`)}\\Big)^{\\!\\top} ${dck1} + \\Big(${dd(`h_{${k1}}`, `o_{${k1}}`)}${dd(`o_{${k1}}`, `h_{${k}}`)}${dd(`h_{${k}}`, `c_{${k}}`)}\\Big)^{\\!\\top} ${dhk1}` +
          (summed ? ` + \\big(V^\\top(\\hat y_{${k}} - y_{${k}})\\big) \\odot o_{${k}} \\odot (1 - m_{${k}}^2)` : ''),
      });
      out.push({
        text: `with the total of §3 and the output-gate path $\\mathrm{diag}(m_{${k1}} \\odot \\sigma'(a^o_{${k1}}))\\,W_{ho}\\,\\mathrm{diag}(o_{${k}} \\odot (1 - m_{${k}}^2))$:`,
        math: `${dd(`c_{${k1}}`, `c_{${k}}`)} = ${texMatrix(next.cellJacobian, d)},\\quad ${dd(`h_{${k1}}`, `o_{${k1}}`)}${dd(`o_{${k1}}`, `h_{${k}}`)}${dd(`h_{${k}}`, `c_{${k}}`)} = ${texMatrix(next.outputGatePath, d)},\\quad ${dck} = ${texVector(step.dc, d)}`,
      });
    }
  }

  // 3. the local factors at step k and the term
  const zeroInput = z.every((v) => v === 0);
  if (scalar) {
    const err = G === 'o' ? step.dh[0]! : step.dc[0]!;
    const cellFactor = G === 'o' ? r.m[k - 1]![0]! : G === 'f' ? (k === 1 ? inst.c0[0]! : r.c[k - 2]![0]!) : G === 'i' ? r.g[k - 1]![0]! : r.i[k - 1]![0]!;
    const cellSym = G === 'o' ? `m_{${k}}` : CELL_FACTOR[G](k);
    // x_k, h_0 and c_0 are given; the rest is computed
    const cellFactorGiven = G === 'f' && k === 1;
    const zGiven = fromInput || k === 1;
    out.push({
      text: `with $${cellSym} = ${cellFactorGiven ? texExact(cellFactor) : n(cellFactor)}$, $${prime.sym} = ${prime.expr} = ${n(primeValue)}$ and $${zSym} = ${zGiven ? texExact(z[0]!) : n(z[0]!)}$:`,
      math: `${dd(L, `${W}^{(${k})}`)} = ${arithmeticLine(times(num(err), cellFactorGiven ? given(cellFactor) : num(cellFactor), num(primeValue), zGiven ? given(z[0]!) : num(z[0]!)), term, d)}`,
    });
  } else {
    out.push({
      math: `\\delta^${G}_{${k}} = ${texVector(step.delta[G], d)},\\qquad ${dd(L, `${W}^{(${k})}`)} = \\delta^${G}_{${k}}\\, ${zSym}^\\top = ${texMatrix(term, d)}`,
    });
  }
  // with h_0 = 0 (or c_0 = 0 for the forget gate) the first use has a zero factor
  const zeros = [...(zeroInput ? [zSym] : []), ...(G === 'f' && k === 1 && inst.c0.every((v) => v === 0) ? ['c_{0}'] : [])];
  if (zeros.length > 0) out.push({ text: `Here ${zeros.map((z) => `$${z} = 0$`).join(' and ')}, so this use of the weight contributes nothing, whatever the error reaching it.` });
  return out;
}
