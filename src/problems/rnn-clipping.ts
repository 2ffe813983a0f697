/**
 * rnn.clipping — gradient clipping by global norm (docs/math.md §6). The gradients BPTT gives for
 * an RNN instance (∂L/∂U, ∂L/∂W, ∂L/∂V by default) are printed, rounded; with threshold c:
 *   a. the global norm ‖g‖ of all of them stacked into one vector (L2);
 *   b. the clipping factor min(1, c/‖g‖);
 *   c. one gradient after clipping, factor · ∂L/∂P;
 *   d. a concept choice: what clipping does to an exploding gradient, or to one whose long-range
 *      terms vanished — the scenario read off the instance (one bit of a SHA-256 of it, which no
 *      student computes), and from generator 2 on aimed at each scenario equally often.
 * The draw is accepted only when clipping at c really shortens the gradient, and not trivially:
 * CLIP_FACTOR bounds the factor, so (b) is never 1 and (c) never the printed gradient.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Convention } from '../models/convention.js';
import { dims, type RnnInstance } from '../models/instance.js';
import { rnnClosedForm, type RnnGradients, type RnnSolution } from '../models/rnn.js';
import { arithmeticLine, num, squared, sum, times } from './arithmetic.js';
import { RNN_NOTATION, asMatrixAnswer, asVectorAnswer, lossSentence, matrixKind, toMatrix, vectorKind } from './common.js';
import { erase } from './erase.js';
import { texExact, texMatrix, texNumber, texVector } from './format.js';
import { drawRnn, rnnParamsShape } from './params.js';
import { pick } from './random.js';
import type { AnswerValue, PartKind, PartSpec, ProblemType } from './types.js';

export const CLIPPABLE = ['U', 'W', 'V', 'b', 'c'] as const;
type Clippable = (typeof CLIPPABLE)[number];

export const SCENARIOS = ['exploding', 'vanishing'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The factor min(1, c/‖g‖) a draw must have: clipping happens, and leaves a fair share. */
export const CLIP_FACTOR = { min: 0.2, max: 0.8 } as const;

export const rnnClippingParams = z.object({
  ...rnnParamsShape,
  /** a wider grid than the other RNN types: gradients long enough to be clipped */
  weights: rnnParamsShape.weights.default({ min: -2, max: 2, step: 0.1 }),
  /** the gradients clipped together (their global norm) */
  gradients: z.array(z.enum(CLIPPABLE)).min(2).max(5).default(['U', 'W', 'V']),
  /** the gradient whose clipped value is asked */
  ask: z.enum(CLIPPABLE).default('W'),
  /** the threshold c > 0 */
  threshold: z.number().positive().max(1000).default(1.5),
}).strict().superRefine((p, ctx) => {
  if (new Set(p.gradients).size !== p.gradients.length) ctx.addIssue({ code: 'custom', path: ['gradients'], message: 'should name each gradient once' });
  if (!p.gradients.includes(p.ask)) ctx.addIssue({ code: 'custom', path: ['ask'], message: `should be one of the gradients clipped (${p.gradients.join(', ')}), not "${p.ask}"` });
});
export type RnnClippingParams = z.infer<typeof rnnClippingParams>;

/** The concept part's options, in the problem type's order (a variant prints them shuffled). */
export const CLIP_CHOICES = [
  'it shortens the whole gradient to length c and keeps its direction, so the update stays bounded',
  'it cannot help: it only rescales the whole gradient, so the early terms stay as small beside the others as before',
  'it scales the gradient up to length c, which restores the early terms',
  'it rescales each gradient by its own norm, which gives the early terms a larger share',
] as const;

const RIGHT: Record<Scenario, (typeof CLIP_CHOICES)[number]> = { exploding: CLIP_CHOICES[0], vanishing: CLIP_CHOICES[1] };

/** The scenario the concept part asks about: one bit of a hash of the instance. */
export function scenarioOf(inst: RnnInstance): Scenario {
  const bytes = createHash('sha256').update(JSON.stringify([inst.U, inst.W, inst.V, inst.b, inst.c, inst.s0, inst.x, inst.y])).digest();
  return SCENARIOS[bytes[0]! & 1]!;
}

/** A gradient of the solution, as a matrix (a vector is a column). */
function gradient(s: Pick<RnnGradients, 'dL_dU' | 'dL_dW' | 'dL_dV' | 'dL_db' | 'dL_dc'>, P: Clippable): number[][] {
  if (P === 'b') return s.dL_db.map((v) => [v]);
  if (P === 'c') return s.dL_dc.map((v) => [v]);
  return s[`dL_d${P}`];
}

const entriesOf = (s: RnnSolution, Ps: readonly Clippable[]) => Ps.flatMap((P) => gradient(s, P).flat());
export const l2 = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
const l1 = (xs: readonly number[]) => xs.reduce((a, x) => a + Math.abs(x), 0);
const maxAbs = (xs: readonly number[]) => Math.max(...xs.map(Math.abs));

