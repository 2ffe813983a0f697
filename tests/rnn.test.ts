import { describe, expect, it } from 'vitest';
import { rnnClosedForm, rnnForward, solveRnn, jacobianProduct, type RnnInstance } from '../src/index.js';
import { maxRelDiff, randomRnn, randomShape, rngFor } from './support/random-instances.js';

const PARAMS = ['U', 'W', 'V', 'b', 'c', 's0'] as const;

/** Central finite difference of the instance's loss in one entry of one parameter. */
function fdGradient(inst: RnnInstance, key: (typeof PARAMS)[number], h = 1e-6): number[][] {
  const param = inst[key] as number[] | number[][];
  const rows = (Array.isArray(param[0]) ? param : [param]) as number[][];
  return rows.map((row, r) => row.map((_, c) => {
    const at = (delta: number) => {
      const copy = structuredClone(inst);
      const p = copy[key] as number[] | number[][];
      if (Array.isArray(p[0])) (p as number[][])[r]![c]! += delta; else (p as number[])[c]! += delta;
      return rnnForward(copy).loss;
    };
    return (at(h) - at(-h)) / (2 * h);
  }));
}

const notesExample: RnnInstance = {
  model: 'rnn', U: [[0.5]], W: [[0.8]], V: [[1.2]], b: [0.1], c: [0], s0: [0],
  x: [[1], [0.5], [-1]], y: [[0], [0], [0.5]],
};

