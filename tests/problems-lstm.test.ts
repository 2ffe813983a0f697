import { describe, expect, it } from 'vitest';
import { allWithinTolerance, type Tolerance } from '../src/contract/tolerance.js';
import { byHand, EXACT } from '../src/models/convention.js';
import { LSTM_GATES, type LstmInstance } from '../src/models/instance.js';
import { lstmCellAcrossSteps, lstmForward, solveLstm } from '../src/models/lstm.js';
import { conceptMemoryAnswers, conceptMemoryType, NEAR_ONE_CHOICES, richChoice } from '../src/problems/concept-memory.js';
import { texValue } from '../src/problems/format.js';
import { drawQuestion, type DrawStats, type GeneratedQuestion } from '../src/problems/generate.js';
import { lstmBackwardByRoutes, lstmBpttType } from '../src/problems/lstm-bptt.js';
import { lstmCellJacobianType } from '../src/problems/lstm-cell-jacobian.js';
import { lstmForwardType } from '../src/problems/lstm-forward.js';
import { comparableRnn, drawLstm, lstmParams, throughHPaths } from '../src/problems/lstm-params.js';
import { rngFrom } from '../src/problems/random.js';
import { problemType } from '../src/problems/registry.js';
import type { AnyProblemType } from '../src/problems/types.js';
import { maxRelDiff, randomLstm, randomShape, rngFor } from './support/random-instances.js';

const DRAWS = 30;
const STYLE = { digits: 4, generator: 1 };
const tolerance = (): Tolerance => ({ rtol: 0.01, atol: 1e-4 });

const CASES: [AnyProblemType, Record<string, unknown>][] = [
  [lstmForwardType, {}],
  [lstmForwardType, { hidden: 2, inputs: 2 }],
  [lstmForwardType, { hidden: 3, outputs: 2, loss: 'sum', steps: 3 }],
  [lstmForwardType, { regime: 'remember' }],
  [lstmForwardType, { regime: 'forget', initialState: 'random' }],
  [lstmCellJacobianType, {}],
  [lstmCellJacobianType, { hidden: 2 }],
  [lstmCellJacobianType, { hidden: 3, steps: 4, step: 3 }],
  [lstmCellJacobianType, { regime: 'remember', steps: 5 }],
  [lstmCellJacobianType, { regime: 'forget', giveForward: false }],
  [lstmCellJacobianType, { steps: 2 }],
  [lstmBpttType, {}],
  [lstmBpttType, { wrt: 'Wxi', hidden: 2 }],
  [lstmBpttType, { wrt: 'Who', hidden: 3, loss: 'sum' }],
  [lstmBpttType, { wrt: 'Whg', initialState: 'random' }],
  [lstmBpttType, { wrt: 'Wxo', steps: 4 }],
  [lstmBpttType, { wrt: 'Wxf', regime: 'remember' }],
  [lstmBpttType, { wrt: 'Whi', hidden: 2, inputs: 2, outputs: 2, loss: 'sum' }],
  [lstmBpttType, { wrt: 'Wxg', steps: 1 }],
  [lstmBpttType, { wrt: 'Who', steps: 1, giveForward: false }],
  [conceptMemoryType, {}],
  [conceptMemoryType, { regime: 'forget' }],
  [conceptMemoryType, { regime: 'any', steps: 8 }],
  [conceptMemoryType, { hidden: 2, steps: 10 }],
  [conceptMemoryType, { hidden: 3, steps: 6, step: 2 }],
];


