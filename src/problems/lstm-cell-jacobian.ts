/**
 * lstm.cell-jacobian — the cell-to-cell Jacobian of docs/math.md §3.2 and the notes' closing argument:
 * - at a step s ≥ 2 (for s = 1 the two agree): ∂c_s/∂c_{s−1} along the cell path alone (direct:
 *   diag f_s), the paths through h_{s−1} into f_s, i_s, g_s on their own, and their sum, the total;
 * - the total at every other step t = 2..T, and the cell factor ∏_{t=2}^{T} ∂c_t/∂c_{t−1}
 *   (multiplied in chain-rule order ∂c_T/∂c_{T−1} ⋯ ∂c_2/∂c_1);
 * - against it, the same product for the comparable RNN: the LSTM with its gates pinned
 *   (f_t = 0, i_t = o_t = 1, h_t = c_t), i.e. the RNN of docs/math.md §2 with U = W_xg, W = W_hg,
 *   b = b_g, s_0 = h_0 and the same inputs (see `comparableRnn`). Its factor
 *   ∏_{j=2}^{T} ∂s_j/∂s_{j−1} = ∏ diag(1 − s_j²)·W_hg has the same number of factors and the
 *   LSTM's own candidate-memory weights, so the two products differ only by the gates. The RNN
 *   is derived from the LSTM inside build (a key stores one instance); its exact answer comes
 *   from the engine's RNN solution (`solveRnn`), its calc from the closed forms of rnn.ts.
 * The paths through h are asked on their own because they are small beside f_t: a mistake inside
 * them (a missing tanh'(c_{t−1}), c_t for c_{t−1}) often moves the total by less than the
 * tolerance, but never the paths themselves; so those mistakes are graded there, and the totals
 * list only the mistakes that move them clearly.
 * The forward values are printed (rounded to the sheet's digits) unless the bank asks the student
 * to compute them too.
 * Follow-through: the total at s from the student's direct term and paths; the LSTM product from
 * the student's own per-step totals.
 */
import { z } from 'zod';
import { byHand } from '../models/convention.js';
import { dims, type LstmInstance, type Mat, type Vec } from '../models/instance.js';
import { addMat, diag, hadamard, matMul } from '../models/linalg.js';
import { lstmCellAcrossSteps, lstmCellJacobians, lstmForward, type LstmSolution } from '../models/lstm.js';
import { jacobianProduct, rnnForward, rnnStateJacobians, solveRnn } from '../models/rnn.js';
import { asMatrixAnswer, matrixKind, partKey, perConvention, toMatrix } from './common.js';
import { arithmeticLine, given, minus, num, squared, sum, times, type Arith } from './arithmetic.js';
import { texMatrix, texNumber, texVector } from './format.js';
import { COMPARABLE_RNN, LSTM_NOTATION, comparableRnn, throughHPaths, throughHSum, THROUGH_H_MISTAKES, drawLstm, lstmForwardLines, lstmGiven, lstmParamsShape, lstmRegimeMiss } from './lstm-params.js';
import type { MistakeId } from './mistakes.js';
import { erase } from './erase.js';
import type { AnswerValue, PartSpec, ProblemType, SolutionStep } from './types.js';

export const lstmCellJacobianParams = z.object({
  ...lstmParamsShape,
  /** T ≥ 2, so that some ∂c_t/∂c_{t−1} has paths through h_{t−1}; each step adds a part */
  steps: z.number().int().min(2).max(6).default(3),
  /** the step s of the direct, paths-through-h and first total parts; default T */
  step: z.number().int().min(2).max(6).optional(),
  /** print f_t, i_t, g_t, o_t, c_t, h_t (and the RNN's s_t) so the question is about the Jacobian alone */
  giveForward: z.boolean().default(true),
}).strict().refine((p) => p.step === undefined || p.step <= p.steps, { message: 'should be at most steps', path: ['step'] });
export type LstmCellJacobianParams = z.infer<typeof lstmCellJacobianParams>;

