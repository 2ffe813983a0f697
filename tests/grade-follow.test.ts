/**
 * Grading that follows the student: follow-through from right answers of 0 or the identity, parts
 * that could not be read, totals that are not the student's own sum, and catalogued mistakes made
 * on top of the student's own earlier (possibly wrong) answers. Every expected value is worked out
 * here from the instance, by the notes' formulas.
 */
import { describe, expect, it } from 'vitest';
import { markPart } from '../src/grade/mark.js';
import type { LstmInstance, RnnInstance } from '../src/models/instance.js';
import { plainValue } from '../src/problems/format.js';
import type { KeyPart } from '../src/problems/key.js';
import { lstmCellJacobianType } from '../src/problems/lstm-cell-jacobian.js';
import { MISTAKES } from '../src/problems/mistakes.js';
import { rnnBpttType } from '../src/problems/rnn-bptt.js';
import { rnnForwardType } from '../src/problems/rnn-forward.js';
import { rnnJacobianType } from '../src/problems/rnn-jacobian.js';
import type { PartSpec } from '../src/problems/types.js';
import { fixedKey, type FixedKey } from './support/fixed-key.js';

type M = number[][];
const mm = (A: M, B: M): M => A.map((row) => B[0]!.map((_, j) => row.reduce((acc, a, k) => acc + a * B[k]![j]!, 0)));
const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

// the scalar RNN of the notes, on the grid
const P = { U: -0.9, W: -0.7, V: 0.8, b: 0.5, c: 0.9, s0: 0.5, x: [-0.6, 1, -0.7], y: [0.6, -1, -0.9] };
const rnn = (p: typeof P): RnnInstance => ({
  model: 'rnn', U: [[p.U]], W: [[p.W]], V: [[p.V]], b: [p.b], c: [p.c], s0: [p.s0], x: p.x.map((v) => [v]), y: p.y.map((v) => [v]),
});
/** s_0 … s_T by hand */
const states = (p: typeof P) => p.x.reduce((s, x) => [...s, Math.tanh(p.U * x + p.W * s[s.length - 1]! + p.b)], [p.s0]);
/** ∂L_3/∂W^(k) = (o_3 − y_3)·V·∏_{j=k+1}^{3}(1 − s_j²)W·(1 − s_k²)·s_{k−1} */
function wTerm(p: typeof P, k: number): number {
  const s = states(p);
  let g = (p.V * s[3]! + p.c - p.y[2]!) * p.V;
  for (let j = 3; j > k; j--) g *= (1 - s[j]! ** 2) * p.W;
  return g * (1 - s[k]! ** 2) * s[k - 1]!;
}

const resultOf = (key: FixedKey, answers: Record<string, unknown>, part: string) => key.grade(answers).parts.find((r) => r.id === `q1.${part}`)!;

describe('follow-through from right answers that are 0 or the identity', () => {
  it('carries a right 0: with s_0 = 0, ∂L/∂W^(1) = 0 and the total from the student\'s own terms gets the credit', () => {
    const p = { ...P, s0: 0 };
    const key = fixedKey(rnnBpttType, { wrt: 'W' }, rnn(p), 1);
    expect(key.part('b').answer).toBe(0);
    expect(wTerm(p, 1)).toBe(0);
    const c = wTerm(p, 2) * 1.3, d = wTerm(p, 3);
    const total = resultOf(key, { b: 0, c, d, e: 0 + c + d }, 'e');
    expect(resultOf(key, { b: 0 }, 'b').status).toBe('correct');
    expect(total.status).toBe('correct');
    expect(total.carried).toBe(true);
    expect(total.feedback).toMatch(/carried forward/);
  });

  it('carries nothing from a wrong 0: the total is blamed on it', () => {
    const key = fixedKey(rnnBpttType, { wrt: 'W' }, rnn(P), 1);
    const c = wTerm(P, 2), d = wTerm(P, 3);
    expect(Math.abs(wTerm(P, 1))).toBeGreaterThan(0.01);
    const total = resultOf(key, { b: 0, c, d, e: c + d }, 'e');
    expect(total.carried).toBeUndefined();
    expect(total.status).toBe('incorrect');
    expect(total.feedback).toMatch(/builds on \(b\), where the chain first went wrong/);
  });

  it('carries a right identity matrix, and not a wrong one (markPart on a part computed as the product of two earlier ones)', () => {
    // the right A is the identity and the right B is B, so the right product is B
    const B = [[0.5, -0.2], [0.3, 0.4]];
    const spec: PartSpec = {
      key: 'c', kind: 'matrix', prompt: 'the product', answer: () => 0, dependsOn: ['a', 'b'],
      followThrough: (e) => mm(e.a as M, e.b as M), solution: () => [],
    };
    const part: KeyPart = { id: 'q.c', kind: 'matrix', answer: B, points: 2, prompt: 'the product', shape: [2, 2] };
    // the student's B is wrong (0.6 for 0.5), their A the identity; their C = I·B
    const wrongB = [[0.6, -0.2], [0.3, 0.4]];
    const earlier = { a: [[1, 0], [0, 1]], b: wrongB };
    expect(mm(earlier.a, wrongB)).toEqual(wrongB);
    const right = markPart(part, wrongB, { spec, earlier, correct: new Set(['a']), reveal: false, digits: 4 });
    expect(right.status).toBe('correct');
    expect(right.carried).toBe(true);
    const wrong = markPart(part, wrongB, { spec, earlier, correct: new Set(), reveal: false, digits: 4 });
    expect(wrong.carried).toBeUndefined();
    expect(wrong.status).toBe('partial');
  });
});

