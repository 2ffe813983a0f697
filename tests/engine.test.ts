import { describe, expect, it } from 'vitest';
import { Tape, type NodeId } from '../src/engine/autodiff.js';

/** Central finite difference of a scalar function of one leaf entry. */
function numericGrad(tape: Tape, build: () => NodeId, leaf: NodeId, index: number, h = 1e-6): number {
  const at = tape.offset(leaf) + index;
  const saved = tape.values[at]!;
  const mark = tape.length;
  tape.values[at] = saved + h;
  const up = tape.scalar(build());
  tape.values[at] = saved - h;
  const down = tape.scalar(build());
  tape.values[at] = saved;
  expect(tape.length).toBeGreaterThan(mark);
  return (up - down) / (2 * h);
}

describe('the autodiff engine', () => {
  const tape = new Tape();
  const A = tape.matrix([[0.3, -0.7], [1.1, 0.2], [-0.4, 0.9]]);
  const x = tape.vector([0.5, -1.5]);
  const y = tape.vector([0.1, 0.2, -0.3]);
  const graph = () => tape.halfSquaredNorm(tape.sub(tape.mul(tape.tanh(tape.matmul(A, x)), tape.sigmoid(tape.add(tape.matmul(A, x), y))), y));

  it('computes matrix-vector products row by row', () => {
    expect(tape.valueArray(tape.matmul(A, x))).toEqual([0.3 * 0.5 + -0.7 * -1.5, 1.1 * 0.5 + 0.2 * -1.5, -0.4 * 0.5 + 0.9 * -1.5]);
  });

  it('matches central finite differences for every entry of every leaf', () => {
    const root = graph();
    tape.backward(root);
    const analytic = [A, x, y].map((leaf) => tape.gradArray(leaf));
    [A, x, y].forEach((leaf, l) => {
      analytic[l]!.forEach((g, i) => expect(g).toBeCloseTo(numericGrad(tape, graph, leaf, i), 7));
    });
  });

  it('accumulates the gradient of a parameter used twice as the sum of its per-use gradients', () => {
    const t = new Tape();
    const w = t.vector([0.7]);
    const u1 = t.use(w), u2 = t.use(w);
    const root = t.halfSquaredNorm(t.mul(t.tanh(t.mul(u1, t.vector([2]))), u2));
    t.backward(root);
    const [gw, g1, g2] = [w, u1, u2].map((n) => t.gradArray(n)[0]!);
    expect(gw).toBeCloseTo(g1! + g2!, 15);
    expect(g1).not.toBeCloseTo(g2!, 3);
    const v = 0.7, h = 1e-6;
    const f = (w: number) => 0.5 * (Math.tanh(2 * w) * w) ** 2;
    expect(gw).toBeCloseTo((f(v + h) - f(v - h)) / (2 * h), 8);
  });

  it('can run backward again from another root with a seed, starting from zeroed gradients', () => {
    const z = tape.tanh(tape.matmul(A, x));
    tape.backward(z, [1, 0, 0]);
    const first = tape.gradArray(x);
    tape.backward(z, [1, 0, 0]);
    expect(tape.gradArray(x)).toEqual(first);
    const d = 1 - Math.tanh(0.3 * 0.5 + 0.7 * 1.5) ** 2;
    expect(first[0]).toBeCloseTo(d * 0.3, 14);
    expect(first[1]).toBeCloseTo(d * -0.7, 14);
  });

  it('sums the gradient through a sum of terms into every term', () => {
    const t = new Tape();
    const a = t.vector([1, 2]), b = t.vector([3, -4]);
    const s = t.sum([t.halfSquaredNorm(a), t.halfSquaredNorm(b), t.halfSquaredNorm(a)]);
    expect(t.scalar(s)).toBe(0.5 * 5 + 0.5 * 25 + 0.5 * 5);
    t.backward(s);
    expect(t.gradArray(a)).toEqual([2, 4]);
    expect(t.gradArray(b)).toEqual([3, -4]);
  });

  it('grows its storage for a chain thousands of records long, and starts afresh after reset', () => {
    // s_{i+1} = tanh(w s_i + 0.3): with w = 1.1 the chain settles at a fixed point well away from
    // zero, so the gradient is a sizeable number that a wrong or missing backward step would change
    const t = new Tape();
    let s = t.vector([0.1]);
    const w = t.vector([1.1]), c = t.vector([0.3]);
    for (let i = 0; i < 20000; i++) s = t.tanh(t.add(t.mul(t.use(w), s), c));
    t.backward(t.halfSquaredNorm(s));
    let v = 0.1, dv = 0; // dv: d(s_i)/dw, forward-mode by hand
    for (let i = 0; i < 20000; i++) {
      const next = Math.tanh(1.1 * v + 0.3);
      dv = (1 - next * next) * (v + 1.1 * dv);
      v = next;
    }
    expect(Math.abs(v * dv)).toBeGreaterThan(0.1);
    const g = t.gradArray(w)[0]!;
    expect(Math.abs(g - v * dv) / Math.abs(v * dv)).toBeLessThan(1e-12);
    t.reset();
    expect(t.length).toBe(0);
    const z = t.vector([2]);
    expect(t.valueArray(z)).toEqual([2]);
  });

  it('sweeps only what the root depends on: an infinite value off the path leaves gradients finite', () => {
    const t = new Tape();
    const w = t.vector([0.5]);
    t.halfSquaredNorm(t.mul(t.use(w), t.vector([Infinity]))); // made, then not used by the root
    const x = t.vector([3]);
    const root = t.halfSquaredNorm(t.mul(t.use(w), x));
    t.backward(root);
    expect(t.gradArray(w)).toEqual([0.5 * 3 * 3]);
    expect(t.gradArray(x)).toEqual([0.5 * 0.5 * 3]);
  });

  it('refuses mismatched shapes', () => {
    expect(() => tape.add(A, x)).toThrow(/shapes 3×2 and 2×1/);
    expect(() => tape.matmul(x, A)).toThrow(/matmul/);
    expect(() => tape.sum([x, A])).toThrow(/sum: shapes/);
  });
});
