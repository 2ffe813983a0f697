/**
 * lstm.forward — the forward pass of docs/math.md §3 by hand: for each step t the gates f_t, i_t,
 * g_t = c̃_t, o_t, the cell c_t and the state h_t; then ŷ_T and the loss.
 * Follow-through: each gate of step t from the student's h_{t−1}; c_t from their f_t, i_t, g_t and
 * c_{t−1}; h_t from their o_t and c_t; ŷ_T from their h_T; the loss L_T from their ŷ_T.
 */
import { z } from 'zod';
import { dims, type Gate, type LstmInstance } from '../models/instance.js';
import { addVec, hadamard, matVec, sigmoid } from '../models/linalg.js';
import { lstmForward, type LstmSolution } from '../models/lstm.js';
import { asVectorAnswer, partKey, perConvention, toVector, vectorKind } from './common.js';
import { arithmeticLine, given, num, sum, times } from './arithmetic.js';
import { texNumber, texVector } from './format.js';
import { LSTM_NOTATION, drawLstm, lstmGiven, lstmLossSentence, lstmParamsShape, lstmRegimeMiss } from './lstm-params.js';
import { erase } from './erase.js';
import { outputAndLossParts } from './gated-output.js';
import type { PartSpec, ProblemType, SolutionStep } from './types.js';

export const lstmForwardParams = z.object({
  ...lstmParamsShape,
  /** six parts a step: two steps by default, at most five */
  steps: z.number().int().min(1).max(5).default(2),
}).strict();
export type LstmForwardParams = z.infer<typeof lstmForwardParams>;

const GATE_NAMES: Record<Gate, string> = { f: 'forget gate', i: 'input gate', g: 'candidate memory', o: 'output gate' };
const GATE_SYMBOL: Record<Gate, (t: number) => string> = {
  f: (t) => `f_{${t}}`,
  i: (t) => `i_{${t}}`,
  g: (t) => `g_{${t}} = \\tilde c_{${t}}`,
  o: (t) => `o_{${t}}`,
};


/** A gate's value from a previous state: σ or tanh of W_xG x_t + W_hG h + b_G (docs/math.md §3). */
function gateFrom(inst: LstmInstance, gate: Gate, t: number, hPrev: readonly number[]): number[] {
  const a = addVec(addVec(matVec(inst[`Wx${gate}`], inst.x[t - 1]!), matVec(inst[`Wh${gate}`], hPrev as number[])), inst[`b${gate}`]);
  return a.map(gate === 'g' ? Math.tanh : sigmoid);
}

