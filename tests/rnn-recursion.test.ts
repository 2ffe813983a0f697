/**
 * rnn.recursion (the notes' ①–④ as formulas) and the shipped bank `derivations`: the expected
 * formulas are the model's derivatives (checked against finite differences computed here, not
 * against the recursion itself), ∂L_T/∂U is solveRnn's and an independent computation's, every
 * catalogued mistake is another function than the answer and the grader names it, the number
 * carries the student's own formulas, and a submission typed as a student would is graded by the
 * `gradsheet check` CLI.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formulaPoints, loadFormulas, readFormula, sameFormula, type FormulaSymbol } from '../src/contract/formula.js';
import { Grader } from '../src/grade/grade.js';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents, solveRnn, type KeyVariant, type RnnInstance } from '../src/index.js';
import { POWER_FORMULA, POWER_MISTAKES, powerSymbols, recursionFormula, recursionMistakes, recursionSymbols } from '../src/problems/rnn-recursion.js';
import { gradsheet } from './support/cli.js';
import { expectGoldenVariants } from './support/golden.js';
import { maxRelDiff } from './support/random-instances.js';

beforeAll(loadFormulas);

const bank = parseBank(JSON.parse(readFileSync('question-banks/derivations.json', 'utf8')));
const variants = () => generateKeyVariants(bank, practiceSecret('rnn-recursion'), practiceStudents(12).map((id) => ({ id, name: id })));

/** The scalar RNN written out here, independently of src/models: s_1 … s_T and o_T for a given U. */
function forward(p: { U: number; W: number; b: number; s0: number; x: readonly number[]; V?: number; c?: number }): { s: number[]; o: number } {
  const s: number[] = [];
  let prev = p.s0;
  for (const x of p.x) s.push((prev = Math.tanh(p.U * x + p.W * prev + p.b)));
  return { s, o: (p.V ?? 1) * prev + (p.c ?? 0) };
}
const h = 1e-6;
/** ∂s_t/∂U by central differences, for t = 1 … T */
function dsdU(p: Parameters<typeof forward>[0]): number[] {
  const up = forward({ ...p, U: p.U + h }).s, down = forward({ ...p, U: p.U - h }).s;
  return up.map((v, i) => (v - down[i]!) / (2 * h));
}
const scalar = (inst: RnnInstance) => ({ U: inst.U[0]![0]!, W: inst.W[0]![0]!, b: inst.b[0]!, s0: inst.s0[0]!, x: inst.x.map((v) => v[0]!), V: inst.V[0]![0]!, c: inst.c[0]! });

/** The point of the symbols at the instance: parameters, states and D_t = ∂s_t/∂U, all computed here. */
function instancePoint(inst: RnnInstance): Record<string, number> {
  const p = scalar(inst);
  const { s } = forward(p);
  const D = dsdU(p);
  const point: Record<string, number> = { U: p.U, W: p.W, b: p.b, s_0: p.s0 };
  p.x.forEach((x, i) => {
    point[`x_${i + 1}`] = x;
    point[`s_${i + 1}`] = s[i]!;
    point[`D_${i + 1}`] = D[i]!;
  });
  return point;
}

const read = (text: string, symbols: readonly FormulaSymbol[]) => {
  const r = readFormula(text, symbols);
  if (!r.ok) throw new Error(`${text} ${r.why}`);
  return r;
};

