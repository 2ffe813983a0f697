/**
 * Formula answers (part kind `expression`, src/contract/formula.ts): what students type is read
 * (Unicode scripts and minus, implicit products, s3 for s_3) and checked against an allow-list;
 * two formulas are the same when they agree at random points of the symbols, derived symbols
 * computed from the free ones; the grader marks a formula part right, names a catalogued mistake
 * written as a formula, and says in one sentence why an input is not a formula.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formulaPoints, loadFormulas, normaliseFormula, readFormula, sameFormula, type FormulaSymbol } from '../src/contract/formula.js';
import { Grader } from '../src/grade/grade.js';
import type { KeyVariant } from '../src/problems/key.js';

beforeAll(loadFormulas);

/** The notes' scalar RNN S_t = tanh(U x_t + W S_{t−1}), two steps: S₁ and S₂ derived from the free symbols. */
const SYMBOLS: FormulaSymbol[] = [
  { name: 'U', tex: 'U', range: [-1.5, 1.5] }, { name: 'W', tex: 'W', range: [-1.5, 1.5] },
  { name: 'x_1', tex: 'x_1' }, { name: 'x_2', tex: 'x_2' }, { name: 'S_0', tex: 'S_0', range: [-0.5, 0.5] },
  { name: 'S_1', tex: 'S_1', derived: 'tanh(U*x_1 + W*S_0)' }, { name: 'S_2', tex: 'S_2', derived: 'tanh(U*x_2 + W*S_1)' },
];
const ANSWER = '(1 - S_2^2) * (x_2 + W * (1 - S_1^2) * x_1)';

/** ∂S₂/∂U by central differences in U, at one point of the free symbols: the formula checked against the model, not against itself. */
function numericDerivative(p: Record<string, number>): number {
  const s2 = (u: number) => Math.tanh(u * p.x_2! + p.W! * Math.tanh(u * p.x_1! + p.W! * p.S_0!));
  const h = 1e-6;
  return (s2(p.U! + h) - s2(p.U! - h)) / (2 * h);
}

