/**
 * rnn.recursion — the notes' recursion ①–④ for the scalar RNN (docs/math.md §2.2, §8), asked as
 * formulas: ∂s_1/∂U = (1 − s_1²)·x_1, then each ∂s_t/∂U from the previous one,
 * ∂s_t/∂U = (1 − s_t²)(x_t + W·∂s_{t−1}/∂U), written with the symbol D_{t−1} for ∂s_{t−1}/∂U (a
 * derived symbol, so writing it out in full counts too); then the number ∂L_T/∂U = (o_T − y_T)·V·∂s_T/∂U
 * on the drawn instance; and, optionally, "spot the error": the notes' printed sum has w^{k−1}
 * where the term for step k has W^{T−k}.
 * Follow-through: the number from the student's own formulas, each evaluated at the instance on
 * the value the student's previous formula gives (a formula that forgets tanh' carried consistently).
 */
import { z } from 'zod';
import { readFormula, type FormulaSymbol } from '../contract/formula.js';
import type { RnnInstance } from '../models/instance.js';
import { givenForward, rnnClosedForm, rnnForward, type RnnSolution } from '../models/rnn.js';
import { arithmeticLine, given as givenValue, num, sum, minus, squared, times, cdot } from './arithmetic.js';
import { RNN_NOTATION, lossSentence, partKey, perConvention, rnnGiven } from './common.js';
import { texNumber } from './format.js';
import type { MistakeId } from './mistakes.js';
import { drawRnn, networkParamsShape } from './params.js';
import { erase } from './erase.js';
import type { AnswerValue, PartSpec, ProblemType, SolutionStep } from './types.js';

export const rnnRecursionParams = z.object({
  /** T: the notes' example is 3 */
  steps: z.number().int().min(2).max(5).default(3),
  weights: networkParamsShape.weights,
  data: networkParamsShape.data,
  initialState: networkParamsShape.initialState,
  biases: networkParamsShape.biases,
  /** print the forward states s_t and o_T, so the number part is about the recursion alone */
  giveForward: z.boolean().default(true),
  /** add the "spot the error" part: the notes' printed w^{k−1}, corrected */
  spotTheError: z.boolean().default(true),
}).strict();
export type RnnRecursionParams = z.infer<typeof rnnRecursionParams>;

/** ∂s_t/∂U's symbol: D_t (what a student types), printed as the derivative. */
const dName = (t: number) => `D_${t}`;
const dTex = (t: number) => `\\partial s_{${t}}/\\partial U`;

/**
 * The symbols the formula for ∂s_t/∂U may use: the parameters, s_0 and x_1 … x_t free (weights in
 * ±1.5, inputs in ±1, s_0 small), then s_1, D_1, s_2, D_2, …, s_t derived from them by the model
 * (D_t itself is the answer, so not a symbol).
 */
export function recursionSymbols(t: number): FormulaSymbol[] {
  const symbols: FormulaSymbol[] = [
    { name: 'U', tex: 'U', range: [-1.5, 1.5] },
    { name: 'W', tex: 'W', range: [-1.5, 1.5] },
    { name: 'b', tex: 'b', range: [-1, 1] },
    { name: 's_0', tex: 's_0', range: [-0.5, 0.5] },
  ];
  for (let i = 1; i <= t; i++) symbols.push({ name: `x_${i}`, tex: `x_{${i}}`, range: [-1, 1] });
  for (let i = 1; i <= t; i++) {
    symbols.push({ name: `s_${i}`, tex: `s_{${i}}`, derived: `tanh(U * x_${i} + W * s_${i - 1} + b)` });
    if (i < t) symbols.push({ name: dName(i), tex: dTex(i), derived: recursionFormula(i) });
  }
  return symbols;
}

/** The notes' ③ and ①/②: ∂s_t/∂U in s_t, x_t, W and D_{t−1}. */
export function recursionFormula(t: number): string {
  return t === 1 ? '(1 - s_1^2) * x_1' : `(1 - s_${t}^2) * (x_${t} + W * ${dName(t - 1)})`;
}

