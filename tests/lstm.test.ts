import { describe, expect, it } from 'vitest';
import { lstmClosedForm, lstmForward, solveLstm, LSTM_BIASES, LSTM_WEIGHTS, type LstmInstance } from '../src/index.js';
import { lstmCellAcrossSteps } from '../src/models/lstm.js';
import { jacobianProduct } from '../src/models/rnn.js';
import { maxRelDiff, randomLstm, randomShape, rngFor } from './support/random-instances.js';

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const sigmaPrime = (x: number) => sigma(x) * (1 - sigma(x));
const tanhPrime = (x: number) => 1 - Math.tanh(x) ** 2;

describe('the LSTM solver (docs/math.md §3)', () => {
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

  describe('the true ∂c_T/∂c_1, through the whole state (c_t, h_t)', () => {
    /**
     * c_T as a function of c_1 itself: steps 2..T rerun from (c_1, h_1 = o_1 ⊙ tanh(c_1)), o_1
     * being computed before c_1 (from h_0 and x_1) and so unchanged.
     */
    const cellTFromCell1 = (inst: LstmInstance, c1: number[]) => {
      const o1 = lstmForward(inst).o[0]!;
      const run = lstmForward({ ...inst, c0: c1, h0: c1.map((c, a) => o1[a]! * Math.tanh(c)), x: inst.x.slice(1), y: inst.y.slice(1) });
      return run.c[run.c.length - 1]!;
    };
    const centralDifference = (inst: LstmInstance) => {
      const c1 = lstmForward(inst).c[0]!, eps = 1e-6;
      const H = c1.length;
      const columns = Array.from({ length: H }, (_, col) => {
        const up = c1.slice(), down = c1.slice();
        up[col]! += eps; down[col]! -= eps;
        const [cu, cd] = [cellTFromCell1(inst, up), cellTFromCell1(inst, down)];
        return cu.map((v, row) => (v - cd[row]!) / (2 * eps));
      });
      return Array.from({ length: H }, (_, row) => columns.map((c) => c[row]!));
    };

    for (const H of [1, 2]) {
      it(`matches central finite differences of the forward pass from a perturbed c_1 (H = ${H}), where the product of the per-step totals does not`, () => {
        const rng = rngFor(`cell-across-${H}`);
        let productMissed = 0;
        for (let n = 0; n < 20; n++) {
          const inst = randomLstm(rng, { D: 1 + (n % 2), H, K: 1, T: 3 + (n % 4), loss: 'last' }, 1.5);
          const fw = lstmForward(inst);
          const across = lstmCellAcrossSteps(inst, fw);
          const T = inst.x.length;
          expect(across.dc).toHaveLength(T);
          const fd = centralDifference(inst);
          expect(maxRelDiff(across.dc[T - 1], fd, 1e-300), `instance ${n}`).toBeLessThan(1e-6);
          const product = jacobianProduct(solveLstm(inst).dc_dc_prev, 1, T);
          if (maxRelDiff(product, fd, 1e-6) > 1e-4) productMissed++;
        }
        // the output-gate path is real: leaving it out shows on most random instances
        expect(productMissed).toBeGreaterThan(15);
      });
    }

    it('is the product of the per-step totals when the output gate does not read h (W_ho = 0), and the total itself over one step', () => {
      const rng = rngFor('cell-across-who0');
      for (let n = 0; n < 20; n++) {
        const inst = randomLstm(rng, { D: 1, H: 1 + (n % 3), K: 1, T: 2 + (n % 4), loss: 'last' }, 1.5);
        const T = inst.x.length;
        const still = { ...inst, Who: inst.Who.map((row) => row.map(() => 0)) };
        const sol = solveLstm(still);
        const across = lstmCellAcrossSteps(still, lstmForward(still));
        expect(maxRelDiff(across.dc[T - 1], jacobianProduct(sol.dc_dc_prev, 1, T), 1e-12)).toBeLessThan(1e-9);
        const one = lstmCellAcrossSteps(inst, lstmForward(inst), T - 1);
        expect(maxRelDiff(one.dc[1], solveLstm(inst).dc_dc_prev[T - 1], 1e-12)).toBeLessThan(1e-9);
      }
    });
  });
});
