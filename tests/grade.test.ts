import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerKey, generateKeyVariants, parseBank, practiceSecret, practiceStudents, withinTolerance, type AnswerKey, type KeyVariant } from '../src/index.js';
import { Grader } from '../src/grade/grade.js';
import { MISTAKES } from '../src/problems/mistakes.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const bank = parseBank(JSON.parse(readFileSync('question-banks/midterm.json', 'utf8')));
const variants = generateKeyVariants(bank, practiceSecret('grade-test'), practiceStudents(3).map((id) => ({ id, name: id })));
const key: AnswerKey = answerKey(bank, variants);
const grader = Grader.fromKey(key);
const v = variants[0]!;

function exactAnswers(variant: KeyVariant): Record<string, unknown> {
  return Object.fromEntries(variant.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer])));
}
const submit = (answers: Record<string, unknown>, variant = v) => ({ format: 'gradsheet.submission/1', worksheet: variant.code, student: variant.student, answers });
const part = (id: string) => v.questions.flatMap((q) => q.parts).find((p) => p.id === id)!;
const partOf = (r: ReturnType<Grader['grade']>, id: string) => r.parts.find((p) => p.id === id)!;

describe('marking', () => {
  it('gives full marks for the exact answers', () => {
    const r = grader.grade(submit(exactAnswers(v)));
    expect(r.errors).toEqual([]);
    expect(r.score).toBe(r.max);
    expect(r.parts.every((p) => p.status === 'correct')).toBe(true);
  });

  it('accepts answers inside the tolerance (rtol 0.01, atol 1e-4) and rejects those outside', () => {
    const id = 'q3.e';
    const exact = part(id).answer as number;
    const inside = grader.grade(submit({ ...exactAnswers(v), [id]: exact * 1.009 }));
    const outside = grader.grade(submit({ ...exactAnswers(v), [id]: exact * 1.03 + 0.001 }));
    expect(partOf(inside, id).status).toBe('correct');
    expect(partOf(outside, id).status).not.toBe('correct');
  });

  it('reads numbers given as decimal or scientific strings, and calls other strings invalid, not incorrect', () => {
    const exact = part('q1.a').answer as number;
    expect(partOf(grader.grade(submit({ 'q1.a': exact.toExponential(6) })), 'q1.a').status).toBe('correct');
    for (const bad of ['abc', 'Infinity', 'NaN', '1,234', '1/0', '1,2.5', {}, true]) {
      const p = partOf(grader.grade(submit({ 'q1.a': bad })), 'q1.a');
      expect(p.status, JSON.stringify(bad)).toBe('invalid');
      expect(p.score).toBe(0);
    }
  });

  it('names a catalogued mistake without revealing the right answer, and reveals it when the teacher asks', () => {
    const withMistake = v.questions.flatMap((q) => q.parts).find((p) => p.mistakes?.length && typeof p.answer === 'number')!;
    const m = withMistake.mistakes![0]!;
    const r = grader.grade(submit({ [withMistake.id]: m.value }));
    const p = partOf(r, withMistake.id);
    expect(p.mistake).toBe(m.id);
    expect(p.feedback).toContain(MISTAKES[m.id].explanation);
    const printed = String(Number((withMistake.answer as number).toPrecision(4)));
    expect(p.feedback).not.toContain(printed);
    const revealed = partOf(Grader.fromKey(key, { reveal: true }).grade(submit({ [withMistake.id]: m.value })), withMistake.id);
    expect(revealed.feedback).toContain(printed);
  });

  it('grades vectors and matrices entry by entry, and says when the shape is wrong or transposed', () => {
    const vecPart = v.questions.flatMap((q) => q.parts).find((p) => p.kind === 'vector')!;
    const exact = vecPart.answer as number[];
    const oneWrong = exact.map((x, i) => (i === 0 ? x + 10 : x));
    const pr = partOf(grader.grade(submit({ [vecPart.id]: oneWrong })), vecPart.id);
    expect(pr.status).toBe('partial');
    expect(pr.score).toBeCloseTo(vecPart.points * (exact.length - 1) / exact.length, 3);
    const short = partOf(grader.grade(submit({ [vecPart.id]: exact.slice(1) })), vecPart.id);
    expect(short.status).toBe('invalid');
    expect(short.feedback).toMatch(new RegExp(`should be a vector of ${exact.length} entries, not a vector of ${exact.length - 1}`));
    const matPart = variants.flatMap((x) => x.questions.flatMap((q) => q.parts)).find((p) => p.kind === 'matrix' && p.shape[0] !== p.shape[1]);
    if (matPart) {
      const owner = variants.find((x) => x.questions.some((q) => q.parts.includes(matPart)))!;
      const m = matPart.answer as number[][];
      const t = m[0]!.map((_, j) => m.map((row) => row[j]!));
      const pt = partOf(grader.grade(submit({ [matPart.id]: t }, owner)), matPart.id);
      expect(pt.feedback).toMatch(/transposed/);
    }
  });

  it('carries an error forward: a later part right from the student\'s own wrong earlier answer gets credit and is told so', () => {
    // q2 is the vector RNN forward pass: s_1 wrong, s_2 computed from it
    const q2 = v.questions.find((q) => q.type === 'rnn.forward')!;
    const inst = q2.instance as { U: number[][]; W: number[][]; b: number[]; x: number[][] };
    const wrongS1 = (q2.parts[0]!.answer as number[]).map((x) => x + 0.2);
    const s2 = inst.W.map((row, a) => Math.tanh(row.reduce((acc, w, j) => acc + w * wrongS1[j]!, 0) + inst.U[a]!.reduce((acc, u, d) => acc + u * inst.x[1]![d]!, 0) + inst.b[a]!));
    const r = grader.grade(submit({ [q2.parts[0]!.id]: wrongS1, [q2.parts[1]!.id]: s2 }));
    expect(partOf(r, q2.parts[0]!.id).status).not.toBe('correct');
    const carried = partOf(r, q2.parts[1]!.id);
    expect(carried.status).toBe('correct');
    expect(carried.carried).toBe(true);
    expect(carried.feedback).toMatch(/carried forward/);
    // a degenerate earlier answer (all zeros) carries nothing
    const zeros = (q2.parts[0]!.answer as number[]).map(() => 0);
    const fromZeros = inst.W.map((_, a) => Math.tanh(inst.U[a]!.reduce((acc, u, d) => acc + u * inst.x[1]![d]!, 0) + inst.b[a]!));
    const z = partOf(grader.grade(submit({ [q2.parts[0]!.id]: zeros, [q2.parts[1]!.id]: fromZeros })), q2.parts[1]!.id);
    expect(z.carried).toBeUndefined();
    expect(z.status).not.toBe('correct');
  });

  it('names the step where a chain first went wrong when the part cannot be judged against the student\'s own earlier answers', () => {
    const q = v.questions.find((x) => x.type === 'rnn.bptt')!;
    const term = q.parts[1]!, total = q.parts[q.parts.length - 1]!;
    expect(term.answer).not.toBe(0);
    // a wrong 0 carries nothing, so the wrong total is blamed on it
    const r = grader.grade(submit({ ...exactAnswers(v), [term.id]: 0, [total.id]: (total.answer as number) + 5 }));
    expect(partOf(r, total.id).feedback).toMatch(new RegExp(`builds on \\(${term.id.split('.')[1]}\\), where the chain first went wrong`));
  });

  it('does not blame an earlier term for a total that is not the sum of the student\'s own terms (generator 1: no catalogued name for it)', () => {
    // the shipped midterm as generator 1 drew it (question-banks/generator-1/, `midterm@1`)
    const bank1 = parseBank(JSON.parse(readFileSync('question-banks/generator-1/midterm.json', 'utf8')));
    expect(bank1.generator).toBe(1);
    const [v1] = generateKeyVariants(bank1, practiceSecret('grade-test'), practiceStudents(1).map((id) => ({ id, name: id })));
    const grader1 = Grader.fromKey(answerKey(bank1, [v1!]));
    const q = v1!.questions.find((x) => x.type === 'rnn.bptt')!;
    const term = q.parts[1]!, total = q.parts[q.parts.length - 1]!;
    const r = grader1.grade(submit({ ...exactAnswers(v1!), [term.id]: (term.answer as number) + 1, [total.id]: (total.answer as number) + 5 }, v1!));
    const p = partOf(r, total.id);
    expect(p.status).toBe('incorrect');
    expect(p.feedback).not.toMatch(/chain first went wrong/);
    expect(p.feedback).toBe('Incorrect. Nor does it follow from your own answers to (b), (c) and (d).');
    expect(p.mistake).toBeUndefined();
  });
});