/** The catalogued mistakes of ∂s_t/∂U, as formulas in the same symbols. */
export function recursionMistakes(t: number): Partial<Record<MistakeId, string>> {
  const inner = t === 1 ? 'x_1' : `(x_${t} + W * ${dName(t - 1)})`;
  const theta = `(U * x_${t} + W * s_${t - 1} + b)`;
  return {
    'missing-tanh-prime': inner,
    'tanh-prime-as-tanh': `s_${t} * ${inner}`,
    'tanh-prime-of-preactivation': `(1 - ${theta}^2) * ${inner}`,
    ...(t > 1 ? {
      'last-term-only': `(1 - s_${t}^2) * x_${t}`,
      'w-power-minus-one': `(1 - s_${t}^2) * (x_${t} + ${dName(t - 1)})`,
      'tanh-prime-wrong-step': `(1 - s_${t - 1}^2) * ${inner}`,
    } : {}),
  };
}

/** "Spot the error": the factor of W in the term for step k, in W, k and T (T = the question's). */
export function powerSymbols(T: number): FormulaSymbol[] {
  // W > 0 here only so that W^(T − k) is real at the comparison points, where k is not an integer
  return [
    { name: 'W', tex: 'W', range: [0.2, 1.5] },
    { name: 'k', tex: 'k', range: [1, T] },
    { name: 'T', tex: 'T', derived: String(T) },
  ];
}
export const POWER_FORMULA = 'W^(T - k)';
export const POWER_MISTAKES: Partial<Record<MistakeId, string>> = {
  'w-power-counted-from-first': 'W^(k - 1)',
  'w-power-plus-one': 'W^(T - k + 1)',
  'w-power-minus-one': 'W^(T - k - 1)',
};

/** The instance's point of the symbols (exact states; D_i the exact ∂s_i/∂U), D_i replaced by `own` where given. */
function instancePoint(inst: RnnInstance, own: readonly number[] = []): Record<string, number> {
  const fwd = rnnForward(inst);
  const p: Record<string, number> = { U: inst.U[0]![0]!, W: inst.W[0]![0]!, b: inst.b[0]!, s_0: inst.s0[0]! };
  inst.x.forEach((x, i) => (p[`x_${i + 1}`] = x[0]!));
  let D = 0;
  fwd.s.forEach((s, i) => {
    const t = i + 1, st = s[0]!;
    p[`s_${t}`] = st;
    D = (1 - st * st) * (inst.x[i]![0]! + (t > 1 ? p.W! * D : 0));
    p[dName(t)] = own[i] ?? D;
  });
  return p;
}

/** ∂s_1/∂U … ∂s_T/∂U on the instance, exactly (the recursion). */
export function recursionValues(inst: RnnInstance): number[] {
  const p = instancePoint(inst);
  return inst.x.map((_, i) => p[dName(i + 1)]!);
}

/**
 * ∂s_T/∂U from the student's own formulas, each evaluated at the instance with D_{t−1} the value
 * their previous formula gave; null when one cannot be read (or the parser is not loaded).
 */
function ownChain(inst: RnnInstance, keys: readonly string[], earlier: Readonly<Record<string, AnswerValue | undefined>>): number | null {
  const own: number[] = [];
  for (let t = 1; t <= keys.length; t++) {
    const typed = earlier[keys[t - 1]!];
    if (typeof typed !== 'string') return null;
    let read;
    try {
      read = readFormula(typed, recursionSymbols(t));
    } catch {
      return null;
    }
    if (!read.ok) return null;
    const v = read.at(instancePoint(inst, own));
    if (!Number.isFinite(v)) return null;
    own.push(v);
  }
  return own[own.length - 1] ?? null;
}

