/**
 * rnn.bptt — the notes' decomposition (docs/math.md §2.2): ∂L_T/∂o_T, every per-step term ∂L/∂U^(k)
 * and their sum ∂L/∂U; or the same for W or b, or ∂L/∂V. The forward states are given (rounded
 * to the sheet's digits) unless the bank asks the student to compute them too.
 * Follow-through: the total from the student's own per-step terms.
 */
import { z } from 'zod';
import { dims, type RnnInstance } from '../models/instance.js';
import { givenForward, rnnClosedForm, type RnnSolution } from '../models/rnn.js';
import { RNN_NOTATION, asMatrixAnswer, asVectorAnswer, lossSentence, lossSymbol, matrixKind, partKey, perConvention, rnnGiven, toMatrix, vectorKind } from './common.js';
import { arithmeticLine, cdot, given as givenValue, num, sum, times, type Arith } from './arithmetic.js';
import { texMatrix, texVector } from './format.js';
import type { MistakeId } from './mistakes.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { erase } from './erase.js';
import type { AnswerValue, PartSpec, ProblemType } from './types.js';

export const rnnBpttParams = z.object({
  ...rnnParamsShape,
  /** the parameter the gradient is taken with respect to */
  wrt: z.enum(['U', 'W', 'b', 'V']).default('U'),
  /** print the forward states s_t and outputs so the question is about BPTT alone */
  giveForward: z.boolean().default(true),
}).strict();
export type RnnBpttParams = z.infer<typeof rnnBpttParams>;

/** What ∂θ_k/∂P^(k) is for each parameter: x_k for U, s_{k−1} for W, 1 for b. */
const IMMEDIATE: Record<'U' | 'W' | 'b', (k: number) => string> = {
  U: (k) => `x_{${k}}`,
  W: (k) => `s_{${k - 1}}`,
  b: () => '1',
};

const TANH_MISTAKES: MistakeId[] = ['tanh-prime-as-tanh', 'tanh-prime-of-preactivation', 'missing-tanh-prime'];

/**
 * The generator-2 mistakes a per-step term ∂L/∂P^(k) (or, with k = 1, the total) can show: the
 * ½ of the loss and the factor V always (V only where leaving it out keeps the shape, K = H);
 * tanh' at the wrong step where there is a Jacobian factor (k < T); the order of the product
 * where there are two and they are matrices; s_k for s_{k−1} in the W term.
 */
function laterMistakes(wrt: 'U' | 'W' | 'b', k: number, T: number, H: number, K: number): MistakeId[] {
  return [
    'loss-missing-half',
    ...(K === H ? ['missing-output-weight' as const] : []),
    ...(k < T ? ['tanh-prime-wrong-step' as const] : []),
    ...(H > 1 && k < T - 1 ? ['jacobian-product-reversed' as const] : []),
    ...(wrt === 'W' ? ['immediate-state-current' as const] : []),
  ];
}