/**
 * On a total (≈ f_t plus paths that are small beside it) only the mistakes that move it by more
 * than a rounding error on most draws; the others are graded on the paths-through-h part.
 */
const TOTAL_MISTAKES: MistakeId[] = ['cell-direct-only', 'cell-missing-output-gate', 'sigma-tanh-prime-swapped'];
const RNN_MISTAKES: MistakeId[] = ['missing-tanh-prime', 'tanh-prime-as-tanh'];

const dcdc = (t: number) => `\\dfrac{\\partial c_{${t}}}{\\partial c_{${t - 1}}}`;

export const lstmCellJacobianProblem: ProblemType<LstmCellJacobianParams, LstmInstance> = {
  id: 'lstm.cell-jacobian',
  title: 'The LSTM cell Jacobian ∂c_t/∂c_{t−1}',
  summary: 'Direct (f_t) and total ∂c_t/∂c_{t−1}, their product over the steps, and the RNN factor ∏∂s_t/∂s_{t−1} beside it.',
  params: lstmCellJacobianParams,
  generate: drawLstm,
  accept: (_inst, sol, params) => lstmRegimeMiss(sol, params.regime),
  build(inst, params, style) {
    const { T, H } = dims(inst);
    const s = params.step ?? T;
    const d = style.digits;
    const kind = matrixKind(H, H);
    const forward = perConvention((conv) => lstmForward(inst, conv));
    const jacobians = perConvention((conv) => lstmCellJacobians(inst, forward(conv), conv));
    const rnn = comparableRnn(inst);
    const rnnExact = solveRnn(rnn);
    const rnnJacobians = perConvention((conv) => rnnStateJacobians(rnn, rnnForward(rnn, conv), conv));
    const parts: PartSpec<LstmSolution>[] = [];
    // from generator version 2 on, with the forward values printed the direct term is the printed
    // f_s (a free point): it is not asked, and the total follows through from the printed f_s
    const askDirect = !(style.generator >= 2 && params.giveForward);

    const directKey = askDirect ? partKey(parts.length) : null;
    if (directKey !== null) parts.push({
      key: directKey,
      kind,
      prompt: `the direct term $\\left.${dcdc(s)}\\right|_{\\text{direct}}$ (the cell path alone)`,
      symbol: `\\partial c_{${s}}/\\partial c_{${s - 1}}|_{\\text{direct}}`,
      answer: (x) => asMatrixAnswer(x.dc_dc_prev_direct[s - 1]!),
      calc: (conv) => asMatrixAnswer(jacobians(conv).direct[s - 1]!),
      solution: (x) => {
        const f = x.f[s - 1]!;
        return [{
          text: `Along the cell path $c_{${s - 1}} \\to c_{${s}}$ only the forget gate multiplies (the constant error carousel):`,
          math: H === 1
            ? `\\left.${dcdc(s)}\\right|_{\\text{direct}} = f_{${s}} = ${texNumber(f[0]!, d)}`
            : `\\left.${dcdc(s)}\\right|_{\\text{direct}} = \\mathrm{diag}(f_{${s}}) = ${texMatrix(diag(f), d)}`,
        }];
      },
    });

    // the paths through h_{s−1} on their own: the mistakes inside them change a small number,
    // which the total (≈ f_s plus it) would hide within tolerance
    const throughKey = partKey(parts.length);
    parts.push({
      key: throughKey,
      kind,
      prompt: `the paths through $h_{${s - 1}}$: $${dcdc(s)} - \\left.${dcdc(s)}\\right|_{\\text{direct}}$`,
      symbol: `\\partial c_{${s}}/\\partial c_{${s - 1}}|_{h_{${s - 1}}}`,
      answer: (x) => asMatrixAnswer(subMat(x.dc_dc_prev[s - 1]!, x.dc_dc_prev_direct[s - 1]!)),
      calc: (conv) => asMatrixAnswer(throughHSum(throughHPaths(inst, forward(conv), s, conv), conv)),
      mistakes: THROUGH_H_MISTAKES,
      solution: (x) => cellJacobianSolution(inst, x, s, d, false),
    });

    const totalKeys = new Map<number, string>();
    const totalPart = (t: number): PartSpec<LstmSolution> => {
      const key = partKey(parts.length);
      totalKeys.set(t, key);
      return {
        key,
        kind,
        prompt: `the total $${dcdc(t)}$`,
        symbol: `\\partial c_{${t}}/\\partial c_{${t - 1}}`,
        answer: (x) => asMatrixAnswer(x.dc_dc_prev[t - 1]!),
        calc: (conv) => asMatrixAnswer(jacobians(conv).total[t - 1]!),
        mistakes: TOTAL_MISTAKES,
        ...(t === s ? {
          dependsOn: directKey !== null ? [directKey, throughKey] : [throughKey],
          followThrough: (earlier) => {
            const direct = directKey !== null ? toMatrix(earlier[directKey], H, H) : diag(forward(byHand(d)).f[s - 1]!);
            const throughH = toMatrix(earlier[throughKey], H, H);
            return direct && throughH ? asMatrixAnswer(addMat(direct, throughH)) : null;
          },
          // the student's own direct term given as the total (when the direct term is asked;
          // otherwise it is the printed f_s, which the catalogued value already is)
          ...(directKey !== null ? { followThroughMistakes: { 'cell-direct-only': (earlier: Readonly<Record<string, AnswerValue | undefined>>) => earlier[directKey] ?? null } } : {}),
          solution: (x) => {
            const r = x;
            return [{
              text: `The direct term plus the paths through $h_{${t - 1}}$:`,
              math: `${dcdc(t)} = ${arithmeticLine(sum(num(r.dc_dc_prev_direct[t - 1]!), num(subMat(r.dc_dc_prev[t - 1]!, r.dc_dc_prev_direct[t - 1]!))), r.dc_dc_prev[t - 1]!, d)}`,
            }];
          },
        } : {
          solution: (x) => cellJacobianSolution(inst, x, t, d, true),
        }),
      };
    };
    parts.push(totalPart(s));
    for (let t = 2; t <= T; t++) if (t !== s) parts.push(totalPart(t));

    // with T = 2 the product is the one total already asked
    const stepsTeX = Array.from({ length: T - 1 }, (_, n) => dcdc(T - n)).join('\\,');
    const productTotalKeys = Array.from({ length: T - 1 }, (_, n) => totalKeys.get(n + 2)!);
    if (T > 2) parts.push({
      key: partKey(parts.length),
      kind,
      prompt: `the cell factor $\\prod_{t=2}^{${T}} \\frac{\\partial c_t}{\\partial c_{t-1}} = ${stepsTeX}$ (multiply in this order)`,
      symbol: `\\prod_{t=2}^{${T}} \\partial c_t/\\partial c_{t-1}`,
      answer: (x) => asMatrixAnswer(jacobianProduct(x.dc_dc_prev, 1, T)),
      calc: (conv) => asMatrixAnswer(jacobianProduct(jacobians(conv).total, 1, T, conv)),
      mistakes: [...TOTAL_MISTAKES, ...(H > 1 ? ['jacobian-product-reversed' as const] : [])],
      dependsOn: productTotalKeys,
      followThrough: (earlier) => {
        const totals = productTotalKeys.map((k) => toMatrix(earlier[k], H, H));
        if (totals.some((m) => m === null)) return null;
        return asMatrixAnswer(jacobianProduct(totals as Mat[], 0, T - 1));
      },
      ...(H > 1 ? {
        followThroughMistakes: {
          // the student's own totals multiplied earliest step on the left
          'jacobian-product-reversed': (earlier) => {
            const totals = productTotalKeys.map((k) => toMatrix(earlier[k], H, H));
            return totals.some((m) => m === null) ? null : asMatrixAnswer((totals as Mat[]).reduce((acc, m) => matMul(acc, m)));
          },
        },
      } : {}),
      solution: (x) => {
        const totals = x.dc_dc_prev;
        const product = jacobianProduct(totals, 1, T);
        const factors = Array.from({ length: T - 1 }, (_, n) => num(totals[T - 1 - n]!));
        return [{
          text: 'Multiply the per-step totals, latest first:',
          math: `\\prod_{t=2}^{${T}} \\frac{\\partial c_t}{\\partial c_{t-1}} = ${arithmeticLine(times(...factors), product, d)}`,
        }, ...trueCellJacobianSolution(inst, x, product, d)];
      },
    });

    parts.push({
      key: partKey(parts.length),
      kind,
      prompt: `the factor of the comparable RNN over the same steps, $\\prod_{j=2}^{${T}} \\frac{\\partial s_j}{\\partial s_{j-1}}$ (${T === 2 ? 'one factor' : 'latest first'})`,
      symbol: `\\prod_{j=2}^{${T}} \\partial s_j/\\partial s_{j-1}`,
      answer: () => asMatrixAnswer(jacobianProduct(rnnExact.ds_ds_prev, 1, T)),
      calc: (conv) => asMatrixAnswer(jacobianProduct(rnnJacobians(conv), 1, T, conv)),
      mistakes: [...RNN_MISTAKES, 'tanh-prime-wrong-step', ...(H > 1 && T > 2 ? ['jacobian-product-reversed' as const] : [])],
      solution: () => {
        const r = rnnExact;
        const steps: SolutionStep[] = [{
          text: 'Each step of the comparable RNN multiplies by $\\partial s_j/\\partial s_{j-1} = \\mathrm{diag}(1 - s_j^2)\\,W_{hg}$, with $W_{hg}$ alone steering it:',
          math: H === 1
            ? Array.from({ length: T - 1 }, (_, n) => {
              const j = n + 2, sj = r.s[j - 1]![0]!;
              return `\\frac{\\partial s_{${j}}}{\\partial s_{${j - 1}}} = ${arithmeticLine(times(sum(given(1), minus(squared(num(sj)))), given(inst.Whg[0]![0]!)), r.ds_ds_prev[j - 1]!, d)}`;
            }).join(',\\quad ')
            : Array.from({ length: T - 1 }, (_, n) => `\\frac{\\partial s_{${n + 2}}}{\\partial s_{${n + 1}}} = ${texMatrix(r.ds_ds_prev[n + 1]!, d)}`).join(',\\quad '),
        }, {
          math: `\\prod_{j=2}^{${T}} \\frac{\\partial s_j}{\\partial s_{j-1}} = ${T === 2 ? texMatrix(r.ds_ds_prev[1]!, d) : arithmeticLine(times(...Array.from({ length: T - 1 }, (_, n) => num(r.ds_ds_prev[T - 1 - n]!))), jacobianProduct(r.ds_ds_prev, 1, T), d)}`,
        }];
        return steps;
      },
    });

    // built only when called: rendering calls it, drawing and grading do not
    const givenLines = (): string[] => {
      const given = lstmGiven(inst);
      if (params.giveForward) {
        const fw = lstmForward(inst);
        given.push(...lstmForwardLines(fw, d));
        const states = rnnExact.s.map((v, t) => `s_{${t + 1}} = ${texVector(v, d)}`);
        for (let start = 0; start < T; start += 5) given.push(`\\text{RNN: }${states.slice(start, start + 5).join(',\\quad ')}`);
      }
      return given;
    };
    return {
      notation: LSTM_NOTATION,
      intro: `The cell-to-cell Jacobian $\\partial c_t/\\partial c_{t-1}$ (for $t \\ge 2$) holds $o_{t-1}$ fixed: ` +
        `it is the direct term $\\mathrm{diag}(f_t)$ plus the paths through $h_{t-1} = o_{t-1} \\odot \\tanh(c_{t-1})$ into $f_t$, $i_t$ and $g_t$. ` +
        `For comparison, ${COMPARABLE_RNN}.` +
        (params.giveForward ? ' The forward values of both (rounded) are given.' : ''),
      given: givenLines,
      parts,
    };
  },
};