describe('the RNN solver (docs/math.md §2)', () => {
  it('agrees with the closed-form Jacobian-product recurrences on 200 random instances', () => {
    const rng = rngFor('rnn-closed-form');
    for (let n = 0; n < 200; n++) {
      const inst = randomRnn(rng, randomShape(rng, n % 2 === 1));
      const engine = solveRnn(inst), closed = rnnClosedForm(inst);
      for (const key of Object.keys(closed) as (keyof typeof closed)[]) {
        expect(maxRelDiff(engine[key], closed[key], 1e-300), `${key} on instance ${n}`).toBeLessThan(1e-10);
      }
    }
  });

  it('matches central finite differences of the loss for every parameter entry', () => {
    const rng = rngFor('rnn-fd');
    for (let n = 0; n < 40; n++) {
      const inst = randomRnn(rng, randomShape(rng, n % 2 === 1, 8));
      const sol = solveRnn(inst);
      const analytic = { U: sol.dL_dU, W: sol.dL_dW, V: sol.dL_dV, b: [sol.dL_db], c: [sol.dL_dc], s0: [sol.dL_ds0] };
      for (const key of PARAMS) {
        const fd = fdGradient(inst, key);
        fd.flat().forEach((g, i) => expect(analytic[key].flat()[i]).toBeCloseTo(g, 6));
      }
    }
  });

  it('gives ∂s_j/∂s_{j−1} that matches a finite difference of one step of the recurrence', () => {
    const inst = randomRnn(rngFor('rnn-jac'), { D: 2, H: 3, K: 1, T: 4, loss: 'last' });
    const sol = solveRnn(inst);
    const h = 1e-6;
    for (let j = 2; j <= 4; j++) {
      const step = (prev: number[]) => rnnForward({ ...inst, s0: prev, x: [inst.x[j - 1]!], y: [inst.y[j - 1]!] }).s[0]!;
      for (let col = 0; col < 3; col++) {
        const up = [...sol.s[j - 2]!], down = [...sol.s[j - 2]!];
        up[col]! += h; down[col]! -= h;
        const fd = step(up).map((v, row) => (v - step(down)[row]!) / (2 * h));
        fd.forEach((v, row) => expect(sol.ds_ds_prev[j - 1]![row]![col]).toBeCloseTo(v, 8));
      }
    }
  });

  describe('the notes\' T = 3 walk-through', () => {
    const sol = solveRnn(notesExample);
    const [s1, s2, s3] = sol.s.map((v) => v[0]!) as [number, number, number];
    const [x1, x2, x3] = [1, 0.5, -1], W = 0.8, V = 1.2;
    const dLdo = sol.o[2]![0]! - 0.5;

    it('splits ∂L₃/∂U into the three per-step terms of the notes, which sum to the total', () => {
      const term3 = dLdo * V * (1 - s3 ** 2) * x3;
      const term2 = dLdo * V * (1 - s3 ** 2) * W * (1 - s2 ** 2) * x2;
      const term1 = dLdo * V * (1 - s3 ** 2) * W * (1 - s2 ** 2) * W * (1 - s1 ** 2) * x1;
      expect(sol.dL_dU_by_step.map((m) => m[0]![0]!)).toEqual([term1, term2, term3].map((v) => expect.closeTo(v, 15)));
      expect(sol.dL_dU[0]![0]).toBeCloseTo(term1 + term2 + term3, 15);
    });

    it('uses the last-step loss L₃ by default', () => {
      expect(sol.loss).toBeCloseTo(0.5 * (0.5 - sol.o[2]![0]!) ** 2, 15);
      expect(sol.loss).toBe(sol.losses[2]);
    });

    it('writes ∂s_j/∂s_{j−1} as tanh\'(θ_j)·W', () => {
      sol.ds_ds_prev.forEach((m, j) => expect(m[0]![0]).toBeCloseTo((1 - Math.tanh(sol.theta[j]![0]!) ** 2) * W, 15));
    });
  });

  it('sums the per-step losses when the instance asks for "sum"', () => {
    const summed = solveRnn({ ...notesExample, loss: 'sum' });
    expect(summed.loss).toBeCloseTo(summed.losses.reduce((a, b) => a + b), 15);
    const perStep = [1, 2, 3].map((t) => solveRnn({ ...notesExample, x: notesExample.x.slice(0, t), y: notesExample.y.slice(0, t) }).dL_dU[0]![0]!);
    expect(summed.dL_dU[0]![0]).toBeCloseTo(perStep.reduce((a, b) => a + b), 14);
  });

  it('shows the notes\' t = 20 case: with small |W| the k = 1 term is negligible next to k = 20', () => {
    const rng = rngFor('t20');
    const inst: RnnInstance = {
      model: 'rnn', U: [[0.9]], W: [[0.3]], V: [[1]], b: [0], c: [0], s0: [0],
      x: Array.from({ length: 20 }, () => [rng() * 2 - 1]), y: Array.from({ length: 20 }, () => [1]),
    };
    const terms = solveRnn(inst).dL_dU_by_step.map((m) => Math.abs(m[0]![0]!));
    expect(terms[0]! / terms[19]!).toBeLessThan(1e-9);
    // the long-range factor is bounded by |W|^(T−k): every tanh' is at most 1
    const product = jacobianProduct(solveRnn(inst).ds_ds_prev, 1, 20)[0]![0]!;
    expect(Math.abs(product)).toBeLessThanOrEqual(0.3 ** 19);
  });

  it('makes the early terms explode when |W| is large and the states stay unsaturated', () => {
    const inst: RnnInstance = {
      model: 'rnn', U: [[0.01]], W: [[3]], V: [[1]], b: [0], c: [0], s0: [0],
      x: Array.from({ length: 6 }, (_, t) => [t % 2 === 0 ? 1 : -1]), y: Array.from({ length: 6 }, () => [1]),
    };
    const sol = solveRnn(inst);
    // states alternate around 0, so tanh' stays near 1 and |∏ ∂s_j/∂s_{j−1}| grows like 3^(T−k)
    expect(Math.abs(jacobianProduct(sol.ds_ds_prev, 1, 6)[0]![0]!)).toBeGreaterThan(1);
  });
});

describe('a loss the instance does not count', () => {
  it('does not touch the gradients, even when it overflows (loss "last": L_1 here is infinite)', () => {
    const inst: RnnInstance = {
      model: 'rnn', U: [[1]], W: [[0]], V: [[-1.5e308]], b: [0], c: [0.25], s0: [0],
      x: [[1], [0]], y: [[1.5e308], [0.1]], loss: 'last',
    };
    const sol = solveRnn(inst);
    expect(sol.losses[0]).toBe(Infinity);
    expect(sol.loss).toBeCloseTo(0.5 * 0.15 ** 2, 15);
    // s_2 = tanh(0) = 0, o_2 = c: only c and V (through s_2 = 0) see the error o_2 − y_2 = 0.15
    expect(sol.dL_dc[0]).toBeCloseTo(0.15, 15);
    expect(sol.dL_dV).toEqual([[0]]);
    for (const g of [sol.dL_dU, sol.dL_dW, [sol.dL_db], [sol.dL_ds0]]) for (const row of g) for (const v of row) expect(Number.isFinite(v)).toBe(true);
  });
});