export const rnnClippingProblem: ProblemType<RnnClippingParams, RnnInstance, RnnSolution, Scenario> = {
  id: 'rnn.clipping',
  title: 'Gradient clipping by global norm',
  summary: 'Clipping BPTT\'s gradients by global norm: ‖g‖, the factor min(1, c/‖g‖), a clipped gradient, and why clipping helps exploding but not vanishing gradients.',
  params: rnnClippingParams,
  aim: {
    choose: (rng, _p, _style, missed) => {
      const left = SCENARIOS.filter((s) => !missed.includes(s));
      return left.length ? pick(rng, left) : undefined;
    },
    is: (value): value is Scenario => SCENARIOS.some((s) => s === value),
  },
  generate: (rng, p) => drawRnn(rng, p),
  accept(inst, sol, p, style, target) {
    const factor = p.threshold / l2(entriesOf(sol, p.gradients));
    if (!(factor >= CLIP_FACTOR.min && factor <= CLIP_FACTOR.max)) return factor > 1 ? 'not clipped' : 'factor out of range';
    if (style.generator >= 2 && target !== undefined && scenarioOf(inst) !== target) return `asks the ${scenarioOf(inst)} scenario`;
    return null;
  },
  build(inst, p, style) {
    const { T, H, D, K } = dims(inst);
    const d = style.digits;
    const c = p.threshold;
    const L = inst.loss === 'sum' ? 'L' : `L_{${T}}`;
    const shape: Record<Clippable, [number, number]> = { U: [H, D], W: [H, H], V: [K, H], b: [H, 1], c: [K, 1] };
    const isVector = (P: Clippable) => P === 'b' || P === 'c';
    const kindOf = (P: Clippable): PartKind => (isVector(P) ? vectorKind(shape[P][0]) : matrixKind(...shape[P]));
    const asAnswer = (P: Clippable, m: number[][]): AnswerValue => (isVector(P) ? asVectorAnswer(m.map((row) => row[0]!)) : asMatrixAnswer(m));
    const tex = (P: Clippable, m: number[][]) => (isVector(P) ? texVector(m.map((row) => row[0]!), d) : texMatrix(m, d));
    const sym = (P: Clippable) => `\\frac{\\partial ${L}}{\\partial ${P}}`;
    const Ps = p.gradients, A = p.ask;
    // the student starts from the gradients as printed: rounded to the sheet's digits by hand
    const printed = (conv: Convention, P: Clippable) => gradient(exactSolution(), P).map((row) => row.map(conv.round));
    // the exact gradients by the closed forms (the printed ones are these, rounded)
    let exact: RnnGradients | null = null;
    const exactSolution = (): RnnGradients => (exact ??= rnnClosedForm(inst));
    const normCalc = (conv: Convention) => conv.round(l2(Ps.flatMap((P) => printed(conv, P).flat())));
    const factorCalc = (conv: Convention) => conv.round(Math.min(1, c / normCalc(conv)));
    const norm = (s: RnnSolution) => l2(entriesOf(s, Ps));
    const factor = (s: RnnSolution) => Math.min(1, c / norm(s));
    const scale = (m: number[][], f: number) => m.map((row) => row.map((v) => v * f));
    const scenario = scenarioOf(inst);

    const parts: PartSpec<RnnSolution>[] = [
      {
        key: 'a',
        kind: 'number',
        prompt: `the global norm $\\lVert g \\rVert$ of the ${Ps.length} gradients together`,
        symbol: '\\lVert g \\rVert',
        answer: norm,
        calc: normCalc,
        mistakes: ['clip-norm-max-abs', 'clip-norm-l1'],
        mistakeValue: {
          'clip-norm-max-abs': (s) => maxAbs(entriesOf(s, Ps)),
          'clip-norm-l1': (s) => l1(entriesOf(s, Ps)),
        },
        solution: (s) => {
          const all = entriesOf(s, Ps);
          return [
            { text: 'Stack every entry of the listed gradients into one vector $g$ and take its Euclidean length:' },
            { math: `\\lVert g \\rVert^2 = ${arithmeticLine(sum(...all.map((x) => squared(num(x)))), all.reduce((a, x) => a + x * x, 0), d)}` },
            { math: `\\lVert g \\rVert = ${texNumber(norm(s), d)}` },
          ];
        },
      },
      {
        key: 'b',
        kind: 'number',
        prompt: `the clipping factor $\\min\\bigl(1, c/\\lVert g \\rVert\\bigr)$ for the threshold $c = ${texExact(c)}$`,
        symbol: '\\min(1, c/\\lVert g \\rVert)',
        answer: factor,
        calc: factorCalc,
        mistakes: ['clip-norm-max-abs', 'clip-norm-l1', 'clip-unit-normalise'],
        mistakeValue: {
          'clip-norm-max-abs': (s) => Math.min(1, c / maxAbs(entriesOf(s, Ps))),
          'clip-norm-l1': (s) => Math.min(1, c / l1(entriesOf(s, Ps))),
          'clip-unit-normalise': (s) => 1 / norm(s),
        },
        dependsOn: ['a'],
        followThrough: (e) => (typeof e.a === 'number' && Number.isFinite(e.a) && e.a > 0 ? Math.min(1, c / e.a) : null),
        solution: (s) => [{
          text: `$\\lVert g \\rVert = ${texNumber(norm(s), d)}$ is above $c = ${texExact(c)}$, so clipping shortens the gradient:`,
          math: `\\min\\Bigl(1, \\frac{c}{\\lVert g \\rVert}\\Bigr) = \\frac{${texExact(c)}}{${texNumber(norm(s), d)}} = ${texNumber(factor(s), d)}`,
        }],
      },
      {
        key: 'c',
        kind: kindOf(A),
        prompt: `the clipped gradient $\\min\\bigl(1, c/\\lVert g \\rVert\\bigr)\\,${sym(A)}$`,
        symbol: `\\text{clipped } \\partial ${L}/\\partial ${A}`,
        answer: (s) => asAnswer(A, scale(gradient(s, A), factor(s))),
        calc: (conv) => asAnswer(A, printed(conv, A).map((row) => row.map((v) => conv.round(factorCalc(conv) * v)))),
        mistakes: ['clip-norm-max-abs', 'clip-norm-l1', 'clip-unit-normalise', 'clip-per-tensor'],
        mistakeValue: {
          'clip-norm-max-abs': (s) => asAnswer(A, scale(gradient(s, A), Math.min(1, c / maxAbs(entriesOf(s, Ps))))),
          'clip-norm-l1': (s) => asAnswer(A, scale(gradient(s, A), Math.min(1, c / l1(entriesOf(s, Ps))))),
          'clip-unit-normalise': (s) => asAnswer(A, scale(gradient(s, A), 1 / norm(s))),
          'clip-per-tensor': (s) => asAnswer(A, scale(gradient(s, A), Math.min(1, c / l2(gradient(s, A).flat())))),
        },
        dependsOn: ['b'],
        // the student's factor times the gradient (exact: the draw has checked that the printed,
        // rounded one gives an answer within tolerance, the by-hand convention of `calc`)
        followThrough: (e) => (typeof e.b === 'number' && Number.isFinite(e.b) ? asAnswer(A, scale(gradient(exactSolution(), A), e.b)) : null),
        solution: (s) => [{
          text: `Every listed gradient is multiplied by the same factor, so the whole gradient keeps its direction:`,
          math: `${texNumber(factor(s), d)} \\cdot ${sym(A)} = ${arithmeticLine(times(num(factor(s)), num(gradient(s, A))), scale(gradient(s, A), factor(s)), d)}`,
        }],
      },
      {
        key: 'd',
        kind: 'choice',
        prompt: scenario === 'exploding'
          ? 'Over a longer sequence, the factors $\\partial s_j/\\partial s_{j-1}$ of the early per-step terms multiply up and those terms explode, so that $\\lVert g \\rVert$ is many times $c$. What does clipping by global norm do about it?'
          : 'Over a longer sequence, the factors $\\partial s_j/\\partial s_{j-1}$ of the early per-step terms shrink and those terms vanish beside the recent ones. What does clipping by global norm do about it?',
        choices: CLIP_CHOICES,
        answer: () => RIGHT[scenario],
        mistakes: scenario === 'vanishing' ? ['clip-without-min', 'clip-per-tensor'] : ['clip-per-tensor'],
        mistakeValue: {
          'clip-without-min': () => CLIP_CHOICES[2],
          'clip-per-tensor': () => CLIP_CHOICES[3],
        },
        solution: () => [scenario === 'exploding'
          ? { text: `An exploding gradient is long: $c/\\lVert g \\rVert$ is small and every gradient is multiplied by it, so the step is at most $c$ times the learning rate, in the direction BPTT found. So the answer is: ${RIGHT.exploding}. (Clipping each gradient by its own norm would change that direction.)` }
          : { text: `Clipping multiplies every term by the same factor $\\min(1, c/\\lVert g \\rVert) \\le 1$: the early terms keep their tiny share of the gradient, and a gradient already shorter than $c$ is left as it is, never scaled up. The long-range information is lost in the product of the factors, which no rescaling of the sum brings back. So the answer is: ${RIGHT.vanishing}.` }],
      },
    ];

    const given = (): string[] => {
      const s = exactSolution();
      const lines = Ps.map((P) => `${sym(P)} = ${tex(P, gradient(s, P))}`);
      const out: string[] = [];
      for (let start = 0; start < lines.length; start += 3) out.push(lines.slice(start, start + 3).join(',\\quad '));
      out.push(`c = ${texExact(c)}`);
      return out;
    };
    return {
      notation: RNN_NOTATION,
      intro: `It runs for $t = 1, \\dots, ${T}$. ${lossSentence(inst)} Backpropagation through time gives the gradients below (rounded). ` +
        'Training clips them by their global norm with threshold $c$: stacked into one vector $g$, they are all multiplied by $\\min(1, c/\\lVert g \\rVert)$.',
      given,
      parts,
    };
  },
};

export const rnnClippingType = erase('rnn', rnnClippingProblem);
