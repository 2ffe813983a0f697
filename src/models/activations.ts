/** docs/math.md §1: the activations and their derivatives at given points. */
import type { ActivationsInstance } from './instance.js';

export interface ActivationsSolution {
  model: 'activations';
  x: number[];
  /** (e^x − e^−x)/2 */
  sinh: number[];
  /** (e^x + e^−x)/2 */
  cosh: number[];
  tanh: number[];
  /** 1 − tanh²(x) */
  tanh_prime: number[];
  /** 1/(1 + e^−x) */
  sigmoid: number[];
  /** σ(x)(1 − σ(x)) */
  sigmoid_prime: number[];
}

export function solveActivations(inst: ActivationsInstance): ActivationsSolution {
  const x = inst.x.slice();
  const tanh = x.map(Math.tanh);
  const sigmoid = x.map((v) => 1 / (1 + Math.exp(-v)));
  return {
    model: 'activations',
    x,
    sinh: x.map((v) => (Math.exp(v) - Math.exp(-v)) / 2),
    cosh: x.map((v) => (Math.exp(v) + Math.exp(-v)) / 2),
    tanh,
    tanh_prime: tanh.map((t) => 1 - t * t),
    sigmoid,
    sigmoid_prime: sigmoid.map((s) => s * (1 - s)),
  };
}
