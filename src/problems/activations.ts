/**
 * activations — docs/math.md §1 at a few points: sinh, cosh, tanh (= sinh/cosh), tanh' = 1 − tanh²,
 * σ and σ' = σ(1 − σ). The instance is {"model": "activations", "x": [...]}, which
 * `gradsheet solve` also answers. Follow-through: tanh' from the student's tanh, σ' from their σ,
 * tanh from their sinh and cosh.
 */
import { z } from 'zod';
import type { ActivationsInstance } from '../models/instance.js';
import type { ActivationsSolution } from '../models/activations.js';
import { sigmoid } from '../models/linalg.js';
import { partKey, texGiven } from './common.js';
import { arithmeticLine, cdot, given, minus, num, squared, sum } from './arithmetic.js';
import { texNumber } from './format.js';
import type { MistakeId } from './mistakes.js';
import { gridSchema, gridValue } from './random.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType } from './types.js';

const FUNCTIONS = ['sinh', 'cosh', 'tanh', 'tanh_prime', 'sigmoid', 'sigmoid_prime'] as const;
type Fn = (typeof FUNCTIONS)[number];

export const activationsParams = z.object({
  /** how many points x */
  points: z.number().int().min(1).max(4).default(2),
  /** which quantities to ask at each point, in this order */
  functions: z.array(z.enum(FUNCTIONS)).min(1).default(['tanh', 'tanh_prime', 'sigmoid', 'sigmoid_prime']),
  grid: gridSchema.default({ min: -2, max: 2, step: 0.1 }),
}).strict();
export type ActivationsParams = z.infer<typeof activationsParams>;

const TEX: Record<Fn, (x: string) => string> = {
  sinh: (x) => `\\sinh(${x})`,
  cosh: (x) => `\\cosh(${x})`,
  tanh: (x) => `\\tanh(${x})`,
  tanh_prime: (x) => `\\tanh'(${x})`,
  sigmoid: (x) => `\\sigma(${x})`,
  sigmoid_prime: (x) => `\\sigma'(${x})`,
};

/** Each quantity under a Convention (rounding; or a mistaken derivative). */
function calcAt(fn: Fn, x: number, conv: import('../models/convention.js').Convention): number {
  const r = conv.round;
  const ep = r(Math.exp(x)), em = r(Math.exp(-x));
  switch (fn) {
    case 'sinh': return r((ep - em) / 2);
    case 'cosh': return r((ep + em) / 2);
    case 'tanh': return r(Math.tanh(x));
    case 'tanh_prime': return r(conv.tanhPrime(x, r(Math.tanh(x))));
    case 'sigmoid': return r(sigmoid(x));
    case 'sigmoid_prime': return r(conv.sigmoidPrime(x, r(sigmoid(x))));
  }
}

const MISTAKES: Partial<Record<Fn, MistakeId[]>> = {
  tanh_prime: ['tanh-prime-as-tanh', 'tanh-prime-of-preactivation', 'sigma-tanh-prime-swapped'],
  sigmoid_prime: ['sigmoid-prime-as-sigmoid', 'sigma-tanh-prime-swapped'],
};

export const activationsProblem: ProblemType<ActivationsParams, ActivationsInstance> = {
  id: 'activations',
  title: 'Activations and their derivatives',
  summary: "sinh, cosh, tanh, tanh' = 1 − tanh², σ and σ' = σ(1 − σ) at given points.",
  params: activationsParams,
  generate(rng, p) {
    const x: number[] = [];
    while (x.length < p.points) {
      const v = gridValue(rng, p.grid, true);
      if (!x.includes(v)) x.push(v);
      if (x.length === 0 && p.grid.min === p.grid.max) break;
    }
    return { model: 'activations', x };
  },
  build(inst, params, style) {
    const d = style.digits;
    const parts: PartSpec<ActivationsSolution>[] = [];
    inst.x.forEach((x, n) => {
      const keys = new Map<Fn, string>();
      for (const fn of params.functions) {
        const key = partKey(parts.length);
        keys.set(fn, key);
        const xs = `x_{${n + 1}}`;
        const spec: PartSpec<ActivationsSolution> = {
          key,
          kind: 'number',
          prompt: `$${TEX[fn](xs)}$`,
          symbol: TEX[fn](xs),
          answer: (s) => s[fn][n]!,
          calc: (conv) => calcAt(fn, x, conv),
          mistakes: MISTAKES[fn] ?? [],
          solution: (s) => [{ math: solutionLine(fn, xs, s, n, d) }],
        };
        const tanhKey = keys.get('tanh'), sigmaKey = keys.get('sigmoid'), sinhKey = keys.get('sinh'), coshKey = keys.get('cosh');
        if (fn === 'tanh_prime' && tanhKey) {
          spec.dependsOn = [tanhKey];
          spec.followThrough = (e) => (typeof e[tanhKey] === 'number' ? 1 - (e[tanhKey] as number) ** 2 : null);
        } else if (fn === 'sigmoid_prime' && sigmaKey) {
          spec.dependsOn = [sigmaKey];
          spec.followThrough = (e) => (typeof e[sigmaKey] === 'number' ? (e[sigmaKey] as number) * (1 - (e[sigmaKey] as number)) : null);
        } else if (fn === 'tanh' && sinhKey && coshKey) {
          spec.dependsOn = [sinhKey, coshKey];
          spec.followThrough = (e) => (typeof e[sinhKey] === 'number' && typeof e[coshKey] === 'number' && e[coshKey] !== 0 ? (e[sinhKey] as number) / (e[coshKey] as number) : null);
        }
        parts.push(spec);
      }
    });
    return {
      intro: 'Recall $\\sinh x = \\frac{e^x - e^{-x}}{2}$, $\\cosh x = \\frac{e^x + e^{-x}}{2}$, $\\tanh x = \\frac{\\sinh x}{\\cosh x}$ and $\\sigma(x) = \\frac{1}{1 + e^{-x}}$. Compute each quantity at the given points.',
      given: () => [inst.x.map((x, n) => `x_{${n + 1}} = ${texGiven(x)}`).join(',\\quad ')],
      parts,
    };
  },
};

export const activationsType = erase('activations', activationsProblem);

function solutionLine(fn: Fn, xs: string, s: ActivationsSolution, n: number, d: number): string {
  const v = (f: Fn) => texNumber(s[f][n]!, d);
  switch (fn) {
    case 'sinh': return `\\sinh(${xs}) = \\frac{e^{${xs}} - e^{-${xs}}}{2} = ${v('sinh')}`;
    case 'cosh': return `\\cosh(${xs}) = \\frac{e^{${xs}} + e^{-${xs}}}{2} = ${v('cosh')}`;
    case 'tanh': return `\\tanh(${xs}) = \\frac{\\sinh(${xs})}{\\cosh(${xs})} = ${v('tanh')}`;
    case 'tanh_prime': return `\\tanh'(${xs}) = 1 - \\tanh^2(${xs}) = ${arithmeticLine(sum(given(1), minus(squared(num(s.tanh[n]!)))), s.tanh_prime[n]!, d)}`;
    case 'sigmoid': return `\\sigma(${xs}) = \\frac{1}{1 + e^{-${xs}}} = ${v('sigmoid')}`;
    case 'sigmoid_prime': return `\\sigma'(${xs}) = \\sigma(${xs})\\,(1 - \\sigma(${xs})) = ${arithmeticLine(cdot(num(s.sigmoid[n]!), sum(given(1), minus(num(s.sigmoid[n]!)))), s.sigmoid_prime[n]!, d)}`;
  }
}