for (const [type, raw] of CASES) {
  const label = JSON.stringify(raw);
  // erased params: these tests read the LSTM params every case shares
  const params = type.params.parse(raw) as { regime: string; hidden: number; outputs: number };
  const stats: DrawStats = { draws: 0, rejected: {} };
  const rng = rngFrom(`problems-lstm|${type.id}|${label}`);
  const questions: GeneratedQuestion[] = Array.from({ length: DRAWS }, () => drawQuestion(type, rng, params, STYLE, tolerance, stats));

  describe(`${type.id} with params ${label}`, () => {
    it('computes every part by the closed forms exactly as the solver does', () => {
      for (const q of questions) for (const p of q.parts) {
        if (p.spec.kind === 'choice') {
          // choice parts carry no calc; their closed-form answers are checked below
          expect(p.spec.calc).toBeUndefined();
          continue;
        }
        expect(p.spec.calc, p.spec.key).toBeDefined();
        expect(maxRelDiff(p.spec.calc!(EXACT), p.answer, 1e-12), `${p.spec.key} of ${JSON.stringify(q.instance)}`).toBeLessThan(1e-9);
      }
    });

    it('gives finite answers of the part\'s kind, and choice answers among the choices', () => {
      for (const q of questions) {
        expect(new Set(q.parts.map((p) => p.spec.key)).size).toBe(q.parts.length);
        for (const p of q.parts) {
          if (p.spec.kind === 'choice') {
            expect(p.spec.choices).toContain(p.answer);
            for (const choice of p.spec.choices ?? []) expect(choice).not.toContain('$');
          } else {
            expect(typeof p.answer).not.toBe('string');
            expect([p.answer].flat(2).every((v) => typeof v === 'number' && Number.isFinite(v)), p.spec.key).toBe(true);
            if (p.spec.kind === 'number') expect(typeof p.answer).toBe('number');
            if (p.spec.kind === 'vector') expect((p.answer as number[]).every((v) => typeof v === 'number')).toBe(true);
            if (p.spec.kind === 'matrix') expect((p.answer as number[][]).every((row) => Array.isArray(row))).toBe(true);
          }
        }
      }
    });

    it('keeps every catalogued mistake outside tolerance and the by-hand answer inside it', () => {
      for (const q of questions) for (const p of q.parts) {
        for (const m of p.mistakes) expect(allWithinTolerance(p.answer, m.value, p.tolerance), `${p.spec.key} ${m.id}`).toBe(false);
        if (p.spec.kind !== 'choice') expect(allWithinTolerance(p.answer, p.spec.calc!(byHand(STYLE.digits)), p.tolerance), p.spec.key).toBe(true);
      }
    });

    it('recomputes every follow-through part exactly from the exact earlier answers', () => {
      for (const q of questions) {
        const byKey = Object.fromEntries(q.parts.map((p) => [p.spec.key, p.answer]));
        for (const p of q.parts) {
          if (!p.spec.followThrough) continue;
          expect(p.spec.dependsOn?.length, p.spec.key).toBeGreaterThan(0);
          const earlier = Object.fromEntries((p.spec.dependsOn ?? []).map((k) => [k, byKey[k]]));
          const value = p.spec.followThrough(earlier);
          expect(value, p.spec.key).not.toBeNull();
          expect(maxRelDiff(value, p.answer, 1e-12), p.spec.key).toBeLessThan(1e-9);
          // a missing earlier answer gives no follow-through value rather than a wrong one
          expect(p.spec.followThrough({ ...earlier, [p.spec.dependsOn![0]!]: undefined }), p.spec.key).toBeNull();
        }
      }
    });

    it('works each solution through to the answer as the sheet prints it', () => {
      for (const q of questions) for (const p of q.parts) {
        const steps = p.spec.solution(q.solution);
        // a choice is quoted with its weights in TeX (W_hf as $W_{hf}$)
        const printed = typeof p.answer === 'string' ? richChoice(p.answer) : texValue(p.answer, STYLE.digits);
        expect(steps.some((s) => (s.math ?? '').includes(printed) || (s.text ?? '').includes(printed)), `${p.spec.key}: ${printed}`).toBe(true);
      }
    });

    it('needs few redraws (under 12 draws a question on average)', () => {
      expect(stats.draws / DRAWS, JSON.stringify(stats)).toBeLessThan(12);
    });

    if (params.regime === 'remember' || params.regime === 'forget') {
      it(`keeps every forget gate in the '${params.regime}' regime`, () => {
        for (const q of questions) {
          const f = (q.solution as ReturnType<typeof solveLstm>).f.flat();
          if (params.regime === 'remember') expect(Math.min(...f)).toBeGreaterThanOrEqual(0.9);
          else expect(Math.max(...f)).toBeLessThanOrEqual(0.5);
        }
      });
    }

    if (params.hidden > 1) {
      it(`gives answers shaped by H = ${params.hidden}`, () => {
        const H = params.hidden as number;
        for (const q of questions) for (const p of q.parts) {
          if (p.spec.kind === 'choice' || p.spec.kind === 'number') continue;
          expect((p.answer as unknown[]).length, p.spec.key).toBe(p.spec.kind === 'vector' && p.spec.symbol?.includes('hat y') ? params.outputs : H);
        }
      });
    }
  });
}