export const rnnBpttProblem: ProblemType<RnnBpttParams, RnnInstance> = {
  id: 'rnn.bptt',
  title: 'Backpropagation through time in an RNN',
  summary: 'The per-step terms ∂L_T/∂U^(k) and their sum ∂L_T/∂U (or W, b, V), as in the notes.',
  params: rnnBpttParams,
  generate: drawRnn,
  build(inst, params, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const summed = inst.loss === 'sum';
    const L = lossSymbol(inst);
    const wrt = params.wrt;
    const parts: PartSpec<RnnSolution>[] = [];
    // with the states printed, the student starts from them; otherwise rounding runs through the forward pass too
    const closedForm = perConvention((conv) => rnnClosedForm(inst, conv, params.giveForward ? givenForward(inst, conv) : undefined));

    if (!summed) {
      parts.push({
        key: partKey(parts.length),
        kind: vectorKind(K),
        prompt: `$\\dfrac{\\partial L_{${T}}}{\\partial o_{${T}}}$`,
        symbol: `\\partial L_{${T}}/\\partial o_{${T}}`,
        answer: (s) => asVectorAnswer(s.o[T - 1]!.map((o, a) => o - inst.y[T - 1]![a]!)),
        calc: (conv) => asVectorAnswer(closedForm(conv).o[T - 1]!.map((o, a) => conv.round(conv.outputError(o, inst.y[T - 1]![a]!)))),
        mistakes: ['error-sign', 'loss-missing-half'],
        solution: (s) => [{ math: `\\frac{\\partial L_{${T}}}{\\partial o_{${T}}} = o_{${T}} - y_{${T}} = ${texVector(s.o[T - 1]!.map((o, a) => o - inst.y[T - 1]![a]!), d)}` }],
      });
    }

    if (wrt === 'V') {
      parts.push({
        key: partKey(parts.length),
        kind: matrixKind(K, H),
        prompt: `$\\dfrac{\\partial ${L}}{\\partial V}$`,
        symbol: `\\partial ${L}/\\partial V`,
        answer: (s) => asMatrixAnswer(s.dL_dV),
        calc: (conv) => asMatrixAnswer(closedForm(conv).dL_dV),
        mistakes: [...(T > 1 ? ['error-sign', 'loss-convention'] as const : ['error-sign'] as const), 'loss-missing-half'],
        mistakeValue: { 'loss-convention': () => asMatrixAnswer(rnnClosedForm({ ...inst, loss: summed ? 'last' : 'sum' }).dL_dV) },
        solution: (s) => [{
          math: summed
            ? `\\frac{\\partial L}{\\partial V} = \\sum_t (o_t - y_t)\\, s_t^\\top = ${texMatrix(s.dL_dV, d)}`
            : `\\frac{\\partial L_{${T}}}{\\partial V} = (o_{${T}} - y_{${T}})\\, s_{${T}}^\\top = ${texMatrix(s.dL_dV, d)}`,
        }],
      });
      return { notation: RNN_NOTATION, intro: intro(inst, 'V'), given: () => given(inst, params, d), parts };
    }

    const rows = H, cols = wrt === 'U' ? D : wrt === 'W' ? H : 1;
    const kind = wrt === 'b' ? vectorKind(H) : matrixKind(rows, cols);
    const stepKey = `dL_d${wrt}_by_step` as const;
    const totalKey = `dL_d${wrt}` as const;
    const asAnswer = (v: number[] | number[][]): AnswerValue => (wrt === 'b' ? asVectorAnswer(v as number[]) : asMatrixAnswer(v as number[][]));
    const termKeys: string[] = [];
    // ∂θ_1/∂W^(1) = s_0: from generator version 2 on, the bank's zero initial state makes the k = 1
    // term 0 on every sheet (a free point), so it is not asked and the intro says why; the total
    // still sums from k = 1. Decided by the bank's params, never the draw, so a part id means the
    // same on every sheet (a drawn s_0 with a zero entry is redrawn as a free point instead).
    const zeroFirstTerm = style.generator >= 2 && wrt === 'W' && params.initialState === 'zero' && inst.s0.every((v) => v === 0);
    for (let k = zeroFirstTerm ? 2 : 1; k <= T; k++) {
      const mistakes: MistakeId[] = [...TANH_MISTAKES, ...(summed ? [] : ['error-sign' as const])];
      if (k < T) mistakes.push('w-power-plus-one');
      if (k < T && H === 1) mistakes.push('w-power-minus-one');
      if (k < T && H > 1) mistakes.push('w-not-transposed');
      mistakes.push(...laterMistakes(wrt, k, T, H, K));
      const key = partKey(parts.length);
      termKeys.push(key);
      parts.push({
        key,
        kind,
        prompt: `$\\dfrac{\\partial ${L}}{\\partial ${wrt}^{(${k})}}$`,
        symbol: `\\partial ${L}/\\partial ${wrt}^{(${k})}`,
        answer: (s) => asAnswer(s[stepKey][k - 1]!),
        calc: (conv) => asAnswer(closedForm(conv)[stepKey][k - 1]!),
        mistakes,
        solution: (s) => termSolution(inst, s, wrt, k, d),
      });
    }
    const totalMistakes: MistakeId[] = [...TANH_MISTAKES, ...(summed ? [] : ['error-sign' as const])];
    if (T > 1) totalMistakes.push('last-term-only', 'loss-convention', 'w-power-plus-one', ...(H === 1 ? ['w-power-minus-one' as const] : ['w-not-transposed' as const]));
    totalMistakes.push(...laterMistakes(wrt, 1, T, H, K));
    parts.push({
      key: partKey(parts.length),
      kind,
      prompt: `$\\dfrac{\\partial ${L}}{\\partial ${wrt}} = \\sum_{k=1}^{${T}} \\dfrac{\\partial ${L}}{\\partial ${wrt}^{(k)}}$`,
      symbol: `\\partial ${L}/\\partial ${wrt}`,
      answer: (s) => asAnswer(s[totalKey]),
      calc: (conv) => asAnswer(closedForm(conv)[totalKey]),
      mistakes: totalMistakes,
      mistakeValue: {
        'last-term-only': (s) => asAnswer(s[stepKey][T - 1]!),
        'loss-convention': () => asAnswer(rnnClosedForm({ ...inst, loss: summed ? 'last' : 'sum' })[totalKey]),
      },
      dependsOn: termKeys,
      followThrough: (earlier) => {
        const terms = termKeys.map((k) => toMatrix(typeof earlier[k] === 'number' || wrt !== 'b' ? earlier[k] : (earlier[k] as number[] | undefined)?.map((v) => [v]), rows, cols));
        if (terms.some((m) => m === null) || terms.length === 0) return null;
        const sum = (terms as number[][][]).reduce((acc, m) => acc.map((row, i) => row.map((v, j) => v + m[i]![j]!)));
        return wrt === 'b' ? asVectorAnswer(sum.map((row) => row[0]!)) : asMatrixAnswer(sum);
      },
      ...(T > 1 ? {
        // the student's own k = T term as their total; any other total that is not their sum
        followThroughMistakes: { 'last-term-only': (earlier) => earlier[termKeys[termKeys.length - 1]!] ?? null },
        departsMistake: 'total-not-sum' as const,
      } : {}),
      solution: (s) => {
        const r = s;
        const terms = r[stepKey].map((m) => num(m as number[] | number[][]));
        return [{ text: `The ${wrt === 'b' ? 'bias' : 'weight'} is shared by every step, so the gradient is the sum of the per-step terms:`, math: `\\frac{\\partial ${L}}{\\partial ${wrt}} = ${arithmeticLine(sum(...terms), r[totalKey], d)}` }];
      },
    });
    return { notation: RNN_NOTATION, intro: intro(inst, wrt) + (zeroFirstTerm ? ` Since $s_0 = 0$, the term for $k = 1$, whose immediate partial is $s_0$, is $0$: start from $k = 2$.` : ''), given: () => given(inst, params, d), parts };
  },
};

