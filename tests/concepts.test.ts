import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectGoldenVariants } from './support/golden.js';
import { generateVariant, parseBank, practiceSecret, solveLstm, solveRnn, type Bank, type LstmInstance, type RnnInstance } from '../src/index.js';
import { auditBank, normaliseForSpelling, spelledIn } from '../src/problems/audit.js';
import { answerKey, keyVariant } from '../src/problems/key.js';
import { MISTAKES } from '../src/problems/mistakes.js';
import { Grader } from '../src/grade/grade.js';
import type { KeyVariant } from '../src/index.js';
import { drawQuestion } from '../src/problems/generate.js';
import { rngFrom } from '../src/problems/random.js';
import { problemType } from '../src/problems/registry.js';
import { statement } from '../src/problems/types.js';

/**
 * The concept items of issue 19 §2 (concept.gates, concept.saturation), checked against
 * computations written here from docs/math.md §2.3, §3.1 and §8, not against the types' own code:
 * every choice's truth from the instance's numbers (or, for the story event, from the words of the
 * prompt), each answer balanced over the variants, no answer readable from the statement.
 */
const SECRET = practiceSecret('concepts');
const N = 200;

function bankOf(questions: unknown[], generator = 2): Bank {
  return parseBank({ format: 'gradsheet.bank/1', id: 'concepts-test', title: 'Concepts', generator, questions });
}

function variants(bank: Bank, n: number) {
  return Array.from({ length: n }, (_, i) => generateVariant(bank, SECRET, { id: `s${i + 1}`, name: `S ${i + 1}` }));
}

const round4 = (x: number) => Number(x.toPrecision(4));
const tally = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});

/** The event a prompt describes, by its words (docs/math.md §8's reading of 期末考试周), and the gate that plays it. */
function gateOfPrompt(prompt: string): string {
  const roles: [RegExp, string][] = [
    [/let go of/, 'the forget gate (f_t)'],
    [/admitted into the memory/, 'the input gate (i_t)'],
    [/new content itself is formed/, 'the candidate memory (g_t)'],
    [/reaches the exam score/, 'the output gate (o_t)'],
  ];
  const hits = roles.filter(([re]) => re.test(prompt));
  expect(hits, prompt).toHaveLength(1);
  return hits[0]![1];
}

function expectBalanced(counts: Record<string, number>, options: readonly string[], n: number, lo: number, hi: number): void {
  for (const o of options) {
    expect(counts[o] ?? 0, `${o}: ${JSON.stringify(counts)}`).toBeGreaterThan(n * lo);
    expect(counts[o] ?? 0, `${o}: ${JSON.stringify(counts)}`).toBeLessThan(n * hi);
  }
}

function expectShuffled(parts: { choices?: readonly string[]; answer: unknown }[], options: readonly string[]): void {
  const orders = new Set(parts.map((p) => p.choices!.join('|')));
  expect(orders.size).toBeGreaterThan(3);
  for (const order of orders) expect(order.split('|').sort()).toEqual([...options].sort());
  const positions = options.map(() => 0);
  for (const p of parts) positions[p.choices!.indexOf(p.answer as string)]!++;
  for (const n of positions) expect(n, JSON.stringify(positions)).toBeGreaterThan(parts.length / options.length / 2);
}

