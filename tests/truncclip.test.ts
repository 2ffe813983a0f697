/**
 * rnn.truncated and rnn.clipping (docs/math.md §6): their numbers held to computations written
 * here — a forward pass and a backward recursion of their own, and central finite differences of
 * the loss — not to the problem types' code; the catalogued mistakes named by the grader; the
 * parameters refused with sentences; the golden variants; and the audit of a bank using both.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyVariants, generateVariant, parseBank, practiceSecret, practiceStudents, type KeyVariant, type RnnInstance } from '../src/index.js';
import { auditBank } from '../src/problems/audit.js';
import { plainValue } from '../src/problems/format.js';
import { MISTAKES, mistakeSince, type MistakeId } from '../src/problems/mistakes.js';
import { rnnClippingType } from '../src/problems/rnn-clipping.js';
import { rnnTruncatedType } from '../src/problems/rnn-truncated.js';
import { fixedKey, type FixedKey } from './support/fixed-key.js';
import { maxRelDiff } from './support/random-instances.js';

type M = number[][];
const SECRET = practiceSecret('truncclip');
const BANK = parseBank(JSON.parse(readFileSync('tests/banks/truncclip.json', 'utf8')));

function variantsOf(questions: unknown[], n: number) {
  const bank = parseBank({ format: 'gradsheet.bank/1', id: 'tc', title: 'Truncation and clipping', generator: 2, questions });
  return Array.from({ length: n }, (_, i) => generateVariant(bank, SECRET, { id: `s${i + 1}`, name: `S ${i + 1}` }).questions[0]!.generated);
}

// ---- the RNN of docs/math.md §2, written out here ----
const mv = (A: M, v: number[]) => A.map((row) => row.reduce((a, x, j) => a + x * v[j]!, 0));
const mtv = (A: M, v: number[]) => A[0]!.map((_, j) => A.reduce((a, row, i) => a + row[j]! * v[i]!, 0));

function states(inst: RnnInstance): { s: number[][]; o: number[][] } {
  const s = [inst.s0], o: number[][] = [];
  inst.x.forEach((x, t) => {
    const prev = s[t]!;
    const st = mv(inst.U, x).map((v, a) => Math.tanh(v + mv(inst.W, prev)[a]! + inst.b[a]!));
    s.push(st);
    o.push(mv(inst.V, st).map((v, a) => v + inst.c[a]!));
  });
  return { s, o };
}

function loss(inst: RnnInstance): number {
  const { o } = states(inst);
  const T = inst.x.length;
  const half = (t: number) => 0.5 * o[t]!.reduce((a, v, i) => a + (inst.y[t]![i]! - v) ** 2, 0);
  return inst.loss === 'sum' ? o.reduce((a, _, t) => a + half(t), 0) : half(T - 1);
}

/** ∂L/∂P by central differences, P one of U, W, V, b, c (a vector as a column). */
function numericGradient(inst: RnnInstance, P: 'U' | 'W' | 'V' | 'b' | 'c'): M {
  const h = 1e-6;
  const value = inst[P];
  const asMat: M = Array.isArray(value[0]) ? (value as M) : (value as number[]).map((v) => [v]);
  return asMat.map((row, i) => row.map((_, j) => {
    const at = (delta: number): number => {
      const copy = JSON.parse(JSON.stringify(inst)) as RnnInstance;
      if (Array.isArray(value[0])) (copy[P] as M)[i]![j]! += delta;
      else (copy[P] as number[])[i]! += delta;
      return loss(copy);
    };
    return (at(h) - at(-h)) / (2 * h);
  }));
}

/** ∂L_T/∂U^(j), j = 1 … T (index j − 1), by the backward recursion through the states. */
function perStepU(inst: RnnInstance): M[] {
  const { s, o } = states(inst);
  const T = inst.x.length;
  const terms: M[] = new Array<M>(T);
  let ds = mtv(inst.V, o[T - 1]!.map((v, a) => v - inst.y[T - 1]![a]!));
  for (let j = T; j >= 1; j--) {
    const dtheta = ds.map((v, a) => v * (1 - s[j]![a]! ** 2));
    terms[j - 1] = dtheta.map((v) => inst.x[j - 1]!.map((x) => v * x));
    ds = mtv(inst.W, dtheta);
  }
  return terms;
}

const add = (ms: M[]): M => ms.reduce((A, B) => A.map((row, i) => row.map((v, j) => v + B[i]![j]!)));
const sub = (A: M, B: M): M => A.map((row, i) => row.map((v, j) => v - B[i]![j]!));
const scale = (A: M, f: number): M => A.map((row) => row.map((v) => v * f));
const flat = (v: unknown): number[] => (typeof v === 'number' ? [v] : (v as unknown[]).flat(2) as number[]);