describe('the LSTM problem types together', () => {
  it('are all in the registry under their ids', () => {
    for (const type of [lstmForwardType, lstmCellJacobianType, lstmBpttType, conceptMemoryType]) expect(problemType(type.id)).toBe(type);
  });

  it('draw only nonzero weights, on the bank\'s grids, with h_0 = c_0 = 0 by default', () => {
    const rng = rngFrom('draw-lstm');
    const p = lstmParams.parse({ hidden: 3, inputs: 2 });
    for (let n = 0; n < 50; n++) {
      const inst = drawLstm(rng, p);
      for (const w of ['Wxf', 'Wxi', 'Wxg', 'Wxo', 'Whf', 'Whi', 'Whg', 'Who', 'V'] as const) {
        expect(inst[w].flat().every((v) => v !== 0 && Math.abs(v) <= 1 && Math.abs(Math.round(v * 10) - v * 10) < 1e-9), w).toBe(true);
      }
      expect([...inst.h0, ...inst.c0].every((v) => v === 0)).toBe(true);
      expect(inst.Whf.length).toBe(3);
      expect(inst.Wxf[0]!.length).toBe(2);
    }
  });

  it('reject a step beyond the number of steps, at the path of the step', () => {
    for (const type of [lstmCellJacobianType, conceptMemoryType]) {
      const result = type.params.safeParse({ steps: 3, step: 4 });
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.path).toEqual(['step']);
    }
  });

  it('build the comparable RNN from the candidate-memory weights, h_0 and the same inputs', () => {
    const inst = drawLstm(rngFrom('comparable'), lstmParams.parse({ hidden: 2, inputs: 3, initialState: 'random' }));
    const rnn = comparableRnn(inst);
    expect(rnn).toMatchObject({ model: 'rnn', U: inst.Wxg, W: inst.Whg, b: inst.bg, s0: inst.h0, x: inst.x, V: inst.V, c: inst.by, y: inst.y });
  });
});

describe('the worked solutions of lstm.bptt', () => {
  it('follow the notes\' routes to the same gate errors δ^G_t as the solver, on random instances', () => {
    const rng = rngFor('lstm-routes');
    for (let n = 0; n < 60; n++) {
      const inst = randomLstm(rng, randomShape(rng, n % 2 === 1, 6));
      const sol = solveLstm(inst);
      const routes = lstmBackwardByRoutes(inst, sol);
      routes.forEach((step, t) => {
        for (const G of LSTM_GATES) expect(maxRelDiff(step.delta[G], sol[`dL_db${G}_by_step`][t], 1e-14), `δ^${G}_${t + 1}`).toBeLessThan(1e-9);
      });
      expect(maxRelDiff(routes[0]!.dc.map((v, a) => v * sol.f[0]![a]!), sol.dL_dc0, 1e-14)).toBeLessThan(1e-9);
    }
  });
});

describe('the cell Jacobian parts', () => {
  it('split the total ∂c_t/∂c_{t−1} into f_t and the three paths through h_{t−1}', () => {
    const rng = rngFor('lstm-paths');
    for (let n = 0; n < 60; n++) {
      const inst: LstmInstance = randomLstm(rng, { ...randomShape(rng, n % 2 === 1, 6), T: 2 + (n % 5) });
      const sol = solveLstm(inst);
      for (let t = 2; t <= inst.x.length; t++) {
        const [f, i, g] = throughHPaths(inst, lstmForward(inst), t);
        const rebuilt = sol.dc_dc_prev_direct[t - 1]!.map((row, a) => row.map((v, b) => v + f[a]![b]! + i[a]![b]! + g[a]![b]!));
        expect(maxRelDiff(rebuilt, sol.dc_dc_prev[t - 1], 1e-14)).toBeLessThan(1e-9);
      }
    }
  });
});