describe('parts that could not be read', () => {
  const key = fixedKey(rnnForwardType, {}, rnn(P), 1);
  const s = states(P);
  const next = (prev: number, t: number) => Math.tanh(P.U * P.x[t - 1]! + P.W * prev + P.b);

  it('are not where the chain first went wrong: a later wrong part says the earlier one could not be read', () => {
    const s2 = s[2]! + 0.3;
    const r = key.grade({ a: 'abc', b: s2, c: next(s2, 3) });
    const a = r.parts.find((x) => x.id === 'q1.a')!, b = r.parts.find((x) => x.id === 'q1.b')!, c = r.parts.find((x) => x.id === 'q1.c')!;
    expect(a.status).toBe('invalid');
    expect(b.status).toBe('incorrect');
    expect(b.feedback).not.toMatch(/chain first went wrong/);
    expect(b.feedback).toMatch(/builds on \(a\), which could not be read/);
    // the next step follows from the student's own s_2: carried, as ever
    expect(c.status).toBe('correct');
    expect(c.carried).toBe(true);
  });

  it('read as students type them: a decimal comma, a fraction or full-width digits are graded, and a mistyped part is never the chain\'s first wrong step', () => {
    const comma = (x: number) => x.toFixed(6).replace('.', ',');
    const r = key.grade({ a: comma(s[1]!), b: comma(s[2]!), c: comma(s[3]!) });
    expect(r.parts.slice(0, 3).map((x) => x.status)).toEqual(['correct', 'correct', 'correct']);
    const ambiguous = key.grade({ a: '1,234', b: s[2]! + 0.3, c: s[3]! + 0.4 });
    const [a, b, c] = ambiguous.parts;
    expect(a!.status).toBe('invalid');
    expect(a!.feedback).toMatch(/could be 1\.234 or 1234/);
    for (const later of [b!, c!]) expect(later.feedback).not.toMatch(/\(a\), where the chain first went wrong/);
  });

  it('break a chain: a part after an unreadable one is not blamed on a wrong part before it', () => {
    const r = key.grade({ a: s[1]! + 0.2, b: [1, 2], c: s[3]! + 0.4 });
    expect(r.parts.find((x) => x.id === 'q1.b')!.status).toBe('invalid');
    const c = r.parts.find((x) => x.id === 'q1.c')!;
    expect(c.feedback).not.toMatch(/chain first went wrong/);
    expect(c.feedback).toMatch(/builds on \(b\), which could not be read/);
  });
});

describe('a total that is not the student\'s own sum (rnn.bptt, scalar, T = 3, ∂L_3/∂W)', () => {
  // parts: (a) ∂L_3/∂o_3, (b) k = 1, (c) k = 2, (d) k = 3, (e) the total; the student gets (c) and (d) wrong
  const key = fixedKey(rnnBpttType, { wrt: 'W' }, rnn(P), 2);
  const b = wTerm(P, 1), c = wTerm(P, 2) * 1.3, d = wTerm(P, 3) * 0.6;
  const total = (e: number, k = key) => resultOf(k, { b, c, d, e }, 'e');

  it('takes the student\'s own sum for the carried total', () => {
    expect(total(b + c + d).carried).toBe(true);
    // the student's k = 3 term is wrong, and no catalogued mistake on the total by itself
    expect(resultOf(key, { d }, 'd').status).toBe('incorrect');
    expect(resultOf(key, { e: d }, 'e').status).toBe('incorrect');
    expect(resultOf(key, { e: d }, 'e').mistake).toBeUndefined();
  });

  it('names "only the k = T term" when the total is the student\'s own (wrong) k = 3 term, not blaming the terms', () => {
    const r = total(d);
    expect(r.mistake).toBe('last-term-only');
    expect(r.feedback).toBe(MISTAKES['last-term-only'].explanation);
    expect(r.feedback).not.toMatch(/chain first went wrong/);
  });

  it('names the total that is another of the student\'s terms, or none of them, as not their sum', () => {
    const copy = total(c);
    expect(copy.mistake).toBe('total-not-sum');
    expect(copy.feedback).toBe(`${MISTAKES['total-not-sum'].explanation} It is your answer to (c) as it stands.`);
    const slip = total(b + c + d + 0.5);
    expect(slip.mistake).toBe('total-not-sum');
    expect(slip.feedback).toBe(MISTAKES['total-not-sum'].explanation);
    expect(slip.feedback).not.toContain(plainValue(key.part('e').answer, 4));
  });

  it('states the right answer only when the teacher asks', () => {
    const revealing = fixedKey(rnnBpttType, { wrt: 'W' }, rnn(P), 2, { reveal: true });
    expect(total(b + c + d + 0.5, revealing).feedback).toContain(`The answer is ${plainValue(key.part('e').answer, 4)}.`);
  });

  it('under generator 1 still names the k = T term (catalogued then), and says plainly when the total does not follow', () => {
    const one = fixedKey(rnnBpttType, { wrt: 'W' }, rnn(P), 1);
    expect(total(d, one).mistake).toBe('last-term-only');
    const slip = total(b + c + d + 0.5, one);
    expect(slip.mistake).toBeUndefined();
    expect(slip.feedback).toBe('Incorrect. Nor does it follow from your own answers to (b), (c) and (d).');
  });
});