/** The key lists the mistake on the part with the hand value, and grading that value names it. */
function expectNamed(key: FixedKey, part: string, id: MistakeId, hand: unknown): void {
  const listed = key.mistake(part, id);
  expect(listed, `${part} does not list ${id}`).toBeDefined();
  if (typeof hand === 'string') expect(listed).toBe(hand);
  else expect(maxRelDiff(flat(listed), flat(hand), 1e-12), `${part} ${id}`).toBeLessThan(1e-9);
  const result = key.grade({ [part]: hand }).parts.find((r) => r.id === `q1.${part}`)!;
  expect(result.mistake, `${part}: ${result.feedback}`).toBe(id);
  expect(result.status).not.toBe('correct');
  expect(result.feedback).toContain(MISTAKES[id].explanation);
  if (typeof hand !== 'string') expect(result.feedback).not.toContain(plainValue(key.part(part).answer, 4));
}

const TRUNCATION: MistakeId[] = ['truncation-first-k', 'truncation-k-plus-one', 'truncation-full-gradient', 'truncation-error-sign'];
const CLIPPING: MistakeId[] = ['clip-without-min', 'clip-unit-normalise', 'clip-norm-max-abs', 'clip-norm-l1', 'clip-per-tensor'];

describe('the truncation and clipping mistakes', () => {
  it('are dated to generator 2 and explained without a number to copy', () => {
    for (const id of [...TRUNCATION, ...CLIPPING]) {
      expect(mistakeSince(id), id).toBe(2);
      expect(MISTAKES[id].explanation, id).not.toMatch(/\d\.\d/);
    }
  });
});

describe('rnn.truncated', () => {
  const drawn = variantsOf([{ id: 't', type: 'rnn.truncated', params: { steps: [4, 5, 6], k: 2 } }], 60);

  it('asks the range dropped, the truncated gradient (the last k per-step terms) and the error (the dropped terms), as computed here', () => {
    for (const q of drawn) {
      const inst = q.instance as RnnInstance;
      const T = inst.x.length, k = 2;
      const terms = perStepU(inst);
      // the recursion's terms add up to the finite-difference gradient
      expect(maxRelDiff(add(terms), numericGradient(inst, 'U'), 1e-9)).toBeLessThan(1e-5);
      const [a, b, c] = q.parts;
      expect(a!.answer).toBe(T - k === 1 ? 'step 1 only' : `steps 1 to ${T - k}`);
      expect(a!.choices).toContain(a!.answer);
      expect(maxRelDiff(flat(b!.answer), flat(add(terms.slice(T - k))), 1e-12)).toBeLessThan(1e-9);
      expect(maxRelDiff(flat(c!.answer), flat(add(terms.slice(0, T - k))), 1e-12)).toBeLessThan(1e-9);
      // the error is the full gradient minus the truncated one
      expect(maxRelDiff(flat(c!.answer), flat(sub(numericGradient(inst, 'U'), add(terms.slice(T - k)))), 1e-9)).toBeLessThan(1e-5);
    }
  });

  it('draws each length T about equally often, so the dropped range is balanced', () => {
    const counts: Record<number, number> = {};
    for (const q of drawn) counts[q.instance.model === 'rnn' ? q.instance.x.length : 0] = (counts[(q.instance as RnnInstance).x.length] ?? 0) + 1;
    for (const T of [4, 5, 6]) expect(counts[T] ?? 0, `T = ${T}`).toBeGreaterThan(60 * 0.2);
  });

  it('does not ask the dropped range when the bank fixes T (its answer would be the same on every sheet)', () => {
    const fixed = variantsOf([{ id: 't', type: 'rnn.truncated', params: { steps: 5, k: 2 } }], 3);
    for (const q of fixed) expect(q.parts.map((p) => p.spec.kind)).toEqual(['number', 'number']);
  });

  it('names the catalogued mistakes, each worked out here from the per-step terms', () => {
    // T = 6, on an instance whose term j = 1 tells the full gradient from the k + 1 terms (the
    // grader names the first mistake that matches)
    const q = drawn.find((x) => {
      const inst = x.instance as RnnInstance;
      const t = perStepU(inst);
      return inst.x.length === 6 && Math.abs(t[0]![0]![0]! + t[1]![0]![0]! + t[2]![0]![0]!) > 0.05 * Math.abs(add(t)[0]![0]!) && Math.abs(t[0]![0]![0]!) > 0.05 * Math.abs(add(t)[0]![0]!);
    })!;
    const inst = q.instance as RnnInstance;
    const key = fixedKey(rnnTruncatedType, { steps: [4, 5, 6], k: 2 }, inst, 2);
    const terms = perStepU(inst);
    const truncated = add(terms.slice(4));
    expectNamed(key, 'a', 'truncation-first-k', 'steps 3 to 6');
    expectNamed(key, 'a', 'truncation-k-plus-one', 'steps 1 to 3');
    expectNamed(key, 'b', 'truncation-first-k', add(terms.slice(0, 2))[0]![0]);
    expectNamed(key, 'b', 'truncation-k-plus-one', add(terms.slice(3))[0]![0]);
    expectNamed(key, 'b', 'truncation-full-gradient', add(terms)[0]![0]);
    expectNamed(key, 'c', 'truncation-error-sign', sub(truncated, add(terms))[0]![0]);
    expectNamed(key, 'c', 'truncation-first-k', add(terms.slice(2))[0]![0]);
    expectNamed(key, 'c', 'truncation-k-plus-one', add(terms.slice(0, 3))[0]![0]);
    // the error follows through from the student's own truncated gradient, and its sign from theirs
    const own = (truncated[0]![0]!) * 1.1;
    const followed = key.grade({ b: own, c: add(terms)[0]![0]! - own }).parts.find((r) => r.id === 'q1.c')!;
    expect(followed.status).not.toBe('incorrect');
    expect(followed.carried).toBeTruthy();
  });

  it('refuses a truncation length that truncates nothing, and another loss, with sentences', () => {
    const parse = (params: unknown) => () => parseBank({ format: 'gradsheet.bank/1', id: 'x', title: 'x', questions: [{ id: 'q', type: 'rnn.truncated', params }] });
    expect(parse({ steps: [3, 5], k: 3 })).toThrow(/k.*should be less than every length in steps \(k = 3 keeps every term of a sequence of 3 steps: nothing is truncated\)/);
    expect(parse({ loss: 'sum' })).toThrow('$.questions[0].params.loss should be "last", not the string "sum".');
  });
});

