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
    expect(best.summary).toEqual({ submissions: 4, graded: 3, ungradable: 1, duplicatePolicy: 'best', superseded: 1, counted: 2 });
    expect(best.percents).toEqual([100, 100]);
    const last = gradeBulk(grader, items, 'last');
    expect(last.results.map((l) => (JSON.parse(l) as { counted: boolean }).counted)).toEqual([false, false, true, true]);
    // the gradebook: a header, then one row per item, every row as wide as the header
    const width = best.gradebook[0]!.split(',').length;
    expect(best.gradebook).toHaveLength(5);
    for (const row of best.gradebook) expect(row.split(',').length).toBe(width);
    expect(best.problems).toEqual(['[1]: ? : [1] is not valid JSON.']);
    // an item that is not JSON says why, and its gradebook row names it and does not count
    expect((results[1] as unknown as { reason: string }).reason).toBe('not-json');
    expect(best.gradebook[0]).toMatch(/,counted,source$/);
    expect(best.gradebook.slice(1).map((row) => row.split(',').slice(-2).join(','))).toEqual(['true,[0]', 'false,[1]', 'false,[2]', 'true,[3]']);
    expect(best.gradebook[2]).toMatch(/^,,0,0,0,/);
  });

  it('analyses the counted submissions only: under "best" the exact one, under "last" the later, wrong one', () => {
    const items = [{ where: 'a', value: sub(variants[0]!) }, { where: 'b', value: sub(variants[0]!, 5) }, { where: 'c', value: sub(variants[1]!) }];
    const first = variants[0]!.questions[0]!.parts[0]!.id;
    const best = gradeBulk(grader, items, 'best').analysis.find((p) => p.id === first)!;
    expect(best).toMatchObject({ sheets: 2, answered: 2, correct: 2, facility: 1 });
    const last = gradeBulk(grader, items, 'last').analysis.find((p) => p.id === first)!;
    expect(last).toMatchObject({ sheets: 2, answered: 2, correct: 1, facility: 0.5 });
    expect(gradeBulk(grader, items, 'last').summary).toMatchObject({ graded: 3, superseded: 1, counted: 2 });
  });

  it('counts a submission without an answers object as every part left blank', () => {
    const items = [{ where: 'a', value: sub(variants[0]!) }, { where: 'b', value: { ...sub(variants[1]!), answers: 'none' } }];
    const graded = gradeBulk(grader, items, 'last');
    expect(JSON.parse(graded.results[1]!)).toMatchObject({ reason: 'no-answers', counted: true });
    expect(graded.percents).toEqual([100, 0]);
    for (const p of graded.analysis) expect(p).toMatchObject({ sheets: 2, answered: 1, correct: 1 });
  });
});

describe('bulk grading across variants', () => {
  // vanishing-exploding draws the regime per variant ("any"): its choice parts' right answers differ
  const ve = parseBank(JSON.parse(readFileSync('question-banks/vanishing-exploding.json', 'utf8')));
  const vs = generateKeyVariants(ve, practiceSecret('bulk-regimes'), practiceStudents(12).map((id) => ({ id, name: id })));
  const g = Grader.fromKey(answerKey(ve, vs));

  it('groups the parts of a question that draws a regime by the right answer of its choice part', () => {
    // everyone right, except that the choice of q3 is wrong on the sheets that drew "vanishing"
    const regime = (v: (typeof vs)[number]) => v.questions.find((q) => q.id === 'q3')!.parts.find((p) => p.kind === 'choice')!;
    const items = vs.map((v, i) => {
      const answers = Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer])));
      const c = regime(v);
      if (c.answer === 'vanishing') answers[c.id] = c.choices!.find((x) => x !== 'vanishing')!;
      return { where: `[${i}]`, value: { format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers } };
    });
    const analysis = gradeBulk(g, items, 'last').analysis;
    const c = regime(vs[0]!);
    const part = analysis.find((p) => p.id === c.id)!;
    expect(part.byDrawn).toHaveLength(1);
    const drawn = part.byDrawn[0]!;
    expect(drawn.part).toBe(c.id);
    const counts = new Map<string, number>();
    for (const v of vs) counts.set(regime(v).answer as string, (counts.get(regime(v).answer as string) ?? 0) + 1);
    expect(counts.get('vanishing')).toBeGreaterThan(0);
    expect(drawn.groups).toEqual([...counts].sort().map(([label, sheets]) => ({ label, sheets, facility: label === 'vanishing' ? 0 : 1 })));
    // the other parts of q3 were right everywhere; q1 draws no regime and is not grouped
    for (const p of analysis.filter((x) => x.id.startsWith('q3.') && x.id !== c.id)) expect(p.byDrawn[0]!.groups.every((x) => x.facility === 1)).toBe(true);
    expect(analysis.find((p) => p.id === 'q1.a')!.byDrawn).toEqual([]);
  });
});