export const lstmCellJacobianType = erase('lstm', lstmCellJacobianProblem);

/**
 * The total of docs/math.md §3.2 at step t written out (or, with `withDirect` false, only its paths
 * through h_{t−1}): scalar with every factor evaluated, vector by its diagonals.
 */
export function cellJacobianSolution(inst: LstmInstance, r: LstmSolution, t: number, d: number, withDirect: boolean): SolutionStep[] {
  const H = inst.Whf.length;
  const n = (x: number) => texNumber(x, d);
  const cPrev = r.c[t - 2]!, oPrev = r.o[t - 2]!, f = r.f[t - 1]!, i = r.i[t - 1]!, g = r.g[t - 1]!;
  const sigF = f.map((v) => v * (1 - v)), sigI = i.map((v) => v * (1 - v)), tanhG = g.map((v) => 1 - v * v);
  const tanhPrimeC = cPrev.map((c) => 1 - Math.tanh(c) ** 2);
  const dhdc: Vec = cPrev.map((_, a) => oPrev[a]! * tanhPrimeC[a]!);
  const total = r.dc_dc_prev[t - 1]!;
  const result = withDirect ? total : subMat(total, r.dc_dc_prev_direct[t - 1]!);
  const lhs = withDirect ? dcdc(t) : `${dcdc(t)} - \\left.${dcdc(t)}\\right|_{\\text{direct}}`;
  const intro: SolutionStep = {
    text: `${withDirect ? `Add to $f_{${t}}$ the` : 'The'} paths $c_{${t - 1}} \\to h_{${t - 1}} \\to f_{${t}}, i_{${t}}, g_{${t}} \\to c_{${t}}$; $o_{${t - 1}}$ does not depend on $c_{${t - 1}}$:`,
  };
  // A_t = ∂c_t/∂h_{t−1} at fixed c_{t−1}: the bracket of the scalar formula
  const throughGates = addMat(addMat(scaleRows(hadamard(cPrev, sigF), inst.Whf), scaleRows(hadamard(g, sigI), inst.Whi)), scaleRows(hadamard(i, tanhG), inst.Whg));
  if (H === 1) {
    const w = (name: 'Whf' | 'Whi' | 'Whg') => given(inst[name][0]![0]!);
    const fPlus = (term: string) => (withDirect ? `${term} + ` : '');
    const bracketSum = sum(times(num(cPrev), num(sigF), w('Whf')), times(num(g), num(sigI), w('Whi')), times(num(i), num(tanhG), w('Whg')));
    const paths = times(num(dhdc), num(throughGates));
    return [
      intro,
      { math: `${lhs} = ${fPlus(`f_{${t}}`)}o_{${t - 1}}\\,(1 - \\tanh^2 c_{${t - 1}})\\,\\big[\\,c_{${t - 1}}\\,\\sigma'(a^f_{${t}})\\,W_{hf} + g_{${t}}\\,\\sigma'(a^i_{${t}})\\,W_{hi} + i_{${t}}\\tanh'(a^g_{${t}})\\,W_{hg}\\,\\big]` },
      { text: `with $\\sigma'(a^f_{${t}}) = f_{${t}}(1 - f_{${t}}) = ${n(sigF[0]!)}$, $\\sigma'(a^i_{${t}}) = i_{${t}}(1 - i_{${t}}) = ${n(sigI[0]!)}$, $\\tanh'(a^g_{${t}}) = 1 - g_{${t}}^2 = ${n(tanhG[0]!)}$, $1 - \\tanh^2 c_{${t - 1}} = ${n(tanhPrimeC[0]!)}$:` },
      { math: `o_{${t - 1}}\\,(1 - \\tanh^2 c_{${t - 1}}) = ${arithmeticLine(times(num(oPrev), num(tanhPrimeC)), dhdc, d)}` },
      { math: `c_{${t - 1}}\\,\\sigma'(a^f_{${t}})\\,W_{hf} + g_{${t}}\\,\\sigma'(a^i_{${t}})\\,W_{hi} + i_{${t}}\\tanh'(a^g_{${t}})\\,W_{hg} = ${arithmeticLine(bracketSum, throughGates, d)}` },
      { math: `${lhs} = ${arithmeticLine(withDirect ? sum(num(f), paths) : paths, result, d)}` },
    ];
  }
  const paths = times(num(throughGates), num(diag(dhdc)));
  return [
    intro,
    { math: `${lhs} = ${withDirect ? `\\mathrm{diag}(f_{${t}}) + ` : ''}\\big[\\mathrm{diag}(c_{${t - 1}} \\odot \\sigma'(a^f_{${t}}))\\,W_{hf} + \\mathrm{diag}(g_{${t}} \\odot \\sigma'(a^i_{${t}}))\\,W_{hi} + \\mathrm{diag}(i_{${t}} \\odot \\tanh'(a^g_{${t}}))\\,W_{hg}\\big]\\,\\mathrm{diag}(o_{${t - 1}} \\odot (1 - \\tanh^2 c_{${t - 1}}))` },
    { text: 'with the diagonals', math: `c_{${t - 1}} \\odot \\sigma'(a^f_{${t}}) = ${texVector(hadamard(cPrev, sigF), d)},\\quad g_{${t}} \\odot \\sigma'(a^i_{${t}}) = ${texVector(hadamard(g, sigI), d)},\\quad i_{${t}} \\odot \\tanh'(a^g_{${t}}) = ${texVector(hadamard(i, tanhG), d)},\\quad o_{${t - 1}} \\odot (1 - \\tanh^2 c_{${t - 1}}) = ${texVector(dhdc, d)}` },
    { text: `the bracket (the paths from $h_{${t - 1}}$ into the gates, $c_{${t - 1}}$ held)`, math: arithmeticLine(sum(num(scaleRows(hadamard(cPrev, sigF), inst.Whf)), num(scaleRows(hadamard(g, sigI), inst.Whi)), num(scaleRows(hadamard(i, tanhG), inst.Whg))), throughGates, d) },
    { math: `${lhs} = ${arithmeticLine(withDirect ? sum(num(diag(f)), paths) : paths, result, d)}` },
  ];
}