describe('rnn.clipping', () => {
  const drawn = variantsOf([{ id: 'c', type: 'rnn.clipping', params: {} }], 60);
  const drawnVector = variantsOf([{ id: 'c', type: 'rnn.clipping', params: { hidden: 2, gradients: ['U', 'W', 'V', 'b', 'c'], ask: 'b', threshold: 2 } }], 20);

  function expected(inst: RnnInstance, Ps: ('U' | 'W' | 'V' | 'b' | 'c')[], c: number) {
    const grads = Object.fromEntries(Ps.map((P) => [P, numericGradient(inst, P)])) as Record<string, M>;
    const all = Ps.flatMap((P) => grads[P]!.flat());
    const norm = Math.sqrt(all.reduce((a, x) => a + x * x, 0));
    return { grads, all, norm, factor: Math.min(1, c / norm) };
  }

  it('asks ‖g‖, min(1, c/‖g‖) and the clipped gradient as computed here from finite differences, and clipping always shortens, not trivially', () => {
    for (const [qs, Ps, ask, c] of [[drawn, ['U', 'W', 'V'], 'W', 1.5], [drawnVector, ['U', 'W', 'V', 'b', 'c'], 'b', 2]] as const) {
      for (const q of qs) {
        const inst = q.instance as RnnInstance;
        const e = expected(inst, [...Ps], c);
        const [a, b, cl] = q.parts;
        expect(Math.abs((a!.answer as number) - e.norm) / e.norm).toBeLessThan(1e-6);
        expect(Math.abs((b!.answer as number) - e.factor) / e.factor).toBeLessThan(1e-6);
        expect(e.factor).toBeGreaterThanOrEqual(0.2);
        expect(e.factor).toBeLessThanOrEqual(0.8);
        expect(maxRelDiff(flat(cl!.answer), flat(scale(e.grads[ask]!, e.factor)), 1e-9)).toBeLessThan(1e-5);
      }
    }
  });

  it('balances the concept choice between its two right answers and prints the options in a shuffled order', () => {
    const answers = drawn.map((q) => q.parts[3]!.answer as string);
    const first = answers.filter((x) => x.startsWith('it shortens')).length;
    const second = answers.filter((x) => x.startsWith('it cannot help')).length;
    expect(first + second).toBe(60);
    expect(first).toBeGreaterThan(60 * 0.3);
    expect(second).toBeGreaterThan(60 * 0.3);
    // the right answer matches the scenario the prompt describes
    for (const q of drawn) expect(q.parts[3]!.answer.toString().startsWith(q.parts[3]!.spec.prompt.includes('explode') ? 'it shortens' : 'it cannot help')).toBe(true);
    expect(new Set(drawn.map((q) => q.parts[3]!.choices!.join('|'))).size).toBeGreaterThan(4);
    // the statement does not give an answer away
    for (const q of drawn) for (const option of q.parts[3]!.choices!) expect(q.built.intro.toLowerCase()).not.toContain(option.slice(0, 30));
  });

  it('names the catalogued mistakes, each worked out here', () => {
    const q = drawn[0]!;
    const inst = q.instance as RnnInstance;
    const key = fixedKey(rnnClippingType, {}, inst, 2);
    const e = expected(inst, ['U', 'W', 'V'], 1.5);
    const maxAbs = Math.max(...e.all.map(Math.abs)), l1 = e.all.reduce((a, x) => a + Math.abs(x), 0);
    const w = e.grads.W![0]![0]!;
    const near = (id: MistakeId, part: string, value: number) => {
      // the finite-difference value is within 1e-6 of the listed one: grade the listed value, checked against it
      const listed = key.mistake(part, id) as number;
      expect(Math.abs(listed - value) / Math.abs(value), `${part} ${id}`).toBeLessThan(1e-6);
      expectNamed(key, part, id, listed);
    };
    near('clip-norm-max-abs', 'a', maxAbs);
    near('clip-norm-l1', 'a', l1);
    near('clip-norm-max-abs', 'b', Math.min(1, 1.5 / maxAbs));
    near('clip-norm-l1', 'b', Math.min(1, 1.5 / l1));
    near('clip-unit-normalise', 'b', 1 / e.norm);
    near('clip-unit-normalise', 'c', w / e.norm);
    near('clip-per-tensor', 'c', w * Math.min(1, 1.5 / Math.abs(w)));
    near('clip-norm-l1', 'c', w * Math.min(1, 1.5 / l1));
    // the concept part: scaling up is the mistake of leaving out min(1, ·), on the vanishing scenario
    const vanishing = drawn.find((x) => x.parts[3]!.answer.toString().startsWith('it cannot help'))!;
    const vkey = fixedKey(rnnClippingType, {}, vanishing.instance, 2);
    expectNamed(vkey, 'd', 'clip-without-min', 'it scales the gradient up to length c, which restores the early terms');
    expectNamed(vkey, 'd', 'clip-per-tensor', 'it rescales each gradient by its own norm, which gives the early terms a larger share');
  });

  it('refuses a gradient asked that is not clipped, and a repeated gradient, with sentences', () => {
    const parse = (params: unknown) => () => parseBank({ format: 'gradsheet.bank/1', id: 'x', title: 'x', questions: [{ id: 'q', type: 'rnn.clipping', params }] });
    expect(parse({ gradients: ['U', 'W'], ask: 'V' })).toThrow(/ask.*should be one of the gradients clipped \(U, W\), not "V"/);
    expect(parse({ gradients: ['U', 'U'] })).toThrow(/gradients.*should name each gradient once/);
    expect(parse({ threshold: 0 })).toThrow(/threshold/);
  });
});

