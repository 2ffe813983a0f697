import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSeparator, parseRoster } from '../src/problems/roster.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const ids = (text: string) => parseRoster(text).students.map((s) => s.id);
const lineMessages = (text: string) => parseRoster(text).problems.map((p) => p.message);

describe('parseRoster', () => {
  it('pads a row that leaves off trailing columns other than id and name', () => {
    const r = parseRoster('id,name,email,group\na1,Ann\nb2,Bo,b@x\nc3,Cy,c@x,G1\n');
    expect(r.students).toEqual([{ id: 'a1', name: 'Ann', line: 2 }, { id: 'b2', name: 'Bo', line: 3 }, { id: 'c3', name: 'Cy', line: 4 }]);
    expect(r.problems).toEqual([]);
    expect(r.notices).toEqual([]);
  });

  it('reports and skips a row without an id (empty, or left off) or without a name column', () => {
    const r = parseRoster('email,name,id\nn@x,Nobody,\nann@x\nb@x,Bo,b2\nc@x\n');
    expect(r.students.map((s) => s.id)).toEqual(['b2']);
    expect(r.problems).toEqual([
      { line: 2, message: 'line 2: the id is empty' },
      { line: 3, message: 'line 3: has 1 field but the header has 3, so the id and name are missing' },
      { line: 5, message: 'line 5: has 1 field but the header has 3, so the id and name are missing' },
    ]);
    expect(lineMessages('id,name,email\na1\n')).toEqual(['line 2: has 1 field but the header has 3, so the name is missing']);
    // an empty name is not an error: the id stands in for it
    expect(parseRoster('id,name\na1,\n').students).toEqual([{ id: 'a1', name: 'a1', line: 2 }]);
  });

  it('reports a row with more fields than the header, saying that a separator in a field needs quotes', () => {
    expect(lineMessages('id,name,email\nb2,Bo, B.,b@x\n')).toEqual(['line 2: has 4 fields but the header has 3 (a field with "," in it needs double quotes)']);
  });

  it('reports an unclosed quote on line 3 of 5 and keeps the other students', () => {
    const r = parseRoster('id,name\na1,Ann\na3,"Cy\na4,Dee\na5,Eve\n');
    expect(r.problems).toEqual([{ line: 3, message: 'line 3: a quoted field is never closed' }]);
    expect(r.students).toEqual([{ id: 'a1', name: 'Ann', line: 2 }, { id: 'a4', name: 'Dee', line: 4 }, { id: 'a5', name: 'Eve', line: 5 }]);
  });

  it('does not let an unclosed quote swallow the lines up to the next quote', () => {
    // the quote opened on line 3 would close in line 5, taking in line 4, a row of its own
    const later = parseRoster('id,name,email\na1,Ann,a@x\na3,"Cy,c@x\na4,Dee,d@x\na5,"Eve, E.",e@x\n');
    expect(later.problems.map((p) => p.line)).toEqual([3]);
    expect(later.problems[0]!.message).toMatch(/^line 3: a quoted field is never closed \(its quote runs on into line 4, which reads as a row of its own\)$/);
    expect(later.students.map((s) => [s.id, s.name])).toEqual([['a1', 'Ann'], ['a4', 'Dee'], ['a5', 'Eve, E.']]);
    // the very next line quoted: it would close the field
    const next = parseRoster('id,name\na1,Ann\na3,"Cy\na4,"Dee"\na5,Eve\n');
    expect(next.problems.map((p) => p.line)).toEqual([3]);
    expect(next.students.map((s) => [s.id, s.name])).toEqual([['a1', 'Ann'], ['a4', 'Dee'], ['a5', 'Eve']]);
    // two unclosed quotes
    const two = parseRoster('id,name\n"a1,Ann\na2,Bo\n"a3,Cy\na4,Dee\n');
    expect(two.problems.map((p) => p.line)).toEqual([2, 4]);
    expect(two.students.map((s) => s.id)).toEqual(['a2', 'a4']);
  });

  it('keeps a quoted field that holds line breaks, and the line numbers after it', () => {
    const r = parseRoster('id,name,note\nx1,"Ann\nMarie\nLee",n\nx2,Bo,"two\nlines"\nx3,Cy,\n');
    expect(r.students).toEqual([{ id: 'x1', name: 'Ann\nMarie\nLee', line: 2 }, { id: 'x2', name: 'Bo', line: 5 }, { id: 'x3', name: 'Cy', line: 7 }]);
    expect(r.problems).toEqual([]);
  });

  it('reads a semicolon-separated roster (Excel in many locales) and says so', () => {
    const r = parseRoster('id;name;email\na1;"Ann; A.";a@x\nb2;Bo, B.;b@x\nc3;Cy\n');
    expect(r.students.map((s) => [s.id, s.name])).toEqual([['a1', 'Ann; A.'], ['b2', 'Bo, B.'], ['c3', 'Cy']]);
    expect(r.problems).toEqual([]);
    expect(r.notices).toEqual(['columns are separated by semicolons, not commas, as the header line shows.']);
  });

  it('reads a tab-separated roster and says so', () => {
    const r = parseRoster('id\tname\temail\na1\tAnn, A.\ta@x\nb2\t"Bo\tB."\n');
    expect(r.students.map((s) => [s.id, s.name])).toEqual([['a1', 'Ann, A.'], ['b2', 'Bo\tB.']]);
    expect(r.notices).toEqual(['columns are separated by tabs, not commas, as the header line shows.']);
  });

  it('takes the separator from Excel\'s sep= line', () => {
    const r = parseRoster('sep=;\r\nid;name\r\na1;Ann\r\n');
    expect(r.students).toEqual([{ id: 'a1', name: 'Ann', line: 3 }]);
    expect(r.notices).toEqual(['columns are separated by semicolons, not commas, as its sep= line says.']);
  });

  it('detects the separator from the header, outside quotes', () => {
    expect(detectSeparator('id,name,email')).toBe(',');
    expect(detectSeparator('id;name;email')).toBe(';');
    expect(detectSeparator('"id";"name, first";"e-mail"')).toBe(';');
    expect(detectSeparator('id\tname')).toBe('\t');
    expect(detectSeparator('"a;b",id,name')).toBe(',');
    expect(detectSeparator('id;"name,first";x')).toBe(';');
    expect(detectSeparator('student,name')).toBe(',');
  });

  it('reads a BOM and CRLF (and lone CR) line endings, skips blank lines, and reports a repeated id', () => {
    const r = parseRoster('\uFEFFid,name\r\na1,Ann\r\n\r\nb2,Bo\r\na1,Ann again\r\n');
    expect(r.students).toEqual([{ id: 'a1', name: 'Ann', line: 2 }, { id: 'b2', name: 'Bo', line: 4 }]);
    expect(r.problems).toEqual([{ line: 5, message: 'line 5: the id "a1" repeats line 2' }]);
  });

  it('keeps a quote inside a field, and spaces around a quoted field', () => {
    const r = parseRoster('id,name\na1,5\'11" Ann\na2, "Bo ""B"" Ode" \n');
    expect(r.students.map((s) => s.name)).toEqual(['5\'11" Ann', 'Bo "B" Ode']);
  });

  it('skips a row of empty fields (a spreadsheet\'s trailing ,,,) as a blank line', () => {
    expect(parseRoster('id,name,email\na1,Ann,a@x\n,,\n , \n').problems).toEqual([]);
    expect(ids('id;name;email\na1;Ann;a@x\n;;\n\t\n')).toEqual(['a1']);
  });

  it('says why a header is unusable, and that the separator may be a semicolon or tab', () => {
    expect(lineMessages('student;name\n1;A\n')).toEqual(['line 1: the header has no id column (it has "student", "name"); the columns may be separated by commas, semicolons or tabs']);
    expect(lineMessages('\n\nid,email\n')).toEqual(['line 3: the header has no name column (it has "id", "email")']);
    expect(lineMessages('')).toEqual(['the roster is empty; expected a header row with id and name columns']);
    expect(lineMessages('id,"name\na1,Ann\n')).toEqual(['line 1: the header line cannot be read (a quoted field is never closed)']);
  });

  it('reports a quoted field with text after its closing quote, and reads on from the next line', () => {
    const r = parseRoster('id,name\na1,"Bo" B\nx1,"Ann\nMarie" L\na2,"Cy"\n');
    expect(r.problems.slice(0, 2)).toEqual([
      { line: 2, message: 'line 2: a quoted field has other characters after its closing quote (a quote inside a quoted field is written "")' },
      { line: 3, message: 'line 3: a quoted field is never closed on this line (the quote that ends it, on line 4, has other characters after it)' },
    ]);
    expect(r.students.map((s) => s.id)).toEqual(['a2']);
  });

  // how fast is a benchmark's business, not a test's: this checks only that the result is right
  it('reads a large roster with broken lines, keeping every good student', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => (i % 3 ? `s${i},Student ${i},s${i}@x` : `s${i},"Student, ${i}",s${i}@x`));
    rows[1] = 's1,"Broken,s1@x';
    rows[2998] = 's2998,"Broken,s1@x';
    const r = parseRoster(['id,name,email', ...rows].join('\n'));
    expect(r.students).toHaveLength(2998);
    expect(r.problems.map((p) => p.line)).toEqual([3, 3000]);
  });
});

describe('gradsheet generate with a spreadsheet roster', () => {
  it('reads a semicolon roster with one broken line: exit 0, the line named, the good students in key.json', () => {
    const dir = tempDir('gradsheet-roster-');
    const roster = join(dir, 'class.csv');
    writeFileSync(roster, '\uFEFFid;name;email\r\na1;"Lee, Ann";a@x\r\nb2;"Bo\r\nc3;Cy\r\nd4;Dee;d@x\r\n');
    const out = join(dir, 'out');
    const r = gradsheet(['generate', '--bank', 'bptt-basics', '--roster', roster, '--secret-file', 'examples/demo.secret', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${roster}: columns are separated by semicolons, not commas, as the header line shows.`);
    expect(r.stderr).toContain(`skipped ${roster}: line 3: a quoted field is never closed`);
    expect(r.stderr).not.toMatch(/line [^3]\b/);
    expect(r.stdout).toMatch(/\(1 roster line skipped\)/);
    const key = JSON.parse(readFileSync(join(out, 'key.json'), 'utf8'));
    expect(key.variants.map((v: { student: string; name: string }) => [v.student, v.name])).toEqual([['a1', 'Lee, Ann'], ['c3', 'Cy'], ['d4', 'Dee']]);
  });
});
