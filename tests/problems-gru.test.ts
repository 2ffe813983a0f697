/**
 * The gru.forward and gru.state-jacobian problem types (docs/math.md §5.1, §5.2): the closed forms agree with the solver, mistakes
 * stay outside tolerance and the by-hand answer inside, follow-through recomputes each part from
 * the exact earlier answers, the worked solution ends at the printed answer, and a bank of GRU
 * questions passes the audit (built here; the shipped one, question-banks/gru.json, is audited with the others).
 */
import { describe, expect, it } from 'vitest';
import { allWithinTolerance, type Tolerance } from '../src/contract/tolerance.js';
import { byHand, EXACT } from '../src/models/convention.js';
import { auditBank } from '../src/problems/audit.js';
import { parseBank } from '../src/problems/bank.js';
import { texValue } from '../src/problems/format.js';
import { drawQuestion, type DrawStats, type GeneratedQuestion } from '../src/problems/generate.js';
import { gruForwardType } from '../src/problems/gru-forward.js';
import { gruStateJacobianType } from '../src/problems/gru-state-jacobian.js';
import { rngFrom } from '../src/problems/random.js';
import type { AnyProblemType } from '../src/problems/types.js';
import { maxRelDiff } from './support/random-instances.js';

const DRAWS = 30;
const STYLE = { digits: 4, generator: 1 };
const tolerance = (): Tolerance => ({ rtol: 0.01, atol: 1e-4 });

const CASES: [AnyProblemType, Record<string, unknown>][] = [
  [gruForwardType, {}],
  [gruForwardType, { hidden: 2, inputs: 2 }],
  [gruForwardType, { hidden: 3, outputs: 2, loss: 'sum', steps: 3 }],
  [gruForwardType, { initialState: 'random', steps: 1 }],
  [gruForwardType, { biases: false, steps: 5 }],
  [gruStateJacobianType, {}],
  [gruStateJacobianType, { hidden: 2 }],
  [gruStateJacobianType, { hidden: 3, steps: 4, step: 2, initialState: 'random' }],
  [gruStateJacobianType, { giveForward: false, hidden: 2, loss: 'sum' }],
  [gruStateJacobianType, { steps: 1 }],
  [gruStateJacobianType, { giveForward: false, steps: 2, step: 1 }],
];

for (const [type, raw] of CASES) {
  const label = JSON.stringify(raw);
  const params = type.params.parse(raw) as { hidden: number; steps: number };
  const stats: DrawStats = { draws: 0, rejected: {} };
  const rng = rngFrom(`problems-gru|${type.id}|${label}`);
  const questions: GeneratedQuestion[] = Array.from({ length: DRAWS }, () => drawQuestion(type, rng, params, STYLE, tolerance, stats));

  describe(`${type.id} with params ${label}`, () => {
    it('asks parts shaped by H', () => {
      for (const q of questions) {
        expect(q.instance.model).toBe('gru');
        if (type === gruForwardType) {
          expect(q.parts).toHaveLength(4 * params.steps + 2);
          for (const p of q.parts.slice(0, -2)) expect([p.answer].flat()).toHaveLength(params.hidden);
        } else {
          const g = params as unknown as { giveForward: boolean };
          expect(q.parts).toHaveLength((g.giveForward || params.hidden > 1 ? 2 : 3) + params.steps + (params.steps >= 2 ? 1 : 0));
          for (const p of q.parts) expect([p.answer].flat(2)).toHaveLength(params.hidden ** 2);
        }
      }
    });

    it('computes every part by the closed forms exactly as the solver does', () => {
      for (const q of questions) for (const p of q.parts) {
        expect(p.spec.calc, p.spec.key).toBeDefined();
        expect(maxRelDiff(p.spec.calc!(EXACT), p.answer, 1e-12), `${p.spec.key} of ${JSON.stringify(q.instance)}`).toBeLessThan(1e-9);
        expect([p.answer].flat(2).every((v) => typeof v === 'number' && Number.isFinite(v)), p.spec.key).toBe(true);
      }
    });

    it('keeps every catalogued mistake outside tolerance and the by-hand answer inside it', () => {
      for (const q of questions) for (const p of q.parts) {
        for (const m of p.mistakes) expect(allWithinTolerance(p.answer, m.value, p.tolerance), `${p.spec.key} ${m.id}`).toBe(false);
        expect(allWithinTolerance(p.answer, p.spec.calc!(byHand(STYLE.digits)), p.tolerance), p.spec.key).toBe(true);
      }
    });

    it('recomputes every follow-through part exactly from the exact earlier answers', () => {
      for (const q of questions) {
        const byKey = Object.fromEntries(q.parts.map((p) => [p.spec.key, p.answer]));
        for (const p of q.parts) {
          if (!p.spec.followThrough) continue;
          const earlier = Object.fromEntries((p.spec.dependsOn ?? []).map((k) => [k, byKey[k]]));
          const value = p.spec.followThrough(earlier);
          expect(value, p.spec.key).not.toBeNull();
          expect(maxRelDiff(value, p.answer, 1e-12), p.spec.key).toBeLessThan(1e-9);
          expect(p.spec.followThrough({ ...earlier, [p.spec.dependsOn![0]!]: undefined }), p.spec.key).toBeNull();
        }
      }
    });

    it('works each solution through to the answer as the sheet prints it', () => {
      for (const q of questions) for (const p of q.parts) {
        const printed = texValue(p.answer, STYLE.digits);
        expect(p.spec.solution(q.solution).some((s) => (s.math ?? '').includes(printed)), `${p.spec.key}: ${printed}`).toBe(true);
      }
    });
  });
}

describe('a bank of GRU questions', () => {
  it('passes the audit at N = 100', () => {
    const bank = parseBank({
      format: 'gradsheet.bank/1', generator: 2, id: 'gru-test', title: 'GRU', digits: 4,
      questions: [
        { id: 'q1', type: 'gru.forward', title: 'GRU forward pass', params: { steps: 2 } },
        { id: 'q2', type: 'gru.forward', title: 'A vector GRU', params: { hidden: 2, inputs: 2, steps: 2, loss: 'sum', initialState: 'random' } },
        { id: 'q3', type: 'gru.state-jacobian', title: 'The state Jacobian', params: { steps: 3 } },
        { id: 'q4', type: 'gru.state-jacobian', title: 'A vector state Jacobian', params: { hidden: 2, steps: 2, giveForward: false } },
        { id: 'q5', type: 'gru.state-jacobian', title: 'A scalar state Jacobian by hand', params: { steps: 2, giveForward: false } },
      ],
    });
    const report = auditBank(bank, { count: 100 });
    expect(report.violations).toEqual([]);
  });
});
