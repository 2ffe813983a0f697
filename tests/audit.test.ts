import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_LIMITS, auditBank, normaliseForSpelling, spelledIn, type AuditReport, type PartAudit } from '../src/problems/audit.js';
import { parseBank, type Bank } from '../src/problems/bank.js';
import type { DrawStats, GeneratedPart } from '../src/problems/generate.js';
import { freePoint, printedNumbers } from '../src/problems/printed.js';
import type { AnswerValue } from '../src/problems/types.js';
import { generateVariant, practiceSecret, practiceStudents, type Variant } from '../src/problems/variants.js';
import { gradsheet, ROOT } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const COUNT = 60;
const SEED = 'audit-unit';

function bank(questions: unknown[], extra: Record<string, unknown> = {}): Bank {
  return parseBank({ format: 'gradsheet.bank/1', id: 'audit-test', title: 'Audit test', ...extra, questions });
}

/** The variants the audit should have drawn, drawn here on their own. */
function drawn(b: Bank, count = COUNT, seed = SEED, stats?: DrawStats): Variant[] {
  return practiceStudents(count).map((id) => generateVariant(b, practiceSecret(seed), { id, name: id }, stats));
}

/** Each variant's part `key` of question `question`, with the question's build. */
function partsOf(variants: readonly Variant[], question: string, key: string) {
  return variants.map((v) => {
    const q = v.questions.find((x) => x.bank.id === question)!;
    return { variant: v, built: q.generated.built, part: q.generated.parts.find((p) => p.spec.key === key)! };
  });
}

function partAudit(report: AuditReport, id: string): PartAudit {
  const part = report.questions.flatMap((q) => q.parts).find((p) => p.id === id);
  expect(part, `the report has part ${id}`).toBeDefined();
  return part!;
}

function flat(v: AnswerValue): number[] {
  return typeof v === 'number' ? [v] : typeof v === 'string' ? [] : (v as unknown[]).flat(2) as number[];
}

/** |given − exact| ≤ atol + rtol·|exact|, written out here for the {rtol, atol} tolerances the test banks use. */
function scores(exact: number, given: number, tol: { rtol: number; atol: number }): boolean {
  return Math.abs(given - exact) <= tol.atol + tol.rtol * Math.abs(exact);
}

function count<T>(items: readonly T[], test: (item: T) => boolean): number {
  return items.filter(test).length;
}