describe('catalogued mistakes made on top of the student\'s own earlier answers', () => {
  it('rnn.jacobian (H = 2): the student\'s own wrong Jacobians multiplied in reverse order', () => {
    const inst: RnnInstance = {
      model: 'rnn', U: [[0.7], [-0.4]], W: [[0.5, -0.8], [0.9, 0.3]], V: [[0.6, -0.2]], b: [0.1, -0.3], c: [0.2], s0: [0, 0],
      x: [[0.8], [-0.5], [0.6]], y: [[0.1], [0.4], [-0.3]],
    };
    const key = fixedKey(rnnJacobianType, { hidden: 2 }, inst, 2);
    const J2 = (key.part('a').answer as M).map((row, i) => row.map((v, j) => v + (i === 0 && j === 0 ? 0.2 : 0)));
    const J3 = key.part('b').answer as M;
    const r = resultOf(key, { a: J2, b: J3, c: mm(J2, J3) }, 'c');
    expect(r.mistake).toBe('jacobian-product-reversed');
    expect(r.feedback).toContain(MISTAKES['jacobian-product-reversed'].explanation);
    expect(r.feedback).not.toMatch(/chain first went wrong/);
    // the same product of the student's own Jacobians in the right order is carried
    expect(resultOf(key, { a: J2, b: J3, c: mm(J3, J2) }, 'c').carried).toBe(true);
    // generator 1 did not catalogue the order: nothing is named
    const one = fixedKey(rnnJacobianType, { hidden: 2 }, inst, 1);
    const plain = resultOf(one, { a: J2, b: J3, c: mm(J2, J3) }, 'c');
    expect(plain.mistake).toBeUndefined();
    expect(plain.feedback).toMatch(/Nor does it follow from your own answers to \(a\) and \(b\)\./);
  });

  it('rnn.forward: s_2 = θ_2 from the student\'s own wrong s_1, and a loss without ½ from their own wrong o_3', () => {
    const key = fixedKey(rnnForwardType, {}, rnn(P), 2);
    const s1 = states(P)[1]! + 0.1;
    const s2 = P.U * P.x[1]! + P.W * s1 + P.b;
    const r = resultOf(key, { a: s1, b: s2 }, 'b');
    expect(r.mistake).toBe('forward-no-activation');
    const o3 = P.V * states(P)[3]! + P.c + 0.2;
    const loss = resultOf(key, { d: o3, e: (P.y[2]! - o3) ** 2 }, 'e');
    expect(loss.mistake).toBe('loss-missing-half');
    expect(loss.feedback).toContain(MISTAKES['loss-missing-half'].explanation);
  });

  it('lstm.cell-jacobian: the total given as the student\'s own (wrong) direct term', () => {
    const inst: LstmInstance = {
      model: 'lstm', Wxf: [[-0.1]], Wxi: [[1]], Wxg: [[0.5]], Wxo: [[0.4]], Whf: [[0.9]], Whi: [[1]], Whg: [[0.5]], Who: [[0.8]],
      bf: [-0.1], bi: [0.5], bg: [0.1], bo: [0.2], V: [[-0.5]], by: [-0.6], h0: [0.6], c0: [1], x: [[-0.6], [0.2], [0.9]], y: [[-0.2], [0.8], [0.2]],
    };
    const key = fixedKey(lstmCellJacobianType, { giveForward: false }, inst, 2);
    // the direct term is f_3: the forward pass by hand
    let h = 0.6, c = 1, f = NaN;
    for (const x of [-0.6, 0.2, 0.9]) {
      f = sigmoid(-0.1 * x + 0.9 * h - 0.1);
      c = f * c + sigmoid(x + h + 0.5) * Math.tanh(0.5 * x + 0.5 * h + 0.1);
      h = sigmoid(0.4 * x + 0.8 * h + 0.2) * Math.tanh(c);
    }
    expect(key.part('a').answer).toBeCloseTo(f, 12);
    const direct = (key.part('a').answer as number) + 0.05;
    const r = resultOf(key, { a: direct, b: key.part('b').answer, c: direct }, 'c');
    expect(r.mistake).toBe('cell-direct-only');
    expect(r.feedback).toBe(MISTAKES['cell-direct-only'].explanation);
  });
});