/**
 * Beside the product of the per-step totals (T ≥ 3): what that product is, and the true
 * ∂c_T/∂c_1 through the state (c_t, h_t) (`lstmCellAcrossSteps`, docs/math.md §3.4), step by step.
 */
function trueCellJacobianSolution(inst: LstmInstance, r: LstmSolution, product: Mat, d: number): SolutionStep[] {
  const H = inst.Whf.length, T = r.c.length;
  const across = lstmCellAcrossSteps(inst, r);
  const dd = (of: string, t: number | string) => `\\frac{\\partial ${of}_{${t}}}{\\partial c_1}`;
  const trueJacobian = across.dc[T - 1]!;
  const steps: SolutionStep[] = [{
    text: `This product is not $\\partial c_{${T}}/\\partial c_1$. Each total $\\partial c_t/\\partial c_{t-1}$ holds $o_{t-1}$ fixed — right for one step, since $o_{t-1}$ is computed from $h_{t-2}$ before $c_{t-1}$ — ` +
      `so the product leaves out the paths $c_{t-1} \\to h_{t-1} \\to o_t \\to h_t$ (on into the gates of step $t+1$), which skip $c_t$: here ${Array.from({ length: T - 2 }, (_, n) => `$c_{${n + 1}} \\to h_{${n + 1}} \\to o_{${n + 2}} \\to h_{${n + 2}} \\to c_{${n + 3}}$`).join(', ')}${T > 3 ? ', and longer ones' : ''}. ` +
      `The true $\\partial c_{${T}}/\\partial c_1$ carries the whole state $(c_t, h_t)$ forward from $\\partial c_1/\\partial c_1 = ${H === 1 ? '1' : 'I'}$ and $\\partial h_1/\\partial c_1 = ${H === 1 ? 'o_1(1 - m_1^2)' : '\\mathrm{diag}(o_1 \\odot (1 - m_1^2))'}$:`,
    math: H === 1
      ? `${dd('c', 't')} = f_t\\,${dd('c', 't-1')} + A_t\\,${dd('h', 't-1')},\\qquad ${dd('h', 't')} = m_t\\,\\sigma'(a^o_t)\\,W_{ho}\\,${dd('h', 't-1')} + o_t(1 - m_t^2)\\,${dd('c', 't')}`
      : `${dd('c', 't')} = \\mathrm{diag}(f_t)\\,${dd('c', 't-1')} + A_t\\,${dd('h', 't-1')},\\qquad ${dd('h', 't')} = \\mathrm{diag}(m_t \\odot \\sigma'(a^o_t))\\,W_{ho}\\,${dd('h', 't-1')} + \\mathrm{diag}(o_t \\odot (1 - m_t^2))\\,${dd('c', 't')}`,
  }, {
    text: H === 1
      ? 'with $A_t = c_{t-1}\\,\\sigma\'(a^f_t)\\,W_{hf} + g_t\\,\\sigma\'(a^i_t)\\,W_{hi} + i_t\\tanh\'(a^g_t)\\,W_{hg}$, the paths from $h_{t-1}$ into the gates with $c_{t-1}$ held (the bracket above):'
      : 'with $A_t = \\mathrm{diag}(c_{t-1} \\odot \\sigma\'(a^f_t))\\,W_{hf} + \\mathrm{diag}(g_t \\odot \\sigma\'(a^i_t))\\,W_{hi} + \\mathrm{diag}(i_t \\odot \\tanh\'(a^g_t))\\,W_{hg}$, the paths from $h_{t-1}$ into the gates with $c_{t-1}$ held:',
    math: `${dd('h', 1)} = ${H === 1 ? arithmeticLine(times(num(r.o[0]!), sum(given(1), minus(squared(num(r.m[0]!))))), across.dh[0]!, d) : texMatrix(across.dh[0]!, d)}`,
  }];
  for (let t = 2; t <= T; t++) {
    const n = t - 1;
    const A = across.throughH[n - 1]!, B = across.outputGate[n - 1]!;
    if (H === 1) {
      const dcPrev: Arith = t === 2 ? given(1) : num(across.dc[n - 1]!);
      steps.push({ math: `A_{${t}} = ${texNumber(A[0]![0]!, d)},\\quad m_{${t}}\\,\\sigma'(a^o_{${t}})\\,W_{ho} = ${texNumber(B[0]![0]!, d)},\\quad o_{${t}}(1 - m_{${t}}^2) = ${texNumber(across.hPerC[n]![0]!, d)}` });
      steps.push({ math: `${dd('c', t)} = ${arithmeticLine(sum(times(num(r.f[t - 1]!), dcPrev), times(num(A), num(across.dh[n - 1]!))), across.dc[n]!, d)}` });
      if (t < T) steps.push({ math: `${dd('h', t)} = ${arithmeticLine(sum(times(num(B), num(across.dh[n - 1]!)), times(num(across.hPerC[n]!), num(across.dc[n]!))), across.dh[n]!, d)}` });
    } else {
      steps.push({ math: `${dd('c', t)} = ${texMatrix(across.dc[n]!, d)}${t < T ? `,\\quad ${dd('h', t)} = ${texMatrix(across.dh[n]!, d)}` : ''}` });
    }
  }
  const difference = subMat(trueJacobian, product);
  steps.push({
    text: `So $\\partial c_{${T}}/\\partial c_1 = ${texMatrix(trueJacobian, d)}$, against the product of the totals, $${texMatrix(product, d)}$. ` +
      `The difference, $${texMatrix(difference, d)}$, is what the paths through the output gates carry; the product of the totals is $\\partial c_{${T}}/\\partial c_1$ only when they carry nothing (for instance with $W_{ho} = 0$).`,
  });
  return steps;
}

function subMat(a: Mat, b: Mat): Mat {
  return a.map((row, i) => row.map((v, j) => v - b[i]![j]!));
}

function scaleRows(v: Vec, m: Mat): Mat {
  return m.map((row, a) => row.map((x) => v[a]! * x));
}