describe('reading a formula', () => {
  it('reads what students type: scripts, Unicode minus and dots, implicit products, names without the underscore', () => {
    expect(normaliseFormula('(1−S₂²)·(x₂ + W(1−S₁²)x₁)')).toBe('(1-S_2^(2))*(x_2 + W(1-S_1^(2))x_1)');
    expect(normaliseFormula('ｓ３ × ２')).toBe('s_3 * 2');
    const points = formulaPoints(SYMBOLS, 'q1.b');
    const want = readFormula(ANSWER, SYMBOLS);
    expect(want.ok).toBe(true);
    for (const typed of ['(1−S₂²)(x₂ + W(1−S₁²)x₁)', '(1-s2^2)*(x2+w*(1-s1^2)*x1)', '(1 - tanh(U x_2 + W S_1)^2)(x_2 + W(1-S_1^2)x_1)', 'x_2*(1-S_2^2) + W*x_1*(1-S_1^2)*(1-S_2^2)']) {
      const r = readFormula(typed, SYMBOLS);
      expect(r.ok, typed).toBe(true);
      if (r.ok && want.ok) expect(sameFormula(want.at, r.at, points), typed).toBe(true);
    }
  });

  it('agrees with the model: the expected formula is ∂S₂/∂U, by finite differences at the comparison points', () => {
    const want = readFormula(ANSWER, SYMBOLS);
    if (!want.ok) throw new Error(want.why);
    for (const p of formulaPoints(SYMBOLS, 'q1.b')) expect(want.at(p)).toBeCloseTo(numericDerivative(p), 6);
  });

  it('tells different formulas apart (the last term only, tanh for tanh\', a sign)', () => {
    const points = formulaPoints(SYMBOLS, 'q1.b');
    const want = readFormula(ANSWER, SYMBOLS);
    if (!want.ok) throw new Error(want.why);
    for (const wrong of ['(1 - S_2^2) * x_2', 'S_2 * (x_2 + W * S_1 * x_1)', '-(1 - S_2^2) * (x_2 + W * (1 - S_1^2) * x_1)', '(1 - S_2^2) * (x_2 + W * x_1)']) {
      const r = readFormula(wrong, SYMBOLS);
      if (!r.ok) throw new Error(r.why);
      expect(sameFormula(want.at, r.at, points), wrong).toBe(false);
    }
  });

  it('says in one sentence what is not a formula, naming the culprit', () => {
    const why = (t: string) => {
      const r = readFormula(t, SYMBOLS);
      return r.ok ? 'read' : r.why;
    };
    expect(why('S_3 + 1')).toMatch(/uses "S_3", which is not one of this part's symbols \(U, W, x_1, x_2, S_0, S_1, S_2\)/);
    expect(why('foo(S_1)')).toMatch(/calls "foo", which is not a function/);
    expect(why('S_1 = 2')).toMatch(/is not a formula: it holds "="/);
    expect(why('2 +')).toMatch(/is not read as a formula: Unexpected end of expression/);
    expect(why('x_2 % 3')).toMatch(/uses "%"/);
    expect(why('tanh + 1')).toMatch(/uses tanh without its argument/);
    expect(why('[1, 2]')).toMatch(/is not a formula/);
    expect(why('x'.repeat(600))).toMatch(/at most 500/);
    expect(why('')).toBe('is empty');
    // nothing is ever evaluated by the parser: an assignment or a function definition is refused before any use
    expect(why('f(x) = x')).toMatch(/is not a formula/);
  });
});

describe('grading a formula part', () => {
  const key = {
    digits: 4,
    variants: [{
      code: 'AAAA-BBBB', student: '', name: '',
      questions: [{
        id: 'q1', type: 'none', title: 'The recursion', instance: { model: 'rnn' }, params: {},
        parts: [{
          id: 'q1.b', kind: 'expression', answer: ANSWER, points: 2, prompt: '$\\partial S_2/\\partial U$', shape: [], symbols: SYMBOLS,
          mistakes: [{ id: 'last-term-only', value: '(1 - S_2^2) * x_2' }, { id: 'tanh-prime-as-tanh', value: 'S_2 * (x_2 + W * S_1 * x_1)' }],
        }],
      }],
    }],
  } as unknown as { digits: number; variants: KeyVariant[] };
  const grader = Grader.fromKey(key, { reveal: false });
  const grade = (answer: unknown) => grader.grade({ format: 'gradsheet.submission/1', worksheet: 'AAAA-BBBB', answers: { 'q1.b': answer } }).parts[0]!;

  it('marks an equivalent formula right, whatever its form', () => {
    expect(grade('(1−S₂²)(x₂ + W(1−S₁²)x₁)')).toMatchObject({ status: 'correct', score: 2 });
    expect(grade('(1-tanh(U*x_2+W*S_1)^2)*(x_2 + W*(1-S_1^2)*x_1)')).toMatchObject({ status: 'correct', score: 2 });
  });

  it('names the catalogued mistake a wrong formula makes, and the sign', () => {
    expect(grade('(1 - S_2^2) x_2')).toMatchObject({ status: 'incorrect', score: 0, mistake: 'last-term-only' });
    expect(grade('S_2*(x_2 + W S_1 x_1)')).toMatchObject({ status: 'incorrect', mistake: 'tanh-prime-as-tanh' });
    expect(grade('-(1 - S_2^2) * (x_2 + W * (1 - S_1^2) * x_1)').feedback).toMatch(/right but for its sign/);
    expect(grade('W x_1')).toMatchObject({ status: 'incorrect', feedback: 'Incorrect.' });
  });

  it('says why an answer is not a formula it can grade (invalid, not wrong)', () => {
    expect(grade('S_9')).toMatchObject({ status: 'invalid', feedback: expect.stringMatching(/^The answer uses "S_9", which is not one of this part's symbols/) });
    expect(grade(0.5)).toMatchObject({ status: 'invalid', feedback: expect.stringMatching(/should be a formula written as text/) });
    expect(grade('')).toMatchObject({ status: 'missing' });
  });
});