describe('a bank using both types', () => {
  it('passes gradsheet audit', () => {
    const report = auditBank(BANK, { count: 100, seed: 'truncclip' });
    expect(report.violations.map((v) => v.message)).toEqual([]);
    expect(report.passed).toBe(true);
  });
});

describe('golden variants of the truncation and clipping types (generator 2)', () => {
  const golden = JSON.parse(readFileSync('tests/golden/variants-truncclip.json', 'utf8')) as KeyVariant[];
  const bank = parseBank(JSON.parse(readFileSync('tests/golden/bank-truncclip.json', 'utf8')));
  const fresh = generateKeyVariants(bank, practiceSecret('golden'), practiceStudents(2).map((id) => ({ id, name: id })));
  it('cover both types, scalar and vector', () => {
    expect(new Set(golden.flatMap((v) => v.questions.map((q) => q.type)))).toEqual(new Set(['rnn.truncated', 'rnn.clipping']));
  });
  golden.forEach((v, n) => v.questions.forEach((q, m) => {
    it(`regenerates ${v.code} ${q.id} (${q.type}) with the same instance, parts and answers`, () => {
      const now = fresh[n]!.questions[m]!;
      expect(fresh[n]!.code).toBe(v.code);
      expect(now.instance).toEqual(q.instance);
      expect(now.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn])).toEqual(q.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn]));
      now.parts.forEach((p, k) => {
        const was = q.parts[k]!;
        if (typeof was.answer === 'string') expect(p.answer).toBe(was.answer);
        else expect(maxRelDiff(p.answer, was.answer, 1e-300), p.id).toBeLessThan(1e-12);
        expect((p.mistakes ?? []).map((x) => x.id)).toEqual((was.mistakes ?? []).map((x) => x.id));
      });
    });
  }));
});
