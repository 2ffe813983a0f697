import { statement } from '../src/problems/types.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCE } from '../src/contract/tolerance.js';
import { parseBank } from '../src/problems/bank.js';
import { drawQuestion, type GeneratedQuestion } from '../src/problems/generate.js';
import { rngFrom } from '../src/problems/random.js';
import { PROBLEM_TYPES } from '../src/problems/registry.js';
import { mathOf } from '../src/problems/richtext.js';
import { generateBankQuestion, practiceSecret, practiceStudents, variantCode, variantSeed } from '../src/problems/variants.js';
import { arithmeticChecks, BAD_SIGNS, type ArithmeticCheck } from './support/printed-arithmetic.js';

/**
 * Every line of a worked solution that shows terms and their result must add up by hand at its
 * printed precision: the printed terms, combined, give the printed total to within one unit of its
 * last digit (or 1e-3 of it). And no printed arithmetic reads "+ -" or "\cdot -".
 */

const VARIANTS = 8;

interface Drawn { where: string; type: string; question: GeneratedQuestion }

function bankFile(path: string, generator?: number) {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return parseBank(generator === undefined ? raw : { ...raw, generator }, path);
}

function fromBanks(): Drawn[] {
  const all = [
    ...readdirSync('question-banks/generator-1').filter((f) => f.endsWith('.json')).map((f) => bankFile(join('question-banks/generator-1', f))),
    ...readdirSync('question-banks').filter((f) => f.endsWith('.json')).map((f) => bankFile(join('question-banks', f))),
    bankFile('tests/golden/bank.json'),
    bankFile('tests/golden/bank.json', 2),
  ];
  // the shipped banks and their generator-1 copies draw the same variants while they are the same bank
  const banks = all.filter((bank, n) => all.findIndex((b) => b.hash === bank.hash && b.generator === bank.generator) === n);
  const out: Drawn[] = [];
  for (const bank of banks) for (const student of practiceStudents(VARIANTS)) {
    const secret = practiceSecret(`arithmetic-${bank.generator}`);
    const code = variantCode(secret, bank.id, student, bank.generator);
    const seed = variantSeed(secret, bank.id, code);
    for (const q of bank.questions) {
      out.push({ where: `${bank.id}@${bank.generator} ${code} ${q.id}`, type: q.type.id, question: generateBankQuestion(bank, q, seed) });
    }
  }
  return out;
}


/** Shapes the banks do not reach: summed loss, vectors, other weights, longer sequences, regimes. */
const PARAM_SETS: Record<string, unknown>[] = [
  {}, { hidden: 2, inputs: 2 }, { hidden: 3, outputs: 2 }, { loss: 'sum' }, { steps: 5 },
  { wrt: 'W' }, { wrt: 'b', hidden: 2 }, { wrt: 'V' }, { wrt: 'Wxi' }, { wrt: 'Who', hidden: 2 }, { wrt: 'Whg', loss: 'sum' },
  { regime: 'remember', steps: 5 }, { regime: 'forget' }, { initialState: 'random' }, { giveForward: false },
  { points: 3, functions: ['sinh', 'cosh', 'tanh', 'tanh_prime', 'sigmoid', 'sigmoid_prime'] },
];

function fromParamSets(): Drawn[] {
  const out: Drawn[] = [];
  for (const type of PROBLEM_TYPES) {
    for (const raw of PARAM_SETS) {
      const parsed = type.params.safeParse(raw);
      if (!parsed.success) continue;
      for (const generator of [1, 2]) {
        const rng = rngFrom(`solution-arithmetic|${type.id}|${JSON.stringify(raw)}`);
        for (let n = 0; n < 2; n++) {
          const question = drawQuestion(type, rng, parsed.data, { digits: 4, generator }, (spec) => spec.tolerance ?? DEFAULT_TOLERANCE);
          out.push({ where: `${type.id} ${JSON.stringify(raw)} generator ${generator} #${n + 1}`, type: type.id, question });
        }
      }
    }
  }
  return out;
}

const drawn = [...fromBanks(), ...fromParamSets()];

/** Every piece of TeX a part's worked solution prints. */
function solutionMath(q: GeneratedQuestion): { part: string; math: string }[] {
  return q.parts.flatMap((p) => p.spec.solution(q.solution).flatMap((step) => [
    ...(step.math ? [step.math] : []),
    ...(step.text ? mathOf(step.text) : []),
  ]).map((math) => ({ part: p.spec.key, math })));
}

