/**
 * gru.forward — the forward pass of docs/math.md §5 by hand: for each step t the reset gate r_t,
 * the update gate z_t, the candidate n_t and the state h_t; then ŷ_T and the loss.
 * Mistakes (generator 2): h_t under the other update convention and (H > 1) n_t with the reset
 * gate after W_hn, the forward pass recomputed under it.
 * Follow-through: r_t and z_t from the student's h_{t−1}; n_t from their r_t and h_{t−1}; h_t
 * from their z_t, n_t and h_{t−1}; ŷ_T from their h_T; the loss L_T from their ŷ_T.
 */
import { z } from 'zod';
import { dims, type GruGate, type GruInstance } from '../models/instance.js';
import { addVec, hadamard, matVec, sigmoid } from '../models/linalg.js';
import { gruForward, type GruSolution } from '../models/gru.js';
import { asVectorAnswer, partKey, perConvention, toVector, vectorKind } from './common.js';
import { arithmeticLine, given, num, sum, times } from './arithmetic.js';
import { texNumber, texVector } from './format.js';
import { lstmLossSentence } from './lstm-params.js';
import { GRU_NOTATION, drawGru, gruGiven, gruParamsShape } from './gru-params.js';
import { erase } from './erase.js';
import { outputAndLossParts } from './gated-output.js';
import type { MistakeId } from './mistakes.js';
import type { AnswerValue, PartSpec, ProblemType, SolutionStep } from './types.js';

export const gruForwardParams = z.object({
  ...gruParamsShape,
  /** four parts a step: two steps by default, at most five */
  steps: z.number().int().min(1).max(5).default(2),
}).strict();
export type GruForwardParams = z.infer<typeof gruForwardParams>;

const GATE_NAMES: Record<GruGate, string> = { r: 'reset gate', z: 'update gate', n: 'candidate state' };


/** r_t or z_t from a previous state: σ(W_xG x_t + W_hG h + b_G). */
function gateFrom(inst: GruInstance, gate: 'r' | 'z', t: number, hPrev: readonly number[]): number[] {
  return addVec(addVec(matVec(inst[`Wx${gate}`], inst.x[t - 1]!), matVec(inst[`Wh${gate}`], hPrev as number[])), inst[`b${gate}`]).map(sigmoid);
}

/** n_t from r_t and h_{t−1}: tanh(W_xn x_t + W_hn (r_t ⊙ h_{t−1}) + b_n), or with the reset gate after W_hn (the mistake). */
function candidateFrom(inst: GruInstance, t: number, r: readonly number[], hPrev: readonly number[], resetAfter = false): number[] {
  const recurrent = resetAfter ? hadamard(r as number[], matVec(inst.Whn, hPrev as number[])) : matVec(inst.Whn, hadamard(r as number[], hPrev as number[]));
  return addVec(addVec(matVec(inst.Wxn, inst.x[t - 1]!), recurrent), inst.bn).map(Math.tanh);
}