describe('the formulas are the model\'s derivatives', () => {
  it('∂s_t/∂U as asked (each from D_{t−1}) equals finite differences at every drawn instance of the bank', () => {
    let checked = 0;
    for (const v of variants()) {
      const q = v.questions.find((x) => x.type === 'rnn.recursion')!;
      const inst = q.instance as RnnInstance;
      const point = instancePoint(inst);
      const formulaParts = q.parts.filter((p) => p.kind === 'expression' && p.symbols!.some((s) => s.name === 'U'));
      expect(formulaParts).toHaveLength(inst.x.length);
      formulaParts.forEach((part, i) => {
        const f = read(String(part.answer), part.symbols!);
        expect(f.at(point), part.id).toBeCloseTo(point[`D_${i + 1}`]!, 6);
        checked++;
      });
    }
    expect(checked).toBe(36);
  });

  it('the derived symbols (s_t and D_t) are the model\'s at random points, so writing D_{t−1} out in full counts', () => {
    for (const T of [2, 3, 5]) {
      const symbols = recursionSymbols(T);
      for (const p of formulaPoints(symbols, `derived-${T}`)) {
        const x = Array.from({ length: T }, (_, i) => p[`x_${i + 1}`]!);
        const args = { U: p.U!, W: p.W!, b: p.b!, s0: p.s_0!, x };
        const { s } = forward(args);
        const D = dsdU(args);
        for (let t = 1; t <= T; t++) expect(p[`s_${t}`]).toBeCloseTo(s[t - 1]!, 12);
        for (let t = 1; t < T; t++) expect(p[`D_${t}`]).toBeCloseTo(D[t - 1]!, 6);
        // the answer for step T, at the point, is the derivative too
        expect(read(recursionFormula(T), symbols).at(p)).toBeCloseTo(D[T - 1]!, 6);
      }
    }
  });

  it('∂L_T/∂U is solveRnn\'s and the finite difference of the loss computed here, and (o_T − y_T)·V·∂s_T/∂U', () => {
    for (const v of variants()) {
      const q = v.questions.find((x) => x.type === 'rnn.recursion')!;
      const inst = q.instance as RnnInstance;
      const p = scalar(inst);
      const T = p.x.length, y = inst.y[T - 1]![0]!;
      const loss = (U: number) => 0.5 * (y - forward({ ...p, U }).o) ** 2;
      const fd = (loss(p.U + h) - loss(p.U - h)) / (2 * h);
      const d = q.parts.find((x) => x.kind === 'number')!;
      expect(d.answer as number).toBeCloseTo(fd, 7);
      expect(maxRelDiff(d.answer, solveRnn(inst).dL_dU[0]![0]!, 1e-300)).toBeLessThan(1e-12);
      expect(d.answer as number).toBeCloseTo((forward(p).o - y) * p.V * dsdU(p)[T - 1]!, 7);
    }
  });

  it('the corrected factor W^{T−k}: each per-step term of solveRnn divided by its other factors', () => {
    const v = variants()[0]!;
    const inst = v.questions[0]!.instance as RnnInstance;
    const p = scalar(inst);
    const T = p.x.length, { s, o } = forward(p);
    const terms = solveRnn(inst).dL_dU_by_step.map((m) => m[0]![0]!);
    const f = read(POWER_FORMULA, powerSymbols(T));
    for (let k = 1; k <= T; k++) {
      let others = (o - inst.y[T - 1]![0]!) * p.V * p.x[k - 1]!;
      for (let j = k; j <= T; j++) others *= 1 - s[j - 1]! ** 2;
      expect(f.at({ W: p.W, k, T })).toBeCloseTo(terms[k - 1]! / others, 9);
    }
  });
});