export const rnnRecursionProblem: ProblemType<RnnRecursionParams, RnnInstance> = {
  id: 'rnn.recursion',
  title: 'The recursion for ∂s_t/∂U, as formulas',
  summary: 'The notes’ recursion ∂s_t/∂U = (1 − s_t²)(x_t + W ∂s_{t−1}/∂U) as formulas, then ∂L_T/∂U on the instance (and the notes’ misprinted power of W).',
  formulas: true,
  params: rnnRecursionParams,
  generate: (rng, p) => drawRnn(rng, { ...p, hidden: 1, inputs: 1, outputs: 1, loss: 'last' }),
  build(inst, params, style) {
    const T = inst.x.length;
    const d = style.digits;
    const parts: PartSpec<RnnSolution>[] = [];
    const keys: string[] = [];
    const exactD = recursionValues(inst);
    // the notes number the T = 3 recursion ① ∂s_3/∂U, ② ∂s_2/∂U, ③ ∂s_1/∂U, ④ ∂L_3/∂U written out
    const notes = (t: number) => (T === 3 ? ` (the notes' ${['③', '②', '①', '④'][t - 1]})` : '');
    const printedState = (t: number) => (t === 0 ? givenValue(inst.s0[0]!) : num(rnnForward(inst).s[t - 1]![0]!));
    for (let t = 1; t <= T; t++) {
      const key = partKey(parts.length);
      keys.push(key);
      const mistakes = recursionMistakes(t);
      const ids = Object.keys(mistakes) as MistakeId[];
      parts.push({
        key,
        kind: 'expression',
        prompt: t === 1
          ? `$\\dfrac{\\partial s_{1}}{\\partial U}$${notes(t)}, as a formula.`
          : `$\\dfrac{\\partial s_{${t}}}{\\partial U}$ from the previous step${notes(t)}: a formula in $s_{${t}}$, $x_{${t}}$, $W$ and $\\partial s_{${t - 1}}/\\partial U$, typed as ${dName(t - 1)}.`,
        symbol: `\\partial s_{${t}}/\\partial U`,
        symbols: recursionSymbols(t),
        answer: () => recursionFormula(t),
        mistakes: ids,
        mistakeValue: Object.fromEntries(ids.map((id) => [id, () => mistakes[id]!])),
        solution: () => recursionSolution(inst, t, exactD, printedState, d),
      });
    }
    // the number: with the states printed, the student starts from them
    const closedForm = perConvention((conv) => rnnClosedForm(inst, conv, params.giveForward ? givenForward(inst, conv) : undefined));
    const outputFactor = (inst.V[0]![0]!);
    const fwd = rnnForward(inst);
    const error = fwd.o[T - 1]![0]! - inst.y[T - 1]![0]!;
    parts.push({
      key: partKey(parts.length),
      kind: 'number',
      prompt: `$\\dfrac{\\partial L_{${T}}}{\\partial U}$ on the given values${notes(T + 1)}.`,
      symbol: `\\partial L_{${T}}/\\partial U`,
      answer: (s) => s.dL_dU[0]![0]!,
      calc: (conv) => closedForm(conv).dL_dU[0]![0]!,
      mistakes: ['error-sign', 'loss-missing-half', 'missing-output-weight', 'missing-tanh-prime', 'tanh-prime-as-tanh', 'tanh-prime-of-preactivation', 'tanh-prime-wrong-step', 'w-power-minus-one', 'last-term-only'],
      mistakeValue: { 'last-term-only': (s) => s.dL_dU_by_step[T - 1]![0]![0]! },
      dependsOn: keys,
      followThrough: (earlier) => {
        const own = ownChain(inst, keys, earlier);
        return own === null ? null : error * outputFactor * own;
      },
      followThroughMistakes: {
        'error-sign': (earlier) => {
          const own = ownChain(inst, keys, earlier);
          return own === null ? null : -error * outputFactor * own;
        },
      },
      solution: (s) => [
        { text: 'The loss reaches $U$ only through $o_{' + T + '} = V s_{' + T + '} + c$:' },
        { math: `\\frac{\\partial L_{${T}}}{\\partial U} = \\frac{\\partial L_{${T}}}{\\partial o_{${T}}} \\cdot \\frac{\\partial o_{${T}}}{\\partial s_{${T}}} \\cdot \\frac{\\partial s_{${T}}}{\\partial U} = (o_{${T}} - y_{${T}}) \\cdot V \\cdot \\frac{\\partial s_{${T}}}{\\partial U}` },
        { math: `= ${arithmeticLine(times(sum(num(fwd.o[T - 1]![0]!), minus(givenValue(inst.y[T - 1]![0]!))), givenValue(outputFactor), num(exactD[T - 1]!)), s.dL_dU[0]![0]!, d)}` },
        { text: `Expanding the recursion gives the same number as the sum of the per-step terms, $\\sum_{k=1}^{${T}} (o_{${T}} - y_{${T}})\\, V \\big[\\prod_{j=k+1}^{${T}} (1 - s_j^2) W\\big] (1 - s_k^2)\\, x_k$.` },
      ],
    });
    if (params.spotTheError) {
      const ids = Object.keys(POWER_MISTAKES) as MistakeId[];
      parts.push({
        key: partKey(parts.length),
        kind: 'expression',
        prompt: `The notes print the expanded sum as $\\sum_{k=1}^{T} (\\partial L_T/\\partial o_T) \\cdot (\\partial o_T/\\partial s_T) \\cdot \\big(\\prod_{j=k}^{T} \\tanh'(\\theta_j)\\big)\\, x_k\\, w^{k-1}$. One factor is wrong: write the right factor of $W$ in the term for step $k$, as a formula in $W$, $k$ and $T$.`,
        symbol: 'W^{?}',
        symbols: powerSymbols(T),
        answer: () => POWER_FORMULA,
        mistakes: ids,
        mistakeValue: Object.fromEntries(ids.map((id) => [id, () => POWER_MISTAKES[id]!])),
        solution: () => [
          { text: `The term for step $k$ goes back from $s_T$ to $s_k$ through the factors $\\partial s_j/\\partial s_{j-1} = (1 - s_j^2)\\,W$ for $j = k+1, \\dots, T$: $T - k$ of them, one $W$ each (the term for $k = T$ has none, the term for $k = 1$ has $T - 1$). The printed $w^{k-1}$ counts from the first step instead.` },
          { math: `W^{T-k}\\quad(\\text{here } T = ${T}:\\ W^{${T}-k})` },
        ],
      });
    }
    return {
      notation: RNN_NOTATION,
      intro: `Here every quantity is a scalar and the network runs for $t = 1, \\dots, ${T}$. ${lossSentence(inst)} ` +
        `By the chain rule, $\\partial L_{${T}}/\\partial U = (o_{${T}} - y_{${T}}) \\cdot V \\cdot \\partial s_{${T}}/\\partial U$, and $\\partial s_{${T}}/\\partial U$ is found step by step, each from the one before. ` +
        `Answer the formula parts with formulas; type $\\partial s_k/\\partial U$ as D_k.`,
      given: () => given(inst, params, d),
      parts,
    };
  },
};