describe('tolerance modes', () => {
  it('uses the standard rounding interval for significant figures', () => {
    expect(withinTolerance(0.123456, 0.1235, { sigfigs: 4 })).toBe(true);
    expect(withinTolerance(0.123456, 0.1236, { sigfigs: 4 })).toBe(false);
    expect(withinTolerance(1, 1.0000, { sigfigs: 5 })).toBe(true);
    expect(withinTolerance(1, 1.00006, { sigfigs: 5 })).toBe(false);
  });

  it('compares magnitudes on a log scale for vanishing and exploding quantities', () => {
    expect(withinTolerance(3.2e-12, 3.5e-12, { log10: 0.05 })).toBe(true);
    expect(withinTolerance(3.2e-12, 3.2e-11, { log10: 0.05 })).toBe(false);
    expect(withinTolerance(3.2e-12, -3.2e-12, { log10: 0.05 })).toBe(false);
  });
});

describe('submissions that cannot be graded', () => {
  it('still yields a result with a plain sentence for an unknown code, a wrong student, or no object at all', () => {
    expect(grader.grade({ ...submit({}), worksheet: 'ZZZZ-ZZZZ' }).errors[0]).toMatch(/ZZZZ-ZZZZ is not in this answer key/);
    expect(grader.grade({ ...submit({}), student: 'mallory' }).errors[0]).toMatch(/belongs to another student, not "mallory"/);
    expect(grader.grade([1, 2]).errors[0]).toMatch(/is an array/);
    const byBank = Grader.fromBank(bank, practiceSecret('grade-test'));
    expect(byBank.grade({ ...submit(exactAnswers(v)) }).score).toBe(grader.grade(submit(exactAnswers(v))).score);
    expect(byBank.grade({ ...submit({}), student: 'practice-2' }).errors[0]).toMatch(/was not issued to student "practice-2"|belongs to another student, not "practice-2"/);
  });

  it('treats __proto__ and constructor as unknown part ids and survives huge arrays', () => {
    const r = grader.grade(JSON.parse(`{"format":"gradsheet.submission/1","worksheet":"${v.code}","student":"${v.student}","answers":{"__proto__":{"x":1},"constructor":3,"q1.a":[${new Array(1_000_000).fill(0).join(',')}]}}`));
    expect(r.parts.find((p) => p.id === '__proto__')!.status).toBe('invalid');
    expect(r.parts.find((p) => p.id === 'constructor')!.status).toBe('invalid');
    expect(partOf(r, 'q1.a').feedback).toMatch(/more than 1000 entries/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('gradsheet grade and check', () => {
  const dir = tempDir('gradsheet-grade-');
  const keyFile = join(dir, 'key.json');
  writeFileSync(keyFile, JSON.stringify(key));

  it('grades a JSONL file with broken lines: one result and one gradebook row per submission, exit 0', () => {
    const lines = [
      JSON.stringify(submit(exactAnswers(v))),
      '{"format": "gradsheet.submission/1", "worksheet": ',
      'not json at all',
      JSON.stringify(submit(exactAnswers(variants[1]!), variants[1]!)),
      JSON.stringify({ ...submit({ 'q1.a': 0 }), worksheet: 'NOPE-NOPE' }),
      JSON.stringify(submit({ 'q1.a': 1 })),
    ];
    writeFileSync(join(dir, 'subs.jsonl'), lines.join('\n') + '\n');
    const r = gradsheet(['grade', '--submissions', join(dir, 'subs.jsonl'), '--key', keyFile, '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Graded 6 submissions .*policy: last wins/);
    const results = readFileSync(join(dir, 'out', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results).toHaveLength(6);
    expect(results[1].errors[0]).toMatch(/^subs\.jsonl:2 is not valid JSON: unexpected end/);
    expect(results[2].errors[0]).toMatch(/^subs\.jsonl:3 is not valid JSON at column 2:/);
    expect(results[1]).toMatchObject({ source: 'subs.jsonl:2', reason: 'not-json', counted: false });
    expect(results[4].errors[0]).toMatch(/N0PE-N0PE is not in this answer key/);
    // duplicates for one student: the last one counts by default
    expect(results[0].counted).toBe(false);
    expect(results[5].counted).toBe(true);
    const csv = readFileSync(join(dir, 'out', 'gradebook.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(/^student,worksheet,score,max,percent,q1\.a,/);
    const report = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(report).toMatch(/the last one counts/);
    expect(report).toMatch(/<svg/);
    const best = gradsheet(['grade', '--submissions', join(dir, 'subs.jsonl'), '--key', keyFile, '--out', join(dir, 'best'), '--duplicates', 'best']);
    const bestResults = readFileSync(join(dir, 'best', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(best.stdout).toMatch(/policy: best wins/);
    expect(bestResults[0].counted).toBe(true);
  });

  it('reads a JSON array and a folder of submissions', () => {
    writeFileSync(join(dir, 'subs.json'), JSON.stringify([submit(exactAnswers(v)), 'oops', null]));
    const r = gradsheet(['grade', '--submissions', join(dir, 'subs.json'), '--key', keyFile, '--out', join(dir, 'arr')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'arr', 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'folder', 'a.json'), JSON.stringify(submit(exactAnswers(v))));
    writeFileSync(join(dir, 'folder', 'b.json'), '{truncated');
    const f = gradsheet(['grade', '--submissions', join(dir, 'folder'), '--key', keyFile, '--out', join(dir, 'fold')]);
    expect(f.code).toBe(0);
    const res = readFileSync(join(dir, 'fold', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(res[0].score).toBe(res[0].max);
    expect(res[1].errors[0]).toMatch(/b\.json is not valid JSON/);
  });

  it('fails with one sentence when the key itself is unusable', () => {
    writeFileSync(join(dir, 'bad-key.json'), '{"format":"nope"}');
    const r = gradsheet(['grade', '--submissions', join(dir, 'subs.json'), '--key', join(dir, 'bad-key.json'), '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\$\.format should be "gradsheet\.key\/1"/);
  });

  it('checks one submission with a readable report, or the result object with --json', () => {
    writeFileSync(join(dir, 'one.json'), JSON.stringify(submit(exactAnswers(v))));
    const r = gradsheet(['check', join(dir, 'one.json'), '--bank', 'midterm', '--seed', 'grade-test']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Worksheet ${v.code} \\(${v.student}\\): (\\d+) / \\1`));
    const j = JSON.parse(gradsheet(['check', join(dir, 'one.json'), '--key', keyFile, '--json']).stdout);
    expect(j.format).toBe('gradsheet.result/1');
  });

  it('prints the JSON Schemas of the public formats', () => {
    for (const name of ['submission', 'result', 'key']) {
      const r = gradsheet(['schema', name]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).type).toBe('object');
    }
  });
});

describe('hostile submissions (from a review)', () => {
  it('reads a million-digit string as invalid (a backtracking pattern would hang here past the test timeout)', () => {
    const p = partOf(grader.grade(submit({ 'q1.a': '1'.repeat(1_000_000) + 'x' })), 'q1.a');
    expect(p.status).toBe('invalid');
    // and a long but well-formed literal is refused too: over 64 characters is not a typed number
    expect(partOf(grader.grade(submit({ 'q1.a': '0.' + '1'.repeat(80) })), 'q1.a').status).toBe('invalid');
  });

  it('survives answers and formats nested 50,000 deep', () => {
    const deep = JSON.parse('['.repeat(50_000) + '1' + ']'.repeat(50_000));
    const r = grader.grade({ ...submit({ 'q1.a': deep }), format: deep });
    expect(partOf(r, 'q1.a').status).toBe('invalid');
    expect(r.errors[0]).toMatch(/The format is a list/);
  });

  it('gives a transposed matrix with a wrong entry no more than half the points', () => {
    const m = variants.flatMap((x) => x.questions.flatMap((q) => q.parts)).find((p) => p.kind === 'matrix' && p.shape[0] !== p.shape[1]);
    if (!m) return;
    const owner = variants.find((x) => x.questions.some((q) => q.parts.includes(m)))!;
    const a = m.answer as number[][];
    const t = a[0]!.map((_, j) => a.map((row) => row[j]!));
    t[0]![0]! += 5;
    expect(partOf(grader.grade(submit({ [m.id]: t }, owner)), m.id).score).toBeLessThanOrEqual(m.points / 2);
  });

  it('does not tell who owns a code when the submission names no student', () => {
    const r = grader.grade({ format: 'gradsheet.submission/1', worksheet: v.code, answers: {} });
    expect(r.student).toBeNull();
  });
});

describe('the gradebook (from a review)', () => {
  const dir = tempDir('gradsheet-gradebook-');
  it('quotes text a spreadsheet would run as a formula, and keeps every row as wide as the header', () => {
    writeFileSync(join(dir, 'key.json'), JSON.stringify(key));
    const lines = ['{broken', JSON.stringify({ ...submit(exactAnswers(v)), student: '=HYPERLINK("http://x","y")' }), JSON.stringify(submit(exactAnswers(v)))];
    writeFileSync(join(dir, 'subs.jsonl'), lines.join('\n'));
    mkdirSync(join(dir, 'sub.json'));
    const r = gradsheet(['grade', '--submissions', join(dir, 'subs.jsonl'), '--key', join(dir, 'key.json'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    const csv = readFileSync(join(dir, 'out', 'gradebook.csv'), 'utf8').trim().split('\r\n');
    expect(csv[2]).toMatch(/^"'=HYPERLINK\(""http:\/\/x"",""y""\)",/);
    const width = (line: string) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.length - (line.endsWith(',') ? 0 : 1);
    expect(new Set(csv.map(width)).size).toBe(1);
    const folder = gradsheet(['grade', '--submissions', dir, '--key', join(dir, 'key.json'), '--out', join(dir, 'out2')]);
    expect(folder.code).toBe(0);
  });
});