export const gruForwardProblem: ProblemType<GruForwardParams, GruInstance> = {
  id: 'gru.forward',
  title: 'GRU forward pass',
  summary: 'Reset gate r_t, update gate z_t, candidate n_t and state h_t of a small GRU step by step, then ŷ_T and the loss.',
  params: gruForwardParams,
  generate: drawGru,
  build(inst, _params, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const scalar = H === 1 && D === 1;
    const forward = perConvention((conv) => gruForward(inst, conv));
    const parts: PartSpec<GruSolution>[] = [];
    const keys: Record<string, string> = {};
    // the GRU's own conventions, each on the part where it is made (n_t: the reset gate's place,
    // which only matters for H > 1, since for a scalar r (W_hn h) = W_hn (r h); h_t: the update),
    // its value the forward pass recomputed under it. Carried on into later parts, a mistake is
    // credited there by follow-through (n_t from the student's h_{t−1}, h_t from their n_t), so it
    // is not listed there: n_t may hardly depend on h_{t−1}, and listing it would only cost redraws.
    const resetMistakes: MistakeId[] = H > 1 ? ['gru-reset-after'] : [];
    const n = (x: number) => texNumber(x, d);
    const prevState = (earlier: Readonly<Record<string, AnswerValue | undefined>>, t: number) =>
      t === 1 ? inst.h0 : toVector(earlier[keys[`h${t - 1}`]!], H);

    for (let t = 1; t <= T; t++) {
      const hPrevKey = t > 1 ? keys[`h${t - 1}`]! : null;
      for (const gate of ['r', 'z'] as const) {
        const key = partKey(parts.length);
        keys[`${gate}${t}`] = key;
        parts.push({
          key,
          kind: vectorKind(H),
          prompt: `the ${GATE_NAMES[gate]} $${gate}_{${t}}$`,
          symbol: `${gate}_{${t}}`,
          answer: (s) => asVectorAnswer(s[gate][t - 1]!),
          calc: (conv) => asVectorAnswer(forward(conv)[gate][t - 1]!),
          ...(hPrevKey ? {
            dependsOn: [hPrevKey],
            followThrough: (earlier) => {
              const hPrev = toVector(earlier[hPrevKey], H);
              return hPrev ? asVectorAnswer(gateFrom(inst, gate, t, hPrev)) : null;
            },
          } : {}),
          solution: (s) => gateSolution(inst, s, gate, t, d, scalar),
        });
      }
      const nKey = partKey(parts.length);
      keys[`n${t}`] = nKey;
      const rKey = keys[`r${t}`]!;
      parts.push({
        key: nKey,
        kind: vectorKind(H),
        prompt: `the ${GATE_NAMES.n} $n_{${t}}$`,
        symbol: `n_{${t}}`,
        answer: (s) => asVectorAnswer(s.n[t - 1]!),
        calc: (conv) => asVectorAnswer(forward(conv).n[t - 1]!),
        mistakes: resetMistakes,
        dependsOn: [rKey, ...(hPrevKey ? [hPrevKey] : [])],
        followThrough: (earlier) => {
          const r = toVector(earlier[rKey], H), hPrev = prevState(earlier, t);
          return r && hPrev ? asVectorAnswer(candidateFrom(inst, t, r, hPrev)) : null;
        },
        ...(H > 1 ? {
          // the reset gate after W_hn, from the student's own r_t and h_{t−1}
          followThroughMistakes: {
            'gru-reset-after': (earlier: Readonly<Record<string, AnswerValue | undefined>>) => {
              const r = toVector(earlier[rKey], H), hPrev = prevState(earlier, t);
              return r && hPrev ? asVectorAnswer(candidateFrom(inst, t, r, hPrev, true)) : null;
            },
          },
        } : {}),
        solution: (s) => gateSolution(inst, s, 'n', t, d, scalar),
      });
      const hKey = partKey(parts.length);
      keys[`h${t}`] = hKey;
      const zKey = keys[`z${t}`]!;
      parts.push({
        key: hKey,
        kind: vectorKind(H),
        prompt: `the state $h_{${t}}$`,
        symbol: `h_{${t}}`,
        answer: (s) => asVectorAnswer(s.h[t - 1]!),
        calc: (conv) => asVectorAnswer(forward(conv).h[t - 1]!),
        mistakes: ['gru-update-swapped'],
        dependsOn: [zKey, nKey, ...(hPrevKey ? [hPrevKey] : [])],
        followThrough: (earlier) => {
          const zt = toVector(earlier[zKey], H), nt = toVector(earlier[nKey], H), hPrev = prevState(earlier, t);
          return zt && nt && hPrev ? asVectorAnswer(hPrev.map((h, a) => zt[a]! * h + (1 - zt[a]!) * nt[a]!)) : null;
        },
        // the other update convention, from the student's own z_t, n_t and h_{t−1}
        followThroughMistakes: {
          'gru-update-swapped': (earlier) => {
            const zt = toVector(earlier[zKey], H), nt = toVector(earlier[nKey], H), hPrev = prevState(earlier, t);
            return zt && nt && hPrev ? asVectorAnswer(hPrev.map((h, a) => (1 - zt[a]!) * h + zt[a]! * nt[a]!)) : null;
          },
        },
        solution: (s) => {
          const hPrev = t === 1 ? inst.h0 : s.h[t - 2]!;
          // h_0 is given; h_{t−1} is the student's previous answer
          const hTerm = t === 1 ? given(hPrev) : num(hPrev);
          const zt = s.z[t - 1]!, nt = s.n[t - 1]!;
          if (H === 1) {
            return [{
              text: 'The update gate keeps part of the old state and lets in the rest from the candidate:',
              math: `h_{${t}} = z_{${t}}\\, h_{${t - 1}} + (1 - z_{${t}})\\, n_{${t}} = ${arithmeticLine(sum(times(num(zt), hTerm), times(num(1 - zt[0]!), num(nt))), s.h[t - 1]!, d)}`,
            }];
          }
          return [{
            text: 'The update gate keeps part of the old state and lets in the rest from the candidate (entry by entry):',
            math: `h_{${t}} = z_{${t}} \\odot h_{${t - 1}} + (1 - z_{${t}}) \\odot n_{${t}} = ${arithmeticLine(sum(num(hadamard(zt, hPrev)), num(hadamard(zt.map((v) => 1 - v), nt))), s.h[t - 1]!, d)}`,
          }];
        },
      });
    }

    parts.push(...outputAndLossParts<GruSolution>(inst, { T, H, K, digits: d, before: parts.length, hTKey: keys[`h${T}`]!, forward }));

    return {
      notation: GRU_NOTATION,
      intro: `${lstmLossSentence(inst)} Compute the forward pass${T > 1 ? `, step by step for $t = 1, \\dots, ${T}$` : ''}.`,
      given: () => gruGiven(inst),
      parts,
    };
  },
};