/** Every piece of TeX the question itself prints: statement, data, prompts. */
function questionMath(q: GeneratedQuestion): string[] {
  return [...mathOf(statement(q.built)), ...q.built.given(), ...q.parts.flatMap((p) => [...mathOf(p.spec.prompt), ...(p.spec.symbol ? [p.spec.symbol] : [])])];
}

describe('the printed-arithmetic checker', () => {
  const verdicts = (math: string) => arithmeticChecks(math).map((c) => c.ok);

  it('accepts lines whose printed terms give the printed total, at its last digit or to 1e-3', () => {
    expect(verdicts('a = 0.3068 - 0.1793 = 0.1275')).toEqual([true]);
    expect(verdicts('(0.5000)(-0.2)\\big[0.1 + 0.2\\big] \\approx -0.03000')).toEqual([true]);
    expect(verdicts('1 - (0.4621)^2 = 0.7864,\\quad 0.6225 \\cdot (1 - 0.6225) = 0.2350')).toEqual([true, true]);
    expect(verdicts('\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}\\,\\begin{bmatrix}1\\\\-1\\end{bmatrix} = \\begin{bmatrix}-1\\\\-1\\end{bmatrix}')).toEqual([true]);
    expect(verdicts('2 \\cdot (-3.200 \\times 10^{-5}) = -6.400 \\times 10^{-5}')).toEqual([true]);
    // symbols and single numbers are not arithmetic to check
    expect(verdicts('f_{2} = 0.5000,\\quad \\sigma(a) = \\frac{1}{1 + e^{-a}} = 0.6225')).toEqual([]);
  });

  it('rejects a total the printed terms do not give, and flags signed terms typeset as + - or \\cdot -', () => {
    expect(verdicts('0.3 + 0.2 = 0.6000')).toEqual([false]);
    expect(verdicts('0.3068 - 0.3051 = 0.001723')).toEqual([false]);
    expect(verdicts('\\begin{bmatrix}0.1\\\\0.2\\end{bmatrix} + \\begin{bmatrix}0.1\\\\0.2\\end{bmatrix} = \\begin{bmatrix}0.2000\\\\0.4100\\end{bmatrix}')).toEqual([false]);
    expect(BAD_SIGNS.test('0.3068 + -0.1793')).toBe(true);
    expect(BAD_SIGNS.test('= -1.2 + 19 \\cdot -0.6990')).toBe(true);
    expect(BAD_SIGNS.test('0.3068 - -0.1793')).toBe(true);
    expect(BAD_SIGNS.test('0.3068 - 0.1793 + 19 \\cdot (-0.6990) + 10^{-5}')).toBe(false);
  });
});

const types = [...new Set(drawn.map((d) => d.type))];

describe('worked solutions of every problem type', () => {
  it('are drawn for every problem type', () => {
    for (const t of PROBLEM_TYPES.map((p) => p.id)) expect(types).toContain(t);
  });

  for (const type of types) {
    const ofType = drawn.filter((d) => d.type === type);

    it(`add up by hand at their printed precision (${type}, ${ofType.length} questions)`, () => {
      const failures: string[] = [];
      const checks: ArithmeticCheck[] = [];
      for (const d of ofType) for (const { part, math } of solutionMath(d.question)) {
        for (const c of arithmeticChecks(math)) {
          checks.push(c);
          if (!c.ok) failures.push(`${d.where} (${part}): ${c.expression} → ${JSON.stringify(c.value)}, printed ${c.total}`);
        }
      }
      expect(failures.slice(0, 12), `${failures.length} of ${checks.length} lines`).toEqual([]);
      // every type writes some arithmetic out; a checker that found none would check nothing
      expect(checks.length).toBeGreaterThanOrEqual(ofType.length);
    });

    it(`print signed terms as such, never "+ -" or "\\cdot -" (${type})`, () => {
      const bad: string[] = [];
      for (const d of ofType) {
        for (const { part, math } of solutionMath(d.question)) if (BAD_SIGNS.test(math)) bad.push(`${d.where} (${part}): ${math}`);
        for (const math of questionMath(d.question)) if (BAD_SIGNS.test(math)) bad.push(`${d.where} (question): ${math}`);
      }
      expect(bad.slice(0, 8), `${bad.length} lines`).toEqual([]);
    });
  }
});