describe('catalogued mistakes', () => {
  it('every mistake formula reads, is not the answer, and no two are the same function (T = 2 … 5, every step)', () => {
    const cases: { symbols: FormulaSymbol[]; answer: string; mistakes: Record<string, string> }[] = [{ symbols: powerSymbols(3), answer: POWER_FORMULA, mistakes: POWER_MISTAKES as Record<string, string> }];
    for (let t = 1; t <= 5; t++) cases.push({ symbols: recursionSymbols(t), answer: recursionFormula(t), mistakes: recursionMistakes(t) as Record<string, string> });
    for (const c of cases) {
      const points = formulaPoints(c.symbols, `mistakes-${c.answer}`);
      const answer = read(c.answer, c.symbols);
      const formulas = Object.entries(c.mistakes).map(([id, text]) => ({ id, f: read(text, c.symbols) }));
      expect(formulas.length).toBeGreaterThanOrEqual(3);
      for (const m of formulas) {
        expect(sameFormula(answer.at, m.f.at, points), `${m.id} for ${c.answer}`).toBe(false);
        for (const other of formulas) if (other !== m) expect(sameFormula(other.f.at, m.f.at, points), `${m.id} and ${other.id}`).toBe(false);
      }
    }
  });

  it('the grader names each one, typed as a student writes it; the answer in other forms is right', () => {
    const v = variants()[0]!;
    const grader = Grader.fromKey({ digits: bank.digits, generator: bank.generator, variants: [v] }, { reveal: false });
    const q = v.questions[0]!;
    const studentStyle = (f: string) => f.replace(/ \* /g, '·').replace(/\^2/g, '²').replace(/_(\d)/g, (_, d: string) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]!).replace(/-/g, '−');
    let named = 0;
    for (const part of q.parts.filter((p) => p.kind === 'expression')) {
      for (const m of part.mistakes ?? []) {
        const r = grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { [part.id]: studentStyle(String(m.value)) } }).parts.find((x) => x.id === part.id)!;
        expect(r, `${part.id} ${m.id}: ${studentStyle(String(m.value))}`).toMatchObject({ status: 'incorrect', mistake: m.id });
        named++;
      }
    }
    // a: 3, b and c: 6 each, e: 3
    expect(named).toBe(18);
    const grade = (id: string, typed: string) => grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { [id]: typed } }).parts.find((x) => x.id === id)!;
    expect(grade('q1.a', '(1−s₁²)·x₁')).toMatchObject({ status: 'correct' });
    // names side by side are a product, as on paper: s₁x₁, s1x1
    expect(grade('q1.a', 's₁x₁')).toMatchObject({ status: 'incorrect', mistake: 'tanh-prime-as-tanh' });
    expect(grade('q1.a', 'x1 - s1^2x1')).toMatchObject({ status: 'correct' });
    expect(grade('q1.a', '(1 - tanh(U x1 + W s0 + b)^2) x1')).toMatchObject({ status: 'correct' });
    expect(grade('q1.b', 'x2(1-s2^2) + W*D1*(1-s2^2)')).toMatchObject({ status: 'correct' });
    // D_1 written out in full
    expect(grade('q1.c', '(1-s3^2)(x3 + W(1-s2^2)(x2 + W(1-s1^2)x1))')).toMatchObject({ status: 'correct' });
    expect(grade('q1.e', 'W^(3-k)')).toMatchObject({ status: 'correct' });
    expect(grade('q1.e', 'W^T / W^k')).toMatchObject({ status: 'correct' });
    expect(grade('q1.b', '(1-s2^2)(x2 + W D2)')).toMatchObject({ status: 'invalid', feedback: expect.stringMatching(/"D_2", which is not one of this part's symbols/) });
  });

  it('∂L_T/∂U carries the student\'s own formulas: tanh\' forgotten at every step, evaluated consistently, is carried', () => {
    const v = variants()[1]!;
    const q = v.questions[0]!;
    const inst = q.instance as RnnInstance;
    const p = scalar(inst);
    const T = p.x.length, { o } = forward(p);
    // the student's recursion without tanh': D_1 = x_1, D_t = x_t + W D_{t−1}
    let D = 0;
    p.x.forEach((x, i) => (D = x + (i > 0 ? p.W * D : 0)));
    const own = (o - inst.y[T - 1]![0]!) * p.V * D;
    const grader = Grader.fromKey({ digits: bank.digits, generator: bank.generator, variants: [v] }, { reveal: false });
    const answers = { 'q1.a': 'x_1', 'q1.b': 'x_2 + W D_1', 'q1.c': 'x_3 + W*D_2', 'q1.d': Number(own.toPrecision(4)) };
    const parts = grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers }).parts;
    expect(parts.slice(0, 3).map((x) => x.mistake)).toEqual(['missing-tanh-prime', 'missing-tanh-prime', 'missing-tanh-prime']);
    expect(parts[3]).toMatchObject({ id: 'q1.d', status: 'correct', feedback: expect.stringMatching(/^Correct from your earlier answers/) });
    // the same with the sign of the error flipped: named on top of the student's own formulas
    const flipped = grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { ...answers, 'q1.d': Number((-own).toPrecision(4)) } }).parts[3]!;
    expect(flipped).toMatchObject({ status: 'incorrect', mistake: 'error-sign' });
  });
});

describe('gradsheet check, end to end', () => {
  it('grades a submission of typed formulas: right ones, a named mistake, an unreadable one', () => {
    const [v] = generateKeyVariants(bank, practiceSecret('recursion-cli'), practiceStudents(1).map((id) => ({ id, name: id }))) as [KeyVariant];
    const q = v.questions[0]!;
    const d = q.parts.find((x) => x.id === 'q1.d')!;
    const answers: Record<string, unknown> = {
      'q1.a': '(1−s₁²)·x₁',
      'q1.b': 's2 * (x2 + W*D1)',
      'q1.c': '(1 - s_3^2)(x_3 + W D_2)',
      'q1.d': Number((d.answer as number).toPrecision(4)),
      'q1.e': 'W^(3 - k',
    };
    const dir = mkdtempSync(join(tmpdir(), 'recursion-'));
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers }));
    const r = gradsheet(['check', file, '--bank', 'derivations', '--seed', 'recursion-cli', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { parts: { id: string; status: string; mistake?: string; feedback: string }[] };
    const byId = Object.fromEntries(result.parts.map((x) => [x.id, x]));
    expect(byId['q1.a']).toMatchObject({ status: 'correct' });
    expect(byId['q1.b']).toMatchObject({ status: 'incorrect', mistake: 'tanh-prime-as-tanh' });
    expect(byId['q1.c']).toMatchObject({ status: 'correct' });
    expect(byId['q1.d']).toMatchObject({ status: 'correct' });
    expect(byId['q1.e']).toMatchObject({ status: 'invalid' });
    const text = gradsheet(['check', file, '--bank', 'derivations', '--seed', 'recursion-cli']);
    expect(text.stdout).toMatch(/tanh' taken as tanh|tanh\(θ\)/);
  });
});

describe('golden variants of the shipped bank derivations', () => {
  // tests/golden/derivations-v2.json: 2 variants under practiceSecret('golden'), written when the types were added
  it('regenerate with the same codes, instances, parts, answers and mistakes', () => expectGoldenVariants('question-banks/derivations.json', 'tests/golden/derivations-v2.json'));
});