describe('concept.gates: the exam-week story', () => {
  const drawn = variants(bankOf([{ id: 'g', type: 'concept.gates', params: {} }]), N);
  const GATES = ['the forget gate (f_t)', 'the input gate (i_t)', 'the candidate memory (g_t)', 'the output gate (o_t)'];
  const SHARES = ['mostly the old memory', 'mostly the new memory', 'the two comparably'];

  it('(a) asks for the gate of the event described, each of the four gates in 15–35% of variants, the choices shuffled', () => {
    const answers = drawn.map((v) => {
      const a = v.questions[0]!.generated.parts[0]!;
      expect(a.spec.kind).toBe('choice');
      expect(a.answer).toBe(gateOfPrompt(a.spec.prompt));
      return a.answer as string;
    });
    expectBalanced(tally(answers), GATES, N, 0.15, 0.35);
    expectShuffled(drawn.map((v) => v.questions[0]!.generated.parts[0]!), GATES);
  });

  it('(a) never names the gate in the event: no gate symbol or gate word in the prompt', () => {
    for (const v of drawn) {
      const prompt = v.questions[0]!.generated.parts[0]!.spec.prompt;
      expect(prompt).not.toMatch(/[figo]_[t{]|\\tilde|forget|input|update|candidate|output|gate/i);
    }
  });

  it('(b) is answered from the values at step T: |f_T c_{T−1}| against |i_T g_T|, twice either way, balanced, clear-cut at the printed digits', () => {
    const answers = drawn.map((v) => {
      const { instance, parts } = v.questions[0]!.generated;
      const inst = instance as LstmInstance;
      const r = solveLstm(inst);
      const T = inst.x.length, k = T - 1;
      const expected = (f: number, c: number, i: number, g: number) => {
        const ratio = Math.abs(f * c) / Math.abs(i * g);
        return ratio > 2 ? 'mostly the old memory' : ratio < 0.5 ? 'mostly the new memory' : 'the two comparably';
      };
      const [f, c, i, g] = [r.f[k]![0]!, r.c[k - 1]![0]!, r.i[k]![0]!, r.g[k]![0]!];
      expect(parts[1]!.answer).toBe(expected(f, c, i, g));
      // the printed (rounded) values give the same answer
      expect(expected(round4(f), round4(c), round4(i), round4(g))).toBe(parts[1]!.answer);
      return parts[1]!.answer as string;
    });
    expectBalanced(tally(answers), SHARES, N, 0.2, 0.47);
    expectShuffled(drawn.map((v) => v.questions[0]!.generated.parts[1]!), SHARES);
  });

  it('spells no choice out in the statement', () => {
    for (const v of drawn) {
      const { built, parts } = v.questions[0]!.generated;
      const text = normaliseForSpelling(statement(built));
      for (const p of parts) for (const c of p.spec.choices!) expect(spelledIn(text, normaliseForSpelling(c)), c).toBe(false);
    }
  });

  it('rebuilds the same event from the instance alone (the key holds only the instance)', () => {
    const type = problemType('concept.gates')!;
    const params = type.params.parse({});
    for (const v of drawn.slice(0, 20)) {
      const { instance, parts } = v.questions[0]!.generated;
      const again = type.build(JSON.parse(JSON.stringify(instance)), params, { digits: 4, generator: 2 });
      expect(again.parts[0]!.prompt).toBe(parts[0]!.spec.prompt);
    }
  });
});

describe('concept.saturation: a large W that vanishes', () => {
  const drawn = variants(bankOf([{ id: 's', type: 'concept.saturation', params: {} }]), N);
  const REGIMES = ['vanishing', 'exploding', 'neither'];

  it('always has |W| > 1; (a) is Σ log₁₀(1 − s_j²) and (b) the regime of ∏(1 − s_j²)W, balanced and shuffled', () => {
    const answers = drawn.map((v) => {
      const { instance, parts } = v.questions[0]!.generated;
      const inst = instance as RnnInstance;
      const W = inst.W[0]![0]!;
      expect(Math.abs(W)).toBeGreaterThan(1);
      const s = solveRnn(inst).s.map((x) => x[0]!);
      const tp = s.slice(1).reduce((a, sj) => a + Math.log10(1 - sj * sj), 0);
      expect(parts[0]!.answer as number).toBeCloseTo(tp, 10);
      const log = tp + (s.length - 1) * Math.log10(Math.abs(W));
      const regime = log < -2 ? 'vanishing' : log > 2 ? 'exploding' : 'neither';
      expect(parts[1]!.answer).toBe(regime);
      // clear-cut: half a decade from either threshold
      expect(Math.min(Math.abs(log + 2), Math.abs(log - 2))).toBeGreaterThanOrEqual(0.5);
      // follow-through from the student's own (a)
      expect(parts[1]!.spec.followThrough!({ a: parts[0]!.answer })).toBe(regime);
      if (regime === 'vanishing') {
        // the counter-example: |W| well above 1, the states saturated (mean tanh' · |W| below 1)
        expect(Math.abs(W)).toBeGreaterThanOrEqual(1.5);
        expect(10 ** (tp / (s.length - 1)) * Math.abs(W)).toBeLessThan(1);
      }
      return regime;
    });
    expectBalanced(tally(answers), REGIMES, N, 0.2, 0.47);
    expectShuffled(drawn.map((v) => v.questions[0]!.generated.parts[1]!), REGIMES);
  });

  it('judging from |W| alone is wrong on the vanishing variants, and the worked solution says so', () => {
    const v = drawn.find((d) => d.questions[0]!.generated.parts[1]!.answer === 'vanishing')!;
    const { parts, solution } = v.questions[0]!.generated;
    const text = parts[1]!.spec.solution(solution).map((s) => s.text ?? '').join(' ');
    expect(text).toMatch(/\|W\| > 1\$ alone would say the product explodes/);
    expect(text).toMatch(/saturat/);
  });

  it('names the mistake of judging from |W| alone when a student answers "exploding" where it is not', () => {
    const bank = bankOf([{ id: 's', type: 'concept.saturation', params: {} }]);
    const keyed = drawn.filter((v) => v.questions[0]!.generated.parts[1]!.answer !== 'exploding').slice(0, 3).map(keyVariant) as KeyVariant[];
    expect(keyed.length).toBe(3);
    const key = answerKey(bank, keyed);
    const grader = Grader.fromKey(JSON.parse(JSON.stringify(key)));
    for (const v of key.variants) {
      const [a, b] = v.questions[0]!.parts;
      expect(b!.mistakes).toEqual([{ id: 'judged-by-w-alone', value: 'exploding' }]);
      const result = grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { [a!.id]: a!.answer, [b!.id]: 'exploding' } });
      const part = result.parts!.find((p) => p.id === b!.id)!;
      expect(part.score).toBe(0);
      expect(part.mistake).toBe('judged-by-w-alone');
      expect(part.feedback).toContain(MISTAKES['judged-by-w-alone'].explanation);
    }
  });

  it('spells no choice out in the statement', () => {
    for (const v of drawn) {
      const { built, parts } = v.questions[0]!.generated;
      const text = normaliseForSpelling(statement(built));
      for (const c of parts[1]!.spec.choices!) expect(spelledIn(text, normaliseForSpelling(c)), c).toBe(false);
    }
  });
});