export const gruForwardType = erase('gru', gruForwardProblem);

/** A gate's worked step: its pre-activation (numbers substituted in the scalar case), then σ or tanh. */
function gateSolution(inst: GruInstance, s: GruSolution, gate: GruGate, t: number, d: number, scalar: boolean): SolutionStep[] {
  const pre = s[`a${gate}`][t - 1]!;
  const hPrev = t === 1 ? inst.h0 : s.h[t - 2]!;
  const act = gate === 'n' ? '\\tanh' : '\\sigma';
  const sym = `a^{${gate}}_{${t}}`;
  // the weights, x_t and h_0 are given; h_{t−1} and r_t are the student's earlier answers
  const stateVec = gate === 'n' ? hadamard(s.r[t - 1]!, hPrev) : hPrev;
  const stateTex = gate === 'n' ? `(r_{${t}} \\odot h_{${t - 1}})` : `h_{${t - 1}}`;
  const state = gate === 'n' ? times(num(s.r[t - 1]![0]!), t === 1 ? given(hPrev[0]!) : num(hPrev[0]!)) : (t === 1 ? given(hPrev) : num(hPrev));
  const formula = `${sym} = W_{x${gate}} x_{${t}} + W_{h${gate}} ${stateTex} + b_${gate}`;
  const first: SolutionStep = scalar
    ? { math: `${formula} = ${arithmeticLine(sum(times(given(inst[`Wx${gate}`][0]![0]!), given(inst.x[t - 1]![0]!)), times(given(inst[`Wh${gate}`][0]![0]!), state), given(inst[`b${gate}`][0]!)), pre, d)}` }
    : { math: `${formula} = ${arithmeticLine(sum(num(matVec(inst[`Wx${gate}`], inst.x[t - 1]!)), num(matVec(inst[`Wh${gate}`], stateVec)), given(inst[`b${gate}`])), pre, d)}` };
  return [first, { math: `${gate}_{${t}} = ${act}(${sym}) = ${texVector(s[gate][t - 1]!, d)}` }];
}