export const rnnBpttType = erase('rnn', rnnBpttProblem);

function intro(inst: RnnInstance, wrt: string): string {
  const T = inst.x.length;
  return `It runs for $t = 1, \\dots, ${T}$. ${lossSentence(inst)} ` +
    (wrt === 'V'
      ? 'Compute the gradient of the loss with respect to the output weight $V$.'
      : `The parameter $${wrt}$ is used at every step; write $${wrt}^{(k)}$ for its use at step $k$. Compute each per-step term and their sum.`);
}

function given(inst: RnnInstance, params: RnnBpttParams, digits: number): string[] {
  const lines = rnnGiven(inst);
  if (params.giveForward) {
    const fwd = rnnClosedForm(inst);
    const T = inst.x.length;
    const states = fwd.s.map((s, t) => `s_{${t + 1}} = ${texVector(s, digits)}`);
    for (let start = 0; start < T; start += 4) lines.push(states.slice(start, start + 4).join(',\\quad '));
    lines.push(`o_{${T}} = ${texVector(fwd.o[T - 1]!, digits)}`);
  }
  return lines;
}

/** One per-step term written out as in the notes, with its factors evaluated. */
export function termSolution(inst: RnnInstance, r: RnnSolution, wrt: 'U' | 'W' | 'b', k: number, d: number): { text?: string; math?: string }[] {
  const { T, H } = dims(inst);
  const summed = inst.loss === 'sum';
  const term = wrt === 'b' ? texVector(r.dL_db_by_step[k - 1]!, d) : texMatrix(r[`dL_d${wrt}_by_step`][k - 1]!, d);
  const L = lossSymbol(inst);
  if (H === 1 && !summed) {
    // the notes' scalar form: (o_T − y_T)·V·∏[(1 − s_j²)W]·(1 − s_k²)·(x_k | s_{k−1} | 1)
    const s = (t: number) => r.s[t - 1]![0]!;
    const factors = [`(o_{${T}} - y_{${T}})`, 'V'];
    const values: Arith[] = [num(r.o[T - 1]![0]! - inst.y[T - 1]![0]!), givenValue(inst.V[0]![0]!)];
    for (let j = T; j > k; j--) {
      factors.push(`(1 - s_{${j}}^2)W`);
      values.push(cdot(num(1 - s(j) ** 2), givenValue(inst.W[0]![0]!)));
    }
    factors.push(`(1 - s_{${k}}^2)`);
    values.push(num(1 - s(k) ** 2));
    // x_k and s_0 are given; s_{k−1} is a computed state
    if (wrt === 'U') values.push(givenValue(inst.x[k - 1]![0]!));
    if (wrt === 'W') values.push(k === 1 ? givenValue(inst.s0[0]!) : num(s(k - 1)));
    if (wrt !== 'b') factors.push(IMMEDIATE[wrt](k));
    return [
      { text: k === T ? 'The direct term (no Jacobian factors):' : `The path back through ${T - k} Jacobian ${T - k === 1 ? 'factor' : 'factors'} $\\partial s_j/\\partial s_{j-1} = (1 - s_j^2)W$:` },
      { math: `\\frac{\\partial ${L}}{\\partial ${wrt}^{(${k})}} = ${factors.join(' \\cdot ')}` },
      { math: `= ${arithmeticLine(times(...values), r[`dL_d${wrt}_by_step`][k - 1]!, d)}` },
    ];
  }
  const prod = k === T ? '' : `\\Big(\\prod_{j=${k + 1}}^{${T}} \\frac{\\partial s_j}{\\partial s_{j-1}}\\Big)^{\\!\\top}`;
  const immediate = wrt === 'b' ? '' : `\\, ${IMMEDIATE[wrt](k)}^\\top`;
  const upstream = summed ? `\\sum_{t \\ge ${k}} ${k === T ? '' : `\\Big(\\prod_{j=${k + 1}}^{t} \\frac{\\partial s_j}{\\partial s_{j-1}}\\Big)^{\\!\\top}`} V^\\top (o_t - y_t)` : `${prod} V^\\top (o_{${T}} - y_{${T}})`;
  return [
    { text: 'Back-propagate the output error to $s_k$ through the Jacobians $\\partial s_j/\\partial s_{j-1} = \\mathrm{diag}(1 - s_j^2)\\,W$, then through $\\tanh$ at step $k$:' },
    { math: `\\frac{\\partial ${L}}{\\partial ${wrt}^{(${k})}} = \\Big[ ${upstream} \\Big] \\odot (1 - s_{${k}}^2)${immediate} = ${term}` },
  ];
}
