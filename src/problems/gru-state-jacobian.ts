/**
 * gru.state-jacobian — the GRU's state-to-state Jacobian of docs/math.md §5.2:
 * - at a step s: the direct term diag(z_s) (asked only of a scalar GRU whose forward values are not
 *   printed: otherwise it is printed, or has entries 0),
 *   the path through the update gate, diag((h_{s−1} − n_s) ⊙ σ'(a^z_s)) W_hz, the path through the
 *   candidate, diag((1 − z_s) ⊙ tanh'(a^n_s)) W_hn [diag(r_s) + diag(h_{s−1} ⊙ σ'(a^r_s)) W_hr]
 *   (r_s held fixed, and through the reset gate), and their sum, the total;
 * - the total at every other step t = 1..T, and (T ≥ 2) their product ∏_{t=1}^{T} ∂h_t/∂h_{t−1}
 *   (latest step on the left), which for the GRU is the true ∂h_T/∂h_0: h_t is its whole state.
 * Mistakes (generator 2): every part under the other update convention; the candidate path, the
 * totals and the product (H > 1) with the reset gate after W_hn; the totals and the product with
 * ∂h_t/∂h_{t−1} taken as diag(z_t) alone.
 * Follow-through: the total at s from the student's direct term (or the exact z_s, printed rounded)
 * and paths; the product from the student's own per-step totals.
 */
import { z } from 'zod';
import { dims, type GruInstance, type Mat } from '../models/instance.js';
import { addMat, diag, matMul } from '../models/linalg.js';
import { gruForward, gruStateJacobians, type GruSolution } from '../models/gru.js';
import { jacobianProduct } from '../models/rnn.js';
import { EXACT } from '../models/convention.js';
import { asMatrixAnswer, matrixKind, partKey, perConvention, toMatrix } from './common.js';
import { arithmeticLine, num, sum, times } from './arithmetic.js';
import { texMatrix, texVector } from './format.js';
import { GRU_NOTATION, drawGru, gruGiven, gruGivenWithForward, gruParamsShape } from './gru-params.js';
import { erase } from './erase.js';
import type { MistakeId } from './mistakes.js';
import type { AnswerValue, PartSpec, ProblemType, SolutionStep } from './types.js';

export const gruStateJacobianParams = z.object({
  ...gruParamsShape,
  /** each step adds a part */
  steps: z.number().int().min(1).max(6).default(3),
  /** the step s of the direct, path and first total parts; default T */
  step: z.number().int().min(1).max(6).optional(),
  /** print r_t, z_t, n_t, h_t so the question is about the Jacobian alone */
  giveForward: z.boolean().default(true),
}).strict().refine((p) => p.step === undefined || p.step <= p.steps, { message: 'should be at most steps', path: ['step'] });
export type GruStateJacobianParams = z.infer<typeof gruStateJacobianParams>;

const dhdh = (t: number) => `\\dfrac{\\partial h_{${t}}}{\\partial h_{${t - 1}}}`;