export const rnnRecursionType = erase('rnn', rnnRecursionProblem);

function given(inst: RnnInstance, params: RnnRecursionParams, digits: number): string[] {
  const lines = rnnGiven(inst);
  if (params.giveForward) {
    const fwd = rnnForward(inst);
    const T = inst.x.length;
    lines.push(fwd.s.map((s, t) => `s_{${t + 1}} = ${texNumber(s[0]!, digits)}`).join(',\\quad ') + `,\\quad o_{${T}} = ${texNumber(fwd.o[T - 1]![0]!, digits)}`);
  }
  return lines;
}

/** The notes' ③ (t = 1) or ①/② (t > 1): the chain rule through θ_t, the formula, and its value on the instance. */
function recursionSolution(inst: RnnInstance, t: number, D: readonly number[], state: (t: number) => ReturnType<typeof num>, digits: number): SolutionStep[] {
  const x = givenValue(inst.x[t - 1]![0]!);
  const tanhPrime = sum(givenValue(1), minus(squared(state(t))));
  const steps: SolutionStep[] = [{ text: `With $\\theta_{${t}} = U x_{${t}} + W s_{${t - 1}} + b$ and $s_{${t}} = \\tanh(\\theta_{${t}})$, $\\partial s_{${t}}/\\partial \\theta_{${t}} = 1 - s_{${t}}^2$.` }];
  if (t === 1) {
    steps.push({ text: `$s_0$ is given and does not depend on $U$, so only the direct use of $U$ counts:`, math: `\\frac{\\partial s_1}{\\partial U} = \\frac{\\partial s_1}{\\partial \\theta_1} \\cdot \\frac{\\partial \\theta_1}{\\partial U} = (1 - s_1^2)\\, x_1` });
    steps.push({ math: `= ${arithmeticLine(times(tanhPrime, x), D[0]!, digits)}` });
    return steps;
  }
  steps.push({
    text: `$U$ reaches $\\theta_{${t}}$ directly and through $s_{${t - 1}}$, which was computed with $U$ too:`,
    math: `\\frac{\\partial s_{${t}}}{\\partial U} = \\frac{\\partial s_{${t}}}{\\partial \\theta_{${t}}} \\Big(\\frac{\\partial \\theta_{${t}}}{\\partial U} + \\frac{\\partial \\theta_{${t}}}{\\partial s_{${t - 1}}} \\cdot \\frac{\\partial s_{${t - 1}}}{\\partial U}\\Big) = (1 - s_{${t}}^2)\\Big(x_{${t}} + W\\, \\frac{\\partial s_{${t - 1}}}{\\partial U}\\Big)`,
  });
  steps.push({ math: `= ${arithmeticLine(times(tanhPrime, sum(x, cdot(givenValue(inst.W[0]![0]!), num(D[t - 2]!)))), D[t - 1]!, digits)}` });
  return steps;
}
