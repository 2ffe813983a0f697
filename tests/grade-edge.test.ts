/**
 * `gradsheet grade` at its edges (issue 15): nothing to grade, files that are not JSON, JSONL
 * lines that are not, and the command's help against the options it accepts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerKey, generateKeyVariants, parseBank, practiceSecret, practiceStudents, type KeyVariant } from '../src/index.js';
import { GRADE_OPTIONS } from '../src/commands/grade.js';
import { commandUsage } from '../src/commands/main.js';
import { analyseParts, type Sheet } from '../src/grade/item-analysis.js';
import { reportHtml } from '../src/grade/report.js';
import { resultSchema } from '../src/grade/schemas.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const bank = parseBank(JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')));
const variants = generateKeyVariants(bank, practiceSecret('edge'), practiceStudents(3).map((id) => ({ id, name: id })));
const dir = tempDir('gradsheet-grade-edge-');
const keyFile = join(dir, 'key.json');
writeFileSync(keyFile, JSON.stringify(answerKey(bank, variants)));

const exact = (v: KeyVariant) => ({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer]))) });
const grade = (submissions: string, out: string) => gradsheet(['grade', '--submissions', submissions, '--key', keyFile, '--out', join(dir, out)]);
const resultsOf = (out: string) => readFileSync(join(dir, out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const gradebookOf = (out: string) => readFileSync(join(dir, out, 'gradebook.csv'), 'utf8').trim().split('\r\n');

describe('nothing to grade', () => {
  it.each([
    ['an empty folder', 'empty-folder', () => mkdirSync(join(dir, 'empty-folder')), /empty-folder holds no submissions: the folder is empty/],
    ['a folder without .json files', 'no-json', () => { mkdirSync(join(dir, 'no-json')); writeFileSync(join(dir, 'no-json', 'notes.txt'), 'hi'); }, /no-json holds no submissions: its one entry is not a \.json file/],
    ['an empty JSON array', 'empty.json', () => writeFileSync(join(dir, 'empty.json'), ' [ ]\n'), /empty\.json holds no submissions: it is an empty JSON array/],
    ['an empty JSONL file', 'empty.jsonl', () => writeFileSync(join(dir, 'empty.jsonl'), ''), /empty\.jsonl holds no submissions: the file is empty/],
    ['a JSONL file of blank lines', 'blank.jsonl', () => writeFileSync(join(dir, 'blank.jsonl'), '\n  \n\r\n'), /blank\.jsonl holds no submissions: the file has only blank lines/],
  ])('is an error for %s: exit 2, one sentence naming the input, no output', (_, name, make, sentence) => {
    make();
    const r = grade(join(dir, name), `out-${name}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(sentence);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\(|Error:/);
    expect(existsSync(join(dir, `out-${name}`))).toBe(false);
  });
});

describe('files and lines that are not JSON', () => {
  it('grades the good file of a folder and reports the bad one by name, with reason not-json; exit 0 as for any bad record', () => {
    mkdirSync(join(dir, 'inbox'));
    writeFileSync(join(dir, 'inbox', 'alice.json'), JSON.stringify(exact(variants[0]!)));
    writeFileSync(join(dir, 'inbox', 'notes.json'), 'Remember to bring the calculator on Tuesday.\n');
    const r = grade(join(dir, 'inbox'), 'inbox-out');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Graded 2 submissions \(1 could not be graded/);
    const [good, bad] = resultsOf('inbox-out');
    expect(good).toMatchObject({ source: 'alice.json', counted: true, student: variants[0]!.student });
    expect(good!.reason).toBeUndefined();
    expect(good!.score).toBe(good!.max);
    expect(bad).toMatchObject({ source: 'notes.json', reason: 'not-json', counted: false, score: 0, max: 0 });
    expect((bad!.errors as string[])[0]).toMatch(/^notes\.json is not valid JSON at line 1, column 1/);
    // both lines are results the published schema accepts
    for (const line of [good, bad]) expect(resultSchema.safeParse(line).success).toBe(true);
    const csv = gradebookOf('inbox-out');
    expect(csv[0]).toMatch(/^student,worksheet,score,max,percent,q1\.a,.*,counted,source$/);
    expect(csv[1]).toMatch(new RegExp(`^${variants[0]!.student},${variants[0]!.code},.*,true,alice\\.json$`));
    expect(csv[2]).toMatch(/^,,0,0,0,.*,false,notes\.json$/);
    expect(new Set(csv.map((l) => l.split(',').length)).size).toBe(1);
  });

  it('names each JSONL line file:line, and a JSONL file whose later line is broken keeps its good lines', () => {
    // not named .jsonl, and no later line starts with "{": once read as one broken object
    writeFileSync(join(dir, 'class.txt'), JSON.stringify(exact(variants[1]!)) + '\nnot json\n');
    const r = grade(join(dir, 'class.txt'), 'txt-out');
    expect(r.code).toBe(0);
    const [good, bad] = resultsOf('txt-out');
    expect(good).toMatchObject({ source: 'class.txt:1', counted: true });
    expect(good!.score).toBe(good!.max);
    expect(bad).toMatchObject({ source: 'class.txt:2', reason: 'not-json', counted: false });
    expect((bad!.errors as string[])[0]).toMatch(/^class\.txt:2 is not valid JSON at column 2:/);
    expect(gradebookOf('txt-out')[2]).toMatch(/,false,class\.txt:2$/);
  });

  it('names each element of a JSON array file[index], and reads one pretty-printed object as one submission', () => {
    writeFileSync(join(dir, 'array.json'), JSON.stringify([exact(variants[2]!), 42]));
    expect(grade(join(dir, 'array.json'), 'array-out').code).toBe(0);
    const [good, bad] = resultsOf('array-out');
    expect(good).toMatchObject({ source: 'array.json[0]', counted: true });
    expect(bad).toMatchObject({ source: 'array.json[1]', reason: 'not-an-object', counted: false });
    writeFileSync(join(dir, 'one.json'), JSON.stringify(exact(variants[2]!), null, 2));
    expect(grade(join(dir, 'one.json'), 'one-out').code).toBe(0);
    expect(resultsOf('one-out')).toEqual([expect.objectContaining({ source: 'one.json', counted: true })]);
  });
});

describe('grade --help', () => {
  it('lists every option the command accepts, and no other', () => {
    const usage = commandUsage('grade')!;
    const listed = new Set([...usage.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!));
    expect([...listed].sort()).toEqual(Object.keys(GRADE_OPTIONS).sort());
    const r = gradsheet(['grade', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(usage);
    expect(r.stdout).toMatch(/--seed S/);
  });
});

describe('report.html', () => {
  it('says what every rate is over, and gives each part its facility and discrimination', () => {
    // four students: A all right; B all right but q1.a left blank; C only q1.a, right; D all right
    // but q1.a wrong. q1.a: 2 of 4 sheets right, 2 of 3 answered: facility 2/4 = 0.50. Its
    // discrimination, with m = q1.a's points (1) and R the rest of a sheet all right (18):
    // x = m,0,m,0 and rest = R,R,0,R; dx = (m/2)(1,−1,1,−1), dy = R(1/4,1/4,−3/4,1/4):
    // Σdxdy = −mR/2, Σdx² = m², Σdy² = 3R²/4, so r = −(1/2)/√(3/4) = −1/√3 = −0.58.
    // Every other part: right on A, B and D, blank on C: facility 3/4 = 0.75.
    mkdirSync(join(dir, 'class'));
    const [a, b, c, d] = practiceStudents(4);
    const four = generateKeyVariants(bank, practiceSecret('edge-report'), [a!, b!, c!, d!].map((id) => ({ id, name: id })));
    writeFileSync(join(dir, 'class-key.json'), JSON.stringify(answerKey(bank, four)));
    const answers = (v: KeyVariant, pick: (id: string, answer: unknown) => unknown) => ({ ...exact(v), answers: Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, pick(p.id, p.answer)]))) });
    writeFileSync(join(dir, 'class', 'a.json'), JSON.stringify(exact(four[0]!)));
    writeFileSync(join(dir, 'class', 'b.json'), JSON.stringify(answers(four[1]!, (id, x) => (id === 'q1.a' ? null : x))));
    writeFileSync(join(dir, 'class', 'c.json'), JSON.stringify(answers(four[2]!, (id, x) => (id === 'q1.a' ? x : null))));
    writeFileSync(join(dir, 'class', 'd.json'), JSON.stringify(answers(four[3]!, (id, x) => (id === 'q1.a' ? (x as number) + 5 : x))));
    const r = gradsheet(['grade', '--submissions', join(dir, 'class'), '--key', join(dir, 'class-key.json'), '--out', join(dir, 'class-out')]);
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'class-out', 'report.html'), 'utf8');
    expect(html).toMatch(/so 4 submissions count, one per student/);
    // the parts table: a rate over the submitted sheets and one over the answered ones
    expect(html).toContain('<td class="id">q1.a</td><td><svg');
    expect(html).toMatch(/<td class="id">q1\.a<\/td><td><svg[^]*?<\/svg> 2 of 4 submitted \(50%\), 2 of 3 answered \(67%\)<\/td><td>3 of 4 submitted \(75%\)<\/td>/);
    // the item analysis table
    const table = /<table id="item-analysis">([^]*?)<\/table>/.exec(html)![1]!;
    const row = (id: string) => new RegExp(`<tr><td class="id">${id.replace('.', '\\.')}</td><td>(\\d+)</td><td class="num">([^<]*)</td><td class="num">([^<]*)</td>`).exec(table)!.slice(1);
    expect(row('q1.a')).toEqual(['4', '0.50', '−0.58']);
    for (const id of ['q1.b', 'q1.e', 'q2.a', 'q3.d']) expect(row(id).slice(0, 2)).toEqual(['4', '0.75']);
    expect(table).toMatch(/not compared: the variants differ only in their numbers, and no variant has 2 or more counted sheets/);
  });

  it('escapes every text it shows: part ids, what a variant drew, mistakes, problems', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const sheet = (variant: string, score: number): Sheet => ({ variant, total: score, parts: [{ id: `q1.${evil}`, score, max: 1, status: score ? 'correct' : 'incorrect', ...(score ? {} : { mistake: evil }) }, { id: 'q1.c', score: 1, max: 1, status: 'correct' }], drawn: { 'q1.c': score ? evil : 'x' } });
    const html = reportHtml(`Grades — ${evil}`, [100, 0, 100], analyseParts([sheet('A', 1), sheet('B', 0), sheet('A', 1)]), [`${evil}: ${evil}`], { submissions: 3, graded: 3, ungradable: 0, duplicatePolicy: 'last', superseded: 0, counted: 3 });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src&#61;x onerror&#61;alert(1)&gt;');
  });
});