export const gruStateJacobianProblem: ProblemType<GruStateJacobianParams, GruInstance> = {
  id: 'gru.state-jacobian',
  title: 'The GRU state Jacobian ∂h_t/∂h_{t−1}',
  summary: 'Direct (z_t), the paths through the update gate and the candidate, the total ∂h_t/∂h_{t−1}, and their product over the steps.',
  params: gruStateJacobianParams,
  generate: drawGru,
  build(inst, params, style) {
    const { T, H } = dims(inst);
    const s = params.step ?? T;
    const d = style.digits;
    const kind = matrixKind(H, H);
    // with the forward values printed, a student who holds a wrong GRU convention still starts
    // from the printed r_t, z_t, n_t, h_t: only the Jacobian is taken under it
    const forward = perConvention((conv) => gruForward(inst, params.giveForward && conv.gru !== EXACT.gru ? { ...conv, gru: EXACT.gru } : conv));
    const jacobians = perConvention((conv) => gruStateJacobians(inst, forward(conv), conv));
    const exact = gruStateJacobians(inst, gruForward(inst));
    const parts: PartSpec<GruSolution>[] = [];
    // the GRU's conventions (generator 2): the other update convention on every part; the reset
    // gate after W_hn where it can change the value (H > 1: for a scalar r (W_hn h) = W_hn (r h)
    // and r σ'(a^r) W_hn h W_hr = W_hn h σ'(a^r) r W_hr); the direct term alone on the totals
    const swapped: MistakeId[] = ['gru-update-swapped'];
    const candidateMistakes: MistakeId[] = [...swapped, ...(H > 1 ? ['gru-reset-after' as const] : [])];
    const totalMistakes: MistakeId[] = [...candidateMistakes, 'gru-direct-only'];
    const hPrevOf = (x: GruSolution, t: number) => (t === 1 ? inst.h0 : x.h[t - 2]!);

    // with the forward values printed the direct term is the printed z_s (a free point), and for
    // H > 1 its off-diagonal entries are 0 (free points too): it is asked only of a scalar GRU
    // whose forward values are not printed
    const directKey = params.giveForward || H > 1 ? null : partKey(parts.length);
    if (directKey !== null) parts.push({
      key: directKey,
      kind,
      prompt: `the direct term $\\left.${dhdh(s)}\\right|_{\\text{direct}}$ (the carry path $z_{${s}} \\odot h_{${s - 1}}$ alone)`,
      symbol: `\\partial h_{${s}}/\\partial h_{${s - 1}}|_{\\text{direct}}`,
      answer: (x) => asMatrixAnswer(x.dh_dh_prev_direct[s - 1]!),
      calc: (conv) => asMatrixAnswer(jacobians(conv).direct[s - 1]!),
      mistakes: swapped,
      solution: (x) => [{
        text: `Along the carry path only the update gate multiplies:`,
        math: `\\left.${dhdh(s)}\\right|_{\\text{direct}} = \\mathrm{diag}(z_{${s}}) = ${texMatrix(diag(x.z[s - 1]!), d)}`,
      }],
    });

    const zKey = partKey(parts.length);
    parts.push({
      key: zKey,
      kind,
      prompt: `the path through the update gate, $\\mathrm{diag}\\bigl((h_{${s - 1}} - n_{${s}}) \\odot \\sigma'(a^z_{${s}})\\bigr)\\,W_{hz}$`,
      symbol: `\\partial h_{${s}}/\\partial h_{${s - 1}}|_{z}`,
      answer: () => asMatrixAnswer(exact.viaZ[s - 1]!),
      calc: (conv) => asMatrixAnswer(jacobians(conv).viaZ[s - 1]!),
      mistakes: swapped,
      solution: (x) => {
        const zt = x.z[s - 1]!, scale = hPrevOf(x, s).map((h, a) => (h - x.n[s - 1]![a]!) * zt[a]! * (1 - zt[a]!));
        return [
          { text: `With $\\sigma'(a^z_{${s}}) = z_{${s}}(1 - z_{${s}})$:`, math: `(h_{${s - 1}} - n_{${s}}) \\odot \\sigma'(a^z_{${s}}) = ${texVector(scale, d)}` },
          { math: `\\mathrm{diag}\\bigl((h_{${s - 1}} - n_{${s}}) \\odot \\sigma'(a^z_{${s}})\\bigr)\\,W_{hz} = ${texMatrix(exact.viaZ[s - 1]!, d)}` },
        ];
      },
    });

    const nKey = partKey(parts.length);
    const candidate = (j: { viaN: Mat[]; viaR: Mat[] }) => addMat(j.viaN[s - 1]!, j.viaR[s - 1]!);
    parts.push({
      key: nKey,
      kind,
      prompt: `the path through the candidate, $\\mathrm{diag}\\bigl((1 - z_{${s}}) \\odot \\tanh'(a^n_{${s}})\\bigr)\\,W_{hn}\\bigl[\\mathrm{diag}(r_{${s}}) + \\mathrm{diag}\\bigl(h_{${s - 1}} \\odot \\sigma'(a^r_{${s}})\\bigr)\\,W_{hr}\\bigr]$`,
      symbol: `\\partial h_{${s}}/\\partial h_{${s - 1}}|_{n}`,
      answer: () => asMatrixAnswer(candidate(exact)),
      calc: (conv) => asMatrixAnswer(candidate(jacobians(conv))),
      mistakes: candidateMistakes,
      solution: (x) => {
        const zt = x.z[s - 1]!, nt = x.n[s - 1]!, rt = x.r[s - 1]!, hPrev = hPrevOf(x, s);
        const left = zt.map((v, a) => (1 - v) * (1 - nt[a]! * nt[a]!));
        const resetScale = hPrev.map((h, a) => h * rt[a]! * (1 - rt[a]!));
        return [
          { text: `With $\\tanh'(a^n_{${s}}) = 1 - n_{${s}}^2$ and $\\sigma'(a^r_{${s}}) = r_{${s}}(1 - r_{${s}})$:`,
            math: `(1 - z_{${s}}) \\odot \\tanh'(a^n_{${s}}) = ${texVector(left, d)},\\quad h_{${s - 1}} \\odot \\sigma'(a^r_{${s}}) = ${texVector(resetScale, d)}` },
          { text: `The candidate with $r_{${s}}$ held fixed, and through the reset gate:`,
            math: arithmeticLine(sum(num(exact.viaN[s - 1]!), num(exact.viaR[s - 1]!)), candidate(exact), d) },
        ];
      },
    });

    const totalKeys = new Map<number, string>();
    const totalPart = (t: number): PartSpec<GruSolution> => {
      const key = partKey(parts.length);
      totalKeys.set(t, key);
      const base = {
        key,
        kind,
        prompt: `the total $${dhdh(t)}$`,
        symbol: `\\partial h_{${t}}/\\partial h_{${t - 1}}`,
        answer: (x: GruSolution) => asMatrixAnswer(x.dh_dh_prev[t - 1]!),
        calc: (conv: Parameters<NonNullable<PartSpec['calc']>>[0]) => asMatrixAnswer(jacobians(conv).total[t - 1]!),
        mistakes: totalMistakes,
      };
      if (t === s) {
        return {
          ...base,
          dependsOn: directKey !== null ? [directKey, zKey, nKey] : [zKey, nKey],
          followThrough: (earlier) => {
            const direct = directKey !== null ? toMatrix(earlier[directKey], H, H) : exact.direct[s - 1]!;
            const viaZ = toMatrix(earlier[zKey], H, H), viaN = toMatrix(earlier[nKey], H, H);
            return direct && viaZ && viaN ? asMatrixAnswer(addMat(addMat(direct, viaZ), viaN)) : null;
          },
          solution: (x) => [{
            text: 'The direct term plus the paths through the update gate and the candidate:',
            math: `${dhdh(t)} = ${arithmeticLine(sum(num(exact.direct[t - 1]!), num(exact.viaZ[t - 1]!), num(candidate(exact))), x.dh_dh_prev[t - 1]!, d)}`,
          }],
        };
      }
      return {
        ...base,
        solution: (x) => totalSolution(x, exact, t, d),
      };
    };
    parts.push(totalPart(s));
    for (let t = 1; t <= T; t++) if (t !== s) parts.push(totalPart(t));

    if (T >= 2) {
      const stepsTeX = Array.from({ length: T }, (_, n) => dhdh(T - n)).join('\\,');
      const productKeys = Array.from({ length: T }, (_, n) => totalKeys.get(n + 1)!);
      parts.push({
        key: partKey(parts.length),
        kind,
        prompt: `the product $\\prod_{t=1}^{${T}} \\frac{\\partial h_t}{\\partial h_{t-1}} = ${stepsTeX}$ (multiply in this order), which is $\\partial h_{${T}}/\\partial h_0$`,
        symbol: `\\prod_{t=1}^{${T}} \\partial h_t/\\partial h_{t-1}`,
        answer: (x) => asMatrixAnswer(jacobianProduct(x.dh_dh_prev, 0, T)),
        calc: (conv) => asMatrixAnswer(jacobianProduct(jacobians(conv).total, 0, T, conv)),
        mistakes: [...(H > 1 ? ['jacobian-product-reversed' as const] : []), ...totalMistakes],
        dependsOn: productKeys,
        followThrough: (earlier) => {
          const totals = productKeys.map((k) => toMatrix(earlier[k], H, H));
          return totals.some((m) => m === null) ? null : asMatrixAnswer(jacobianProduct(totals as Mat[], 0, T));
        },
        ...(H > 1 ? {
          followThroughMistakes: {
            'jacobian-product-reversed': (earlier: Readonly<Record<string, AnswerValue | undefined>>) => {
              const totals = productKeys.map((k) => toMatrix(earlier[k], H, H));
              return totals.some((m) => m === null) ? null : asMatrixAnswer((totals as Mat[]).reduce((acc, m) => matMul(acc, m)));
            },
          },
        } : {}),
        solution: (x) => [{
          text: 'Multiply the per-step totals, latest first:',
          math: `\\prod_{t=1}^{${T}} \\frac{\\partial h_t}{\\partial h_{t-1}} = ${arithmeticLine(times(...Array.from({ length: T }, (_, n) => num(x.dh_dh_prev[T - 1 - n]!))), jacobianProduct(x.dh_dh_prev, 0, T), d)}`,
        }],
      });
    }

    const givenLines = (): string[] => (params.giveForward ? gruGivenWithForward(inst, d, false) : gruGiven(inst));
    return {
      notation: GRU_NOTATION,
      intro: `The state-to-state Jacobian $\\partial h_t/\\partial h_{t-1}$ is the direct term $\\mathrm{diag}(z_t)$ (the carry path) ` +
        'plus the paths through the update gate and through the candidate (the candidate with the reset gate held fixed, and through the reset gate).' +
        (params.giveForward ? ' The forward values (rounded) are given.' : ''),
      given: givenLines,
      parts,
    };
  },
};

export const gruStateJacobianType = erase('gru', gruStateJacobianProblem);

/** A total at a step other than s: the formula, then its value. */
function totalSolution(x: GruSolution, exact: ReturnType<typeof gruStateJacobians>, t: number, d: number): SolutionStep[] {
  return [{
    text: `At step ${t}: $\\mathrm{diag}(z_{${t}})$ plus the path through the update gate plus the path through the candidate:`,
    math: `${dhdh(t)} = ${arithmeticLine(sum(num(exact.direct[t - 1]!), num(exact.viaZ[t - 1]!), num(addMat(exact.viaN[t - 1]!, exact.viaR[t - 1]!))), x.dh_dh_prev[t - 1]!, d)}`,
  }];
}