describe('the concept types under generator 1 and the shipped bank', () => {
  it('draw under generator 1 (no aim) too', () => {
    for (const id of ['concept.gates', 'concept.saturation']) {
      const type = problemType(id)!;
      const rng = rngFrom(`concepts-g1|${id}`);
      for (let n = 0; n < 5; n++) {
        const q = drawQuestion(type, rng, type.params.parse({}), { digits: 4, generator: 1 }, () => ({ rtol: 0.01, atol: 1e-4 }));
        expect(q.parts.length).toBe(2);
      }
    }
  });

  it('question-banks/concepts.json passes the audit, no choice part above 50% for one answer', () => {
    const bank = parseBank(JSON.parse(readFileSync('question-banks/concepts.json', 'utf8')));
    expect(bank.questions.map((q) => q.type.id).sort()).toEqual(['concept.gates', 'concept.saturation']);
    const report = auditBank(bank);
    expect(report.violations.map((v) => v.message)).toEqual([]);
    for (const q of report.questions) for (const p of q.parts) if (p.choice) expect(p.choice.mostFrequent.share, p.id).toBeLessThan(0.5);
  });
});

describe('golden variants of the shipped bank concepts', () => {
  // tests/golden/concepts-v2.json: 2 variants under practiceSecret('golden'), written when the types were added
  it('regenerate with the same codes, instances, parts, choices, answers and mistakes', () => expectGoldenVariants('question-banks/concepts.json', 'tests/golden/concepts-v2.json'));
});
