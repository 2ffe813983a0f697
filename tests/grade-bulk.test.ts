import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answerKey, generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { countedSubmissions, gradeBulk, withCounted } from '../src/grade/bulk.js';
import { Grader } from '../src/grade/grade.js';

describe('the duplicate policy', () => {
  const scored = [
    { who: 'ana', score: 3 }, { who: 'ben', score: 5 }, { who: null, score: 0 },
    { who: 'ana', score: 7 }, { who: 'ana', score: 7 }, { who: 'ben', score: 2 },
  ];

  it('counts each student\'s last submission under "last", and nothing for an ungradable one', () => {
    expect([...countedSubmissions(scored, 'last')].sort()).toEqual([4, 5]);
  });

  it('counts each student\'s best under "best", the first of equal bests', () => {
    expect([...countedSubmissions(scored, 'best')].sort()).toEqual([1, 3]);
  });

  it('appends "counted" as the last field of a result\'s JSON', () => {
    expect(JSON.parse(withCounted(JSON.stringify({ a: 1, b: [2] }), true))).toEqual({ a: 1, b: [2], counted: true });
  });
});

describe('bulk grading', () => {
  const bank = parseBank(JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')));
  const variants = generateKeyVariants(bank, practiceSecret('bulk'), practiceStudents(2).map((id) => ({ id, name: id })));
  const grader = Grader.fromKey(answerKey(bank, variants));
  const answers = (v: (typeof variants)[number], shift = 0) => Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p, i) => [p.id, i === 0 && typeof p.answer === 'number' ? p.answer + shift : p.answer])));
  const sub = (v: (typeof variants)[number], shift = 0) => ({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: answers(v, shift) });

  it('gives every item a result in input order, the bad ones too, and counts one submission per student', () => {
    const items = [
      { where: '[0]', value: sub(variants[0]!) },
      { where: '[1]', error: '[1] is not valid JSON.' },
      { where: '[2]', value: sub(variants[0]!, 5) },
      { where: '[3]', value: sub(variants[1]!) },
    ];
    const done: number[] = [];
    const best = gradeBulk(grader, items, 'best', (n) => done.push(n));
    expect(done).toEqual([1, 2, 3, 4]);
    const results = best.results.map((l) => JSON.parse(l) as { source: string; counted: boolean; score: number; max: number; errors: string[] });
    expect(results.map((r) => r.source)).toEqual(['[0]', '[1]', '[2]', '[3]']);
    expect(results.map((r) => r.counted)).toEqual([true, false, false, true]);
    expect(results[1]!.errors).toEqual(['[1] is not valid JSON.']);
    expect(results[2]!.score).toBeLessThan(results[0]!.score);
    expect(best.summary).toEqual({ submissions: 4, graded: 3, ungradable: 1, duplicatePolicy: 'best', superseded: 1 });
    expect(best.percents).toEqual([100, 100]);
    const last = gradeBulk(grader, items, 'last');
    expect(last.results.map((l) => (JSON.parse(l) as { counted: boolean }).counted)).toEqual([false, false, true, true]);
    // the gradebook: a header, then one row per item, every row as wide as the header
    const width = best.gradebook[0]!.split(',').length;
    expect(best.gradebook).toHaveLength(5);
    for (const row of best.gradebook) expect(row.split(',').length).toBe(width);
    expect(best.problems).toEqual(['[1]: ? : [1] is not valid JSON.']);
  });
});
