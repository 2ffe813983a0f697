import { describe, expect, it } from 'vitest';
import { lstmClosedForm, lstmForward, solveLstm, LSTM_BIASES, LSTM_WEIGHTS, type LstmInstance } from '../src/index.js';
import { maxRelDiff, randomLstm, randomShape, rngFor } from './support/random-instances.js';

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const sigmaPrime = (x: number) => sigma(x) * (1 - sigma(x));
const tanhPrime = (x: number) => 1 - Math.tanh(x) ** 2;

describe('the LSTM solver (MATH.md §3)', () => {
  it('agrees with the hand-written BPTT recurrences on 200 random instances', () => {
    const rng = rngFor('lstm-closed-form');
    for (let n = 0; n < 200; n++) {
      const inst = randomLstm(rng, randomShape(rng, n % 2 === 1));
      const engine = solveLstm(inst), closed = lstmClosedForm(inst);
      for (const key of Object.keys(closed) as (keyof typeof closed)[]) {
        expect(maxRelDiff(engine[key], closed[key], 1e-300), `${key} on instance ${n}`).toBeLessThan(1e-10);
      }
    }
  });

  it('matches central finite differences of the loss for every weight and bias entry', () => {
    const rng = rngFor('lstm-fd');
    const h = 1e-6;
    for (let n = 0; n < 12; n++) {
      const inst = randomLstm(rng, randomShape(rng, n % 2 === 1, 6));
      const sol = solveLstm(inst) as unknown as Record<string, number[] | number[][]>;
      for (const key of [...LSTM_WEIGHTS, ...LSTM_BIASES, 'V', 'by', 'h0', 'c0'] as const) {
        const analytic = [sol[`dL_d${key}`]!].flat(2) as number[];
        const flat = [inst[key]].flat(2) as number[];
        flat.forEach((_, idx) => {
          const at = (delta: number) => {
            const copy = structuredClone(inst);
            const p = copy[key];
            if (Array.isArray(p[0])) { const cols = (p[0] as number[]).length; (p as number[][])[Math.floor(idx / cols)]![idx % cols]! += delta; } else (p as number[])[idx]! += delta;
            return lstmForward(copy).loss;
          };
          expect(analytic[idx]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 6);
        });
      }
    }
  });

  it('computes the total ∂c_t/∂c_{t−1} with the scalar formula of the notes', () => {
    const inst = randomLstm(rngFor('scalar-cell'), { D: 1, H: 1, K: 1, T: 5, loss: 'last' }, 1.5);
    const sol = solveLstm(inst);
    const v = (name: keyof typeof sol, t: number) => (sol[name] as number[][])[t - 1]![0]!;
    for (let t = 2; t <= 5; t++) {
      const expected = v('f', t) + v('o', t - 1) * tanhPrime(v('c', t - 1)) * (
        v('c', t - 1) * sigmaPrime(v('af', t)) * inst.Whf[0]![0]! +
        v('g', t) * sigmaPrime(v('ai', t)) * inst.Whi[0]![0]! +
        v('i', t) * tanhPrime(v('ag', t)) * inst.Whg[0]![0]!);
      expect(sol.dc_dc_prev[t - 1]![0]![0]).toBeCloseTo(expected, 14);
      expect(sol.dc_dc_prev_direct[t - 1]![0]![0]).toBe(v('f', t));
    }
    expect(sol.dc_dc_prev[0]).toEqual(sol.dc_dc_prev_direct[0]);
  });

  it('gives a total ∂c_t/∂c_{t−1} that matches a finite difference with o_{t−1} held fixed', () => {
    const inst = randomLstm(rngFor('vector-cell'), { D: 2, H: 3, K: 2, T: 4, loss: 'sum' }, 1.2);
    const sol = solveLstm(inst);
    const h = 1e-6;
    for (let t = 2; t <= 4; t++) {
      // one step of the cell from c_{t−1}: h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1}) moves with it
      const cellAfter = (cPrev: number[]) => {
        const hPrev = cPrev.map((c, a) => sol.o[t - 2]![a]! * Math.tanh(c));
        return lstmForward({ ...inst, h0: hPrev, c0: cPrev, x: [inst.x[t - 1]!], y: [inst.y[t - 1]!] }).c[0]!;
      };
      for (let col = 0; col < 3; col++) {
        const up = [...sol.c[t - 2]!], down = [...sol.c[t - 2]!];
        up[col]! += h; down[col]! -= h;
        const [cu, cd] = [cellAfter(up), cellAfter(down)];
        cu.forEach((_, row) => expect(sol.dc_dc_prev[t - 1]![row]![col]).toBeCloseTo((cu[row]! - cd[row]!) / (2 * h), 8));
      }
    }
  });

  it('splits the notes\' ∂L₃/∂W_hf into per-step terms that sum to the total', () => {
    const inst = randomLstm(rngFor('whf'), { D: 1, H: 1, K: 1, T: 3, loss: 'last' });
    const sol = solveLstm(inst);
    expect(sol.dL_dWhf_by_step).toHaveLength(3);
    const sum = sol.dL_dWhf_by_step.reduce((acc, m) => acc + m[0]![0]!, 0);
    expect(sol.dL_dWhf[0]![0]).toBeCloseTo(sum, 15);
    // the k = 1 term is zero when h_0 = 0: ∂f_1/∂W_hf^(1) = σ'(a^f_1)·h_0
    const zeroStart = solveLstm({ ...inst, h0: [0] });
    expect(zeroStart.dL_dWhf_by_step[0]![0]![0]).toBe(0);
  });

  it('keeps the cell path alive where the RNN factor vanishes: f_t near 1 gives ∏ ∂c_t/∂c_{t−1} near 1', () => {
    const T = 20;
    const inst: LstmInstance = {
      model: 'lstm', Wxf: [[0]], Wxi: [[0.5]], Wxg: [[0.5]], Wxo: [[0.5]], Whf: [[0]], Whi: [[0]], Whg: [[0]], Who: [[0]],
      bf: [6], bi: [-2], bg: [0], bo: [0], V: [[1]], by: [0], h0: [0], c0: [0.5],
      x: Array.from({ length: T }, () => [0.3]), y: Array.from({ length: T }, () => [0]),
    };
    const sol = solveLstm(inst);
    const product = sol.dc_dc_prev.slice(1).reduce((acc, m) => acc * m[0]![0]!, 1);
    expect(product).toBeGreaterThan(0.9);
  });
});
