import { describe, expect, it } from 'vitest';
import * as ad from '../src/engine/autodiff.js';

/** Central finite difference of a scalar function of one leaf entry. */
function numericGrad(build: () => ad.Node, leaf: ad.Node, index: number, h = 1e-6): number {
  const saved = leaf.value[index]!;
  leaf.value[index] = saved + h;
  const up = build().value[0]!;
  leaf.value[index] = saved - h;
  const down = build().value[0]!;
  leaf.value[index] = saved;
  return (up - down) / (2 * h);
}

describe('the autodiff engine', () => {
  const A = ad.matrix([[0.3, -0.7], [1.1, 0.2], [-0.4, 0.9]]);
  const x = ad.vector([0.5, -1.5]);
  const y = ad.vector([0.1, 0.2, -0.3]);
  const graph = () => ad.halfSquaredNorm(ad.sub(ad.mul(ad.tanh(ad.matmul(A, x)), ad.sigmoid(ad.add(ad.matmul(A, x), y))), y));

  it('computes matrix-vector products row by row', () => {
    expect(Array.from(ad.matmul(A, x).value)).toEqual([0.3 * 0.5 + -0.7 * -1.5, 1.1 * 0.5 + 0.2 * -1.5, -0.4 * 0.5 + 0.9 * -1.5]);
  });

  it('matches central finite differences for every entry of every leaf', () => {
    const root = graph();
    ad.backward(root);
    for (const leaf of [A, x, y]) {
      const analytic = Array.from(leaf.grad);
      analytic.forEach((g, i) => expect(g).toBeCloseTo(numericGrad(graph, leaf, i), 7));
    }
  });

  it('accumulates the gradient of a parameter used twice as the sum of its per-use gradients', () => {
    const w = ad.vector([0.7]);
    const u1 = ad.use(w), u2 = ad.use(w);
    const root = ad.halfSquaredNorm(ad.mul(ad.tanh(ad.mul(u1, ad.vector([2]))), u2));
    ad.backward(root);
    expect(w.grad[0]).toBeCloseTo(u1.grad[0]! + u2.grad[0]!, 15);
    expect(u1.grad[0]).not.toBeCloseTo(u2.grad[0]!, 3);
    const direct = () => { const v = w.value[0]!; return ad.vector([0.5 * (Math.tanh(2 * v) * v) ** 2]); };
    expect(w.grad[0]).toBeCloseTo(numericGrad(direct, w, 0), 8);
  });

  it('can run backward again from another root with a seed, starting from zeroed gradients', () => {
    const z = ad.tanh(ad.matmul(A, x));
    ad.backward(z, [1, 0, 0]);
    const first = Array.from(x.grad);
    ad.backward(z, [1, 0, 0]);
    expect(Array.from(x.grad)).toEqual(first);
    const d = 1 - Math.tanh(0.3 * 0.5 + 0.7 * 1.5) ** 2;
    expect(first[0]).toBeCloseTo(d * 0.3, 14);
    expect(first[1]).toBeCloseTo(d * -0.7, 14);
  });

  it('handles a chain thousands of nodes deep without overflowing the stack', () => {
    let s = ad.vector([0.1]);
    const w = ad.vector([0.9]);
    for (let i = 0; i < 20000; i++) s = ad.tanh(ad.mul(ad.use(w), s));
    ad.backward(ad.halfSquaredNorm(s));
    expect(Number.isFinite(w.grad[0]!)).toBe(true);
  });

  it('refuses mismatched shapes', () => {
    expect(() => ad.add(A, x)).toThrow(/shapes 3×2 and 2×1/);
    expect(() => ad.matmul(x, A)).toThrow(/matmul/);
  });
});
