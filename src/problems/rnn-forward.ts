/**
 * rnn.forward — the forward pass of docs/math.md §2 by hand: s_1 … s_T, o_T and the loss.
 * Follow-through: each s_t from the student's s_{t−1}, o_T from their s_T, the loss from their o_T.
 */
import { dims, type RnnInstance } from '../models/instance.js';
import { addVec, matVec } from '../models/linalg.js';
import { rnnForward, type RnnSolution } from '../models/rnn.js';
import { RNN_NOTATION, asVectorAnswer, lossSentence, lossSymbol, partKey, perConvention, rnnGiven, toVector, vectorKind } from './common.js';
import { arithmeticLine, given, num, sum, times } from './arithmetic.js';
import { texVector } from './format.js';
import { drawRnn, rnnParams, type RnnParams } from './params.js';
import { erase } from './erase.js';
import { halfSquaredError } from './gated-output.js';
import type { PartSpec, ProblemType } from './types.js';


export const rnnForwardProblem: ProblemType<RnnParams, RnnInstance> = {
  id: 'rnn.forward',
  title: 'RNN forward pass',
  summary: 'States s_1…s_T, output o_T and the loss of a small RNN, step by step.',
  params: rnnParams,
  generate: drawRnn,
  build(inst, _params, style) {
    const { T, H, K } = dims(inst);
    const d = style.digits;
    const parts: PartSpec<RnnSolution>[] = [];
    const forward = perConvention((conv) => rnnForward(inst, conv));
    for (let t = 1; t <= T; t++) {
      const prevKey = t > 1 ? partKey(t - 2) : null;
      parts.push({
        key: partKey(t - 1),
        kind: vectorKind(H),
        prompt: `$s_{${t}}$`,
        symbol: `s_{${t}}`,
        answer: (s) => asVectorAnswer(s.s[t - 1]!),
        calc: (conv) => asVectorAnswer(forward(conv).s[t - 1]!),
        mistakes: ['forward-no-activation'],
        ...(prevKey ? {
          dependsOn: [prevKey],
          followThrough: (earlier) => {
            const prev = toVector(earlier[prevKey], H);
            return prev ? asVectorAnswer(addVec(addVec(matVec(inst.U, inst.x[t - 1]!), matVec(inst.W, prev)), inst.b).map(Math.tanh)) : null;
          },
          followThroughMistakes: {
            // θ_t from the student's own s_{t−1}, with no tanh after it
            'forward-no-activation': (earlier) => {
              const prev = toVector(earlier[prevKey], H);
              return prev ? asVectorAnswer(addVec(addVec(matVec(inst.U, inst.x[t - 1]!), matVec(inst.W, prev)), inst.b)) : null;
            },
          },
        } : {}),
        solution: (s) => {
          const r = s;
          const prev = t === 1 ? inst.s0 : r.s[t - 2]!;
          // s_0 is given; s_{t−1} is the student's own previous answer, at the sheet's figures
          const state = t === 1 ? given(prev) : num(prev);
          const x = inst.x[t - 1]!;
          const terms = H === 1 && x.length === 1
            ? sum(times(given(inst.U[0]![0]!), given(x[0]!)), times(given(inst.W[0]![0]!), state), given(inst.b[0]!))
            : sum(num(matVec(inst.U, x)), num(matVec(inst.W, prev)), given(inst.b));
          return [{
            math: `\\theta_{${t}} = U x_{${t}} + W s_{${t - 1}} + b = ${arithmeticLine(terms, r.theta[t - 1]!, d)}` + (t === 1 && prev.every((v) => v === 0) ? '\\quad(s_0 = 0)' : ''),
          }, {
            math: `s_{${t}} = \\tanh(\\theta_{${t}}) = ${texVector(r.s[t - 1]!, d)}`,
          }];
        },
      });
    }
    const sKey = partKey(T - 1), oKey = partKey(T);
    parts.push({
      key: oKey,
      kind: vectorKind(K),
      prompt: `$o_{${T}}$`,
      symbol: `o_{${T}}`,
      answer: (s) => asVectorAnswer(s.o[T - 1]!),
      calc: (conv) => asVectorAnswer(forward(conv).o[T - 1]!),
      mistakes: ['forward-no-activation'],
      dependsOn: [sKey],
      followThrough: (earlier) => {
        const sT = toVector(earlier[sKey], H);
        return sT ? asVectorAnswer(addVec(matVec(inst.V, sT), inst.c)) : null;
      },
      solution: (s) => {
        const sT = s.s[T - 1]!;
        const terms = H === 1 && K === 1
          ? sum(times(given(inst.V[0]![0]!), num(sT[0]!)), given(inst.c[0]!))
          : sum(num(matVec(inst.V, sT)), given(inst.c));
        return [{ math: `o_{${T}} = V s_{${T}} + c = ${arithmeticLine(terms, s.o[T - 1]!, d)}` }];
      },
    });
    const summed = inst.loss === 'sum';
    parts.push({
      key: partKey(T + 1),
      kind: 'number',
      prompt: `the loss $${lossSymbol(inst)}$`,
      symbol: lossSymbol(inst),
      answer: (s) => s.loss,
      calc: (conv) => forward(conv).loss,
      mistakes: [...(T > 1 ? ['loss-convention' as const] : []), 'forward-no-activation', 'loss-missing-half'],
      ...(T > 1 ? { mistakeValue: { 'loss-convention': (s: RnnSolution) => (summed ? s.losses[T - 1]! : s.losses.reduce((a, b) => a + b, 0)) } } : {}),
      ...(summed ? {} : {
        dependsOn: [oKey],
        followThrough: (earlier: Readonly<Record<string, unknown>>) => {
          const oT = toVector(earlier[oKey] as number[] | number | undefined, K);
          return oT ? halfSquaredError(inst.y[T - 1]!, oT) : null;
        },
        followThroughMistakes: {
          'loss-missing-half': (earlier: Readonly<Record<string, unknown>>) => {
            const oT = toVector(earlier[oKey] as number[] | number | undefined, K);
            return oT ? 2 * halfSquaredError(inst.y[T - 1]!, oT) : null;
          },
        },
      }),
      solution: (s) => {
        const r = s;
        return summed
          ? [{ text: 'Every step contributes its own loss:', math: r.losses.map((l, t) => `L_{${t + 1}} = ${texVector([l], d)}`).join(',\\quad ') },
             { math: `L = \\sum_t L_t = ${arithmeticLine(sum(...r.losses.map((l) => num(l))), r.loss, d)}` }]
          : [{ math: `L_{${T}} = \\tfrac12\\lVert y_{${T}} - o_{${T}}\\rVert^2 = ${texVector([r.loss], d)}` }];
      },
    });
    return {
      notation: RNN_NOTATION,
      intro: `${lossSentence(inst)} Compute the forward pass.`,
      given: () => rnnGiven(inst),
      parts,
    };
  },
};

export const rnnForwardType = erase('rnn', rnnForwardProblem);