export const lstmForwardProblem: ProblemType<LstmForwardParams, LstmInstance> = {
  id: 'lstm.forward',
  title: 'LSTM forward pass',
  summary: 'Gates f_t, i_t, g_t, o_t, cell c_t and state h_t of a small LSTM step by step, then ŷ_T and the loss.',
  params: lstmForwardParams,
  generate: drawLstm,
  accept: (_inst, sol, params) => lstmRegimeMiss(sol, params.regime),
  build(inst, _params, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const scalar = H === 1 && D === 1;
    const forward = perConvention((conv) => lstmForward(inst, conv));
    const parts: PartSpec<LstmSolution>[] = [];
    const keys: Record<string, string> = {};
    const n = (x: number) => texNumber(x, d);

    for (let t = 1; t <= T; t++) {
      const hPrevKey = t > 1 ? keys[`h${t - 1}`]! : null;
      for (const gate of ['f', 'i', 'g', 'o'] as const) {
        const key = partKey(parts.length);
        keys[`${gate}${t}`] = key;
        parts.push({
          key,
          kind: vectorKind(H),
          prompt: `the ${GATE_NAMES[gate]} $${GATE_SYMBOL[gate](t)}$`,
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
      const cKey = partKey(parts.length);
      keys[`c${t}`] = cKey;
      const cPrevKey = t > 1 ? keys[`c${t - 1}`]! : null;
      const cDeps = [keys[`f${t}`]!, keys[`i${t}`]!, keys[`g${t}`]!, ...(cPrevKey ? [cPrevKey] : [])];
      parts.push({
        key: cKey,
        kind: vectorKind(H),
        prompt: `the cell $c_{${t}}$`,
        symbol: `c_{${t}}`,
        answer: (s) => asVectorAnswer(s.c[t - 1]!),
        calc: (conv) => asVectorAnswer(forward(conv).c[t - 1]!),
        dependsOn: cDeps,
        followThrough: (earlier) => {
          const [f, i, g] = cDeps.slice(0, 3).map((k) => toVector(earlier[k], H));
          const cPrev = cPrevKey ? toVector(earlier[cPrevKey], H) : inst.c0;
          return f && i && g && cPrev ? asVectorAnswer(addVec(hadamard(f, cPrev), hadamard(i, g))) : null;
        },
        solution: (s) => {
          const r = s;
          const cPrev = t === 1 ? inst.c0 : r.c[t - 2]!;
          // c_0 is given; c_{t−1} is the student's previous answer
          const cPrevTerm = t === 1 ? given(cPrev) : num(cPrev);
          if (H === 1) {
            return [{
              text: 'Old memory kept by the forget gate, plus new memory let in by the input gate:',
              math: `c_{${t}} = f_{${t}}\\, c_{${t - 1}} + i_{${t}}\\, g_{${t}} = ${arithmeticLine(sum(times(num(r.f[t - 1]!), cPrevTerm), times(num(r.i[t - 1]!), num(r.g[t - 1]!))), r.c[t - 1]!, d)}`,
            }];
          }
          return [{
            text: 'Old memory kept by the forget gate, plus new memory let in by the input gate (entry by entry):',
            math: `c_{${t}} = f_{${t}} \\odot c_{${t - 1}} + i_{${t}} \\odot g_{${t}} = ${arithmeticLine(sum(num(hadamard(r.f[t - 1]!, cPrev)), num(hadamard(r.i[t - 1]!, r.g[t - 1]!))), r.c[t - 1]!, d)}`,
          }];
        },
      });
      const hKey = partKey(parts.length);
      keys[`h${t}`] = hKey;
      const oKey = keys[`o${t}`]!;
      parts.push({
        key: hKey,
        kind: vectorKind(H),
        prompt: `the state $h_{${t}}$`,
        symbol: `h_{${t}}`,
        answer: (s) => asVectorAnswer(s.h[t - 1]!),
        calc: (conv) => asVectorAnswer(forward(conv).h[t - 1]!),
        dependsOn: [oKey, cKey],
        followThrough: (earlier) => {
          const o = toVector(earlier[oKey], H), c = toVector(earlier[cKey], H);
          return o && c ? asVectorAnswer(hadamard(o, c.map(Math.tanh))) : null;
        },
        solution: (s) => {
          const r = s;
          return [
            { math: `m_{${t}} = \\tanh(c_{${t}}) = ${texVector(r.m[t - 1]!, d)}` },
            H === 1
              ? { math: `h_{${t}} = o_{${t}}\\, m_{${t}} = ${arithmeticLine(times(num(r.o[t - 1]!), num(r.m[t - 1]!)), r.h[t - 1]!, d)}` }
              : { math: `h_{${t}} = o_{${t}} \\odot m_{${t}} = ${texVector(r.h[t - 1]!, d)}` },
          ];
        },
      });
    }

    parts.push(...outputAndLossParts<LstmSolution>(inst, { T, H, K, digits: d, before: parts.length, hTKey: keys[`h${T}`]!, forward }));

    return {
      notation: LSTM_NOTATION,
      intro: `${lstmLossSentence(inst)} Compute the forward pass${T > 1 ? `, step by step for $t = 1, \\dots, ${T}$` : ''}.`,
      given: () => lstmGiven(inst),
      parts,
    };
  },
};

export const lstmForwardType = erase('lstm', lstmForwardProblem);

/** A gate's worked step: its pre-activation (numbers substituted in the scalar case), then σ or tanh. */
function gateSolution(inst: LstmInstance, r: LstmSolution, gate: Gate, t: number, d: number, scalar: boolean): SolutionStep[] {
  const pre = r[`a${gate}`][t - 1]!;
  const hPrev = t === 1 ? inst.h0 : r.h[t - 2]!;
  const act = gate === 'g' ? '\\tanh' : '\\sigma';
  const sym = `a^{${gate}}_{${t}}`;
  const formula = `${sym} = W_{x${gate}} x_{${t}} + W_{h${gate}} h_{${t - 1}} + b_${gate}`;
  // the weights, x_t and h_0 are given; h_{t−1} is the student's previous answer
  const state = t === 1 ? given(hPrev) : num(hPrev);
  const first: SolutionStep = scalar
    ? { math: `${formula} = ${arithmeticLine(sum(times(given(inst[`Wx${gate}`][0]![0]!), given(inst.x[t - 1]![0]!)), times(given(inst[`Wh${gate}`][0]![0]!), state), given(inst[`b${gate}`][0]!)), pre, d)}` }
    : { math: `${formula} = ${arithmeticLine(sum(num(matVec(inst[`Wx${gate}`], inst.x[t - 1]!)), num(matVec(inst[`Wh${gate}`], hPrev)), given(inst[`b${gate}`])), pre, d)}` };
  return [first, { math: `${gate}_{${t}} = ${act}(${sym}) = ${texVector(r[gate][t - 1]!, d)}` }];
}