describe('auditBank on hand-made banks', () => {
  it('counts the right answers of a choice part and flags one right answer in 100% of the variants', () => {
    const b = bank([{ id: 'q1', type: 'rnn.long-range', title: 'Twenty steps back', params: { regime: 'vanishing' } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const parts = partsOf(drawn(b), 'q1', 'c');
    const answers = parts.map((p) => p.part.answer as string);
    const c = partAudit(report, 'q1.c');
    expect(c.kind).toBe('choice');
    expect(c.variants).toBe(COUNT);
    expect(c.choice!.rightAnswers).toEqual({ vanishing: count(answers, (a) => a === 'vanishing'), exploding: count(answers, (a) => a === 'exploding'), neither: count(answers, (a) => a === 'neither') });
    // generator 1 draws the regime the bank asks for: the right answer never changes
    expect(count(answers, (a) => a === 'vanishing')).toBe(COUNT);
    expect(c.choice!.mostFrequent).toEqual({ answer: 'vanishing', count: COUNT, share: 1 });
    expect(c.choice!.choices).toBe(3);
    const positions = [0, 1, 2].map((i) => count(parts, (p) => p.part.choices!.indexOf(p.part.answer as string) === i));
    expect(c.choice!.positions).toEqual(positions);
    expect(c.sameAnswer.count).toBe(COUNT);
    expect(c.checks.mostFrequentChoice).toBe('fail');
    const v = report.violations.filter((x) => x.limit === 'mostFrequentChoice');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ question: 'q1', part: 'c', measured: 1, allowed: AUDIT_LIMITS.mostFrequentChoice });
    expect(v[0]!.message).toMatch(/^Question q1 part c \(q1\.c\): "vanishing" is the right answer in 100% of the 60 variants .*above the limit of 60%/);
    // the title says nothing of the answer
    expect(c.spelledOut).toEqual([]);
    expect(c.checks.spelledOut).toBe('pass');
    expect(report.passed).toBe(false);
  });

  it('passes a choice part whose most frequent right answer stays within 60% of the variants', () => {
    // thresholds that split the free draws of a short chain between vanishing and neither
    const b = bank([{ id: 'q1', type: 'rnn.long-range', title: 'Six steps back', params: { regime: 'any', steps: 6, thresholds: { vanish: -5, explode: 0.3 } } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const answers = partsOf(drawn(b), 'q1', 'c').map((p) => p.part.answer as string);
    const top = Math.max(...['vanishing', 'exploding', 'neither'].map((r) => count(answers, (a) => a === r)));
    expect(top / COUNT).toBeLessThanOrEqual(AUDIT_LIMITS.mostFrequentChoice);
    const c = partAudit(report, 'q1.c');
    expect(c.choice!.mostFrequent.count).toBe(top);
    expect(c.choice!.mostFrequent.share).toBeCloseTo(top / COUNT, 12);
    expect(c.checks.mostFrequentChoice).toBe('pass');
    expect(report.violations.filter((x) => x.part === 'c')).toEqual([]);
  });

  it('flags a right answer that the question title spells out, naming the variant and the answer', () => {
    const b = bank([{ id: 'q2', type: 'rnn.long-range', title: 'A vanishing gradient', params: { regime: 'vanishing' } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const parts = partsOf(drawn(b), 'q2', 'c');
    const spelled = parts.filter((p) => 'a vanishing gradient'.split(' ').includes(p.part.answer as string));
    expect(spelled).toHaveLength(COUNT);
    const c = partAudit(report, 'q2.c');
    expect(c.spelledOut).toEqual([{ answer: 'vanishing', where: 'title', variants: spelled.length, student: spelled[0]!.variant.student, code: spelled[0]!.variant.code }]);
    expect(c.checks.spelledOut).toBe('fail');
    const v = report.violations.find((x) => x.limit === 'spelledOut');
    expect(v).toMatchObject({ question: 'q2', part: 'c', measured: COUNT, allowed: 0 });
    expect(v!.message).toBe(`Question q2 part c (q2.c): the right answer is spelled out in the question: "vanishing" in the title "A vanishing gradient" (${COUNT} variants, first practice-1, worksheet ${parts[0]!.variant.code}).`);
  });

  it('reads TeX and case out of the text it compares, and matches whole words only', () => {
    expect(normaliseForSpelling('Steer it with $W_{hf}$ ONLY')).toBe('steer it with whf only');
    expect(spelledIn(normaliseForSpelling('Steer it with $W_{hf}$ only'), normaliseForSpelling('W_hf only'))).toBe(true);
    expect(spelledIn('is it neither?', 'neither')).toBe(true);
    expect(spelledIn('do not bother', 'both')).toBe(false);
    expect(spelledIn('whf, whi and whg', 'whf')).toBe(true);
    expect(spelledIn('anything', '')).toBe(false);
  });

  it('counts numeric answers of 0 and flags the per-step term for k = 1 of ∂L/∂W when s_0 = 0', () => {
    const b = bank([{ id: 'q3', type: 'rnn.bptt', params: { steps: 3, wrt: 'W' } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const variants = drawn(b);
    const keys = variants[0]!.questions[0]!.generated.parts.map((p) => p.spec.key);
    for (const key of keys) {
      const parts = partsOf(variants, 'q3', key);
      const zero = count(parts, (p) => flat(p.part.answer).some((e) => e === 0));
      expect(partAudit(report, `q3.${key}`).numeric!.zeroAnswer.count, `q3.${key}`).toBe(zero);
    }
    // the part that asks for ∂L_3/∂W^(1): θ_1 = U x_1 + W s_0 + b does not depend on W when s_0 = 0
    const k1 = variants[0]!.questions[0]!.generated.parts.find((p) => p.spec.prompt.includes('W^{(1)}'))!.spec.key;
    const parts = partsOf(variants, 'q3', k1);
    expect(count(parts, (p) => p.part.answer === 0)).toBe(COUNT);
    const term = partAudit(report, `q3.${k1}`);
    expect(term.numeric!.zeroAnswer).toEqual({ count: COUNT, share: 1 });
    expect(term.numeric!.zeroScores.count).toBe(COUNT);
    expect(term.sameAnswer.count).toBe(COUNT);
    expect(term.checks.zeroAnswer).toBe('fail');
    const v = report.violations.find((x) => x.limit === 'zeroAnswer' && x.part === k1);
    expect(v).toMatchObject({ question: 'q3', part: k1, measured: 1, allowed: AUDIT_LIMITS.zeroAnswer });
    expect(v!.message).toBe(`Question q3 part ${k1} (q3.${k1}): the answer is 0 in 100% of the ${COUNT} variants (${COUNT}), above the limit of 0.5%.`);
    // the other per-step terms are not 0 whatever the draw, and the audit does not say they are
    const other = keys.filter((k) => k !== k1 && count(partsOf(variants, 'q3', k), (p) => flat(p.part.answer).some((e) => e === 0)) === 0);
    expect(other.length).toBeGreaterThan(0);
    for (const k of other) expect(partAudit(report, `q3.${k}`).checks.zeroAnswer).toBe('pass');
  });

  it('flags a part that an answer of 0 scores: a tanh value under an absolute tolerance of 1', () => {
    const tolerance = { rtol: 0.01, atol: 1 };
    const b = bank([{ id: 'q4', type: 'activations', tolerance, params: { functions: ['tanh'], points: 1 } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const parts = partsOf(drawn(b), 'q4', 'a');
    const zeroScores = count(parts, (p) => flat(p.part.answer).every((e) => scores(e, 0, tolerance)));
    const printedScores = count(parts, (p) => {
      const printed = printedNumbers(p.built);
      return flat(p.part.answer).every((e) => printed.some((n) => scores(e, n, tolerance)));
    });
    const freeEntry = count(parts, (p) => flat(p.part.answer).some((e) => freePoint(e, p.part.tolerance, printedNumbers(p.built), b.digits) !== null));
    expect(zeroScores).toBe(COUNT);
    const a = partAudit(report, 'q4.a').numeric!;
    expect(a.zeroScores.count).toBe(zeroScores);
    expect(a.printedScores.count).toBe(printedScores);
    expect(a.freeFullMarks.count).toBe(COUNT);
    expect(a.freeEntry.count).toBe(freeEntry);
    expect(a.zeroAnswer.count).toBe(count(parts, (p) => p.part.answer === 0));
    const v = report.violations.find((x) => x.limit === 'freeFullMarks');
    expect(v).toMatchObject({ question: 'q4', part: 'a', measured: 1, allowed: AUDIT_LIMITS.freeFullMarks });
    expect(v!.message).toMatch(/^Question q4 part a \(q4\.a\): 0 or a number printed in the question scores full marks in 100% of the 60 variants/);
  });

  it('measures answers printed in the question, caught mistakes and repeated answers against counts of its own draws', () => {
    const b = bank([{ id: 'q1', type: 'rnn.forward', params: { steps: 2 } }, { id: 'q2', type: 'rnn.jacobian', params: { steps: 3 } }]);
    const report = auditBank(b, { count: COUNT, seed: SEED });
    const variants = drawn(b);
    for (const q of report.questions) {
      for (const p of q.parts) {
        const parts = partsOf(variants, q.id, p.part);
        const printedAnswer = count(parts, ({ part, built }) => {
          const printed = printedNumbers(built);
          return flat(part.answer).some((e) => printed.includes(Number(e.toPrecision(b.digits))));
        });
        const mistaken = count(parts, ({ part }: { part: GeneratedPart }) => part.mistakes.some((m) => {
          const mine = flat(m.value), right = flat(part.answer);
          return mine.length === right.length && right.every((e, i) => scores(e, mine[i]!, part.tolerance as { rtol: number; atol: number }));
        }));
        const byAnswer = new Map<string, number>();
        for (const { part } of parts) byAnswer.set(JSON.stringify(part.answer), (byAnswer.get(JSON.stringify(part.answer)) ?? 0) + 1);
        expect(p.numeric!.printedAnswer.count, p.id).toBe(printedAnswer);
        expect(p.mistakeWithinTolerance.count, p.id).toBe(mistaken);
        expect(p.sameAnswer.count, p.id).toBe(Math.max(...byAnswer.values()));
      }
    }
  });

  it('reports the redraw rate of the draws it made', () => {
    const b = bank([{ id: 'q1', type: 'rnn.bptt', params: { steps: 3, wrt: 'U' } }]);
    const report = auditBank(b, { count: 20, seed: SEED });
    const stats: DrawStats = { draws: 0, rejected: {} };
    drawn(b, 20, SEED, stats);
    const rejected = Object.values(stats.rejected).reduce((x, y) => x + y, 0);
    expect(report.draws).toEqual({ draws: stats.draws, rejected, redrawRate: rejected / stats.draws, reasons: stats.rejected });
    expect(stats.draws).toBeGreaterThanOrEqual(20);
  });

  it('refuses to audit no variants at all', () => {
    const b = bank([{ id: 'q1', type: 'rnn.forward', params: { steps: 2 } }]);
    expect(() => auditBank(b, { count: 0 })).toThrow('An audit draws a whole number of variants, 1 or more, not 0.');
  });
});

describe('gradsheet audit', () => {
  const json = (stdout: string) => JSON.parse(stdout) as AuditReport;

  it('fails the generator-1 copy of vanishing-exploding on its fixed regimes and on the titles that name them', () => {
    const r = gradsheet(['audit', '--bank', 'vanishing-exploding@1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Audit of bank vanishing-exploding \(generator 1, 4 significant figures\): 200 variants from seed 4242\.\nRedraw rate: \d+(\.\d)?% \(\d+ of \d+ draws rejected/);
    for (const [q, answer, title] of [['q2', 'vanishing', 'A vanishing gradient'], ['q3', 'exploding', 'An exploding gradient'], ['q4', 'neither', 'Neither']]) {
      expect(r.stdout).toContain(`Question ${q} part c (${q}.c): "${answer}" is the right answer in 100% of the 200 variants (200), above the limit of 60% for a choice of 3.`);
      expect(r.stdout).toContain(`Question ${q} part c (${q}.c): the right answer is spelled out in the question: "${answer}" in the title "${title}"`);
      // the part's row: a choice, over the 60% limit and spelled out
      expect(r.stdout).toMatch(new RegExp(`\\n  ${q}\\.c +choice +top "${answer}" 100% of 3 choices;.*✗ +– +– +✗\\n`));
    }
    expect(r.stdout).toMatch(/\naudit failed: bank vanishing-exploding breaks \d+ limits over 200 variants \(seed 4242\):\n/);
  });

  it('fails the generator-1 copy of bptt-basics on the per-step term of ∂L/∂W that is always 0', () => {
    const r = gradsheet(['audit', '--bank', 'bptt-basics@1', '--json']);
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    const zero = report.violations.filter((v) => v.limit === 'zeroAnswer');
    expect(zero.map((v) => `${v.question}.${v.part}`)).toContain('q3.b');
    const b = partAudit(report, 'q3.b');
    expect(b.numeric!.zeroAnswer).toEqual({ count: 200, share: 1 });
    expect(zero.find((v) => v.part === 'b')!.message).toBe('Question q3 part b (q3.b): the answer is 0 in 100% of the 200 variants (200), above the limit of 0.5%.');
  });

  it('prints the whole report as JSON with --json: the figures of every part, as auditBank computes them', async () => {
    const r = gradsheet(['audit', '--bank', 'vanishing-exploding@1', '--count', '30', '--seed', 'json', '--json']);
    expect(r.code).toBe(1);
    const report = json(r.stdout);
    const { loadBank } = await import('../src/commands/files.js');
    const expected = auditBank(await loadBank('vanishing-exploding@1'), { count: 30, seed: 'json' });
    expect(report).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(report.count).toBe(30);
    expect(report.questions.map((q) => q.parts.map((p) => p.id))).toEqual([['q1.a', 'q1.b', 'q1.c', 'q1.d'], ['q2.a', 'q2.b', 'q2.c'], ['q3.a', 'q3.b', 'q3.c'], ['q4.a', 'q4.b', 'q4.c']]);
    expect(partAudit(report, 'q2.c').choice!.rightAnswers).toEqual({ vanishing: 30, exploding: 0, neither: 0 });
    expect(partAudit(report, 'q1.a').numeric!.zeroAnswer.share).toBe(0);
  });

  it('exits 0 with "audit passed" on a bank that meets every limit', () => {
    const dir = tempDir('gradsheet-audit-');
    const path = join(dir, 'fair.json');
    writeFileSync(path, JSON.stringify({ format: 'gradsheet.bank/1', id: 'fair', title: 'A forward pass', generator: 2, questions: [{ id: 'q1', type: 'rnn.forward', params: { steps: 2 } }] }));
    const r = gradsheet(['audit', '--bank', path, '--count', '100']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('\naudit passed: bank fair meets every limit over 100 variants (seed 4242).');
    expect(r.code).toBe(0);
  });

  it('says in one sentence, with exit code 2, that a bank is missing, a count is not a positive whole number or a bank is invalid', () => {
    const dir = tempDir('gradsheet-audit-');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'gradsheet.bank/1', id: 'bad', title: 'Bad', questions: [{ id: 'q1', type: 'rnn.bptt', params: { wrt: 'Q' } }] }));
    const cases: [string[], RegExp][] = [
      [['--bank', 'no-such-bank'], /^gradsheet audit: There is no default bank "no-such-bank"; the default banks are .*\.\n$/],
      [['--bank', 'midterm', '--count', '0'], /^gradsheet audit: --count should be a whole number from 1 to 10000, not "0"\.\n$/],
      [['--bank', 'midterm', '--count', 'many'], /^gradsheet audit: --count should be a whole number from 1 to 10000, not "many"\.\n$/],
      [['--count', '5'], /^gradsheet audit: audit needs --bank NAME\|PATH .*\.\n$/],
      [['--bank', join(dir, 'nowhere.json')], /^gradsheet audit: .*nowhere\.json does not exist\.\n$/],
      [['--bank', bad], /^gradsheet audit: Invalid .*bad\.json: \$\.questions\[0\]\.params\.wrt should be .*\.\n$/],
    ];
    for (const [args, message] of cases) {
      const r = gradsheet(['audit', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('the shipped banks', () => {
  const names = readdirSync(join(ROOT, 'question-banks')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

  it('are all audited', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`passes on every shipped bank at N = 200: ${name}`, () => {
      const r = gradsheet(['audit', '--bank', name, '--json']);
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as AuditReport;
      expect(report.count).toBe(200);
      expect(report.violations.map((v) => v.message)).toEqual([]);
      expect(r.code).toBe(0);
    });
  }
});