describe('concept.memory', () => {
  const draw = (raw: Record<string, unknown>, seed: string, n = DRAWS) => {
    const rng = rngFrom(seed);
    const params = conceptMemoryType.params.parse(raw);
    return Array.from({ length: n }, () => drawQuestion(conceptMemoryType, rng, params, STYLE, tolerance));
  };

  it('answers its choice parts from the closed forms as from the solver, exactly and rounded to the sheet\'s digits (the answers are clear-cut)', () => {
    const cases: [Record<string, unknown>, string][] = [[{}, 'concept-round'], [{ regime: 'any', hidden: 2, steps: 12 }, 'concept-round-2'], [{ hidden: 3, steps: 6, step: 2 }, 'concept-round-3']];
    for (const [raw, seed] of cases) for (const q of draw(raw, seed)) {
      const inst = q.instance as LstmInstance;
      const tau = (raw.step as number | undefined) ?? inst.x.length;
      for (const conv of [EXACT, byHand(STYLE.digits)]) {
        expect(conceptMemoryAnswers(inst, tau, conv)).toEqual({ path: q.parts[0]!.answer, nearOne: q.parts[1]!.answer });
      }
    }
  });

  it('mostly finds the LSTM cell factor near 1 when the forget gate remembers, and never when it forgets', () => {
    const nearOne = (qs: GeneratedQuestion[]) => qs.filter((q) => ['the LSTM cell factor', 'both'].includes(q.parts[1]!.answer as string)).length;
    expect(nearOne(draw({ regime: 'remember' }, 'concept-remember'))).toBeGreaterThanOrEqual(DRAWS / 2);
    expect(nearOne(draw({ regime: 'forget' }, 'concept-forget'))).toBe(0);
    expect(NEAR_ONE_CHOICES).toContain('the LSTM cell factor');
  });

  it('gives the notes\' answer to which weights steer ∂c_t/∂c_{t−1}: W_hf, W_hi and W_hg', () => {
    for (const q of draw({}, 'concept-steer', 3)) expect(q.parts[2]!.answer).toBe('W_hf, W_hi and W_hg');
  });
});

describe('the worked solution of the cell factor ∏ ∂c_t/∂c_{t−1}', () => {
  it('says what the product is and shows the true ∂c_T/∂c_1 through (c_t, h_t) beside it', () => {
    for (const raw of [{}, { hidden: 2, steps: 4 }, { regime: 'remember', steps: 5 }]) {
      const rng = rngFrom(`true-cell-jacobian|${JSON.stringify(raw)}`);
      const params = lstmCellJacobianType.params.parse(raw);
      for (let n = 0; n < 5; n++) {
        const q = drawQuestion(lstmCellJacobianType, rng, params, STYLE, tolerance);
        const inst = q.instance as LstmInstance;
        const sol = q.solution as ReturnType<typeof solveLstm>;
        const T = inst.x.length;
        const product = q.parts.find((p) => p.spec.prompt.startsWith('the cell factor'))!;
        const printed = product.spec.solution(sol).map((s) => `${s.text ?? ''} ${s.math ?? ''}`).join('\n');
        expect(printed).not.toMatch(/chain rule from/);
        expect(printed).toContain(`This product is not $\\partial c_{${T}}/\\partial c_1$`);
        expect(printed).toContain(`\\partial c_{${T}}/\\partial c_1 = ${texValue(lstmCellAcrossSteps(inst, sol).dc[T - 1]!, STYLE.digits)}$`);
        expect(printed).toContain(`the product of the totals, $${texValue(product.answer, STYLE.digits)}$`);
      }
    }
  });
});
