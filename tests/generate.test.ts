import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solveInput } from '../src/index.js';
import { parseBank } from '../src/problems/bank.js';
import { parseRoster } from '../src/problems/roster.js';
import { generateVariant, normaliseCode, variantCode } from '../src/problems/variants.js';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const tmp = () => tempDir('gradsheet-gen-');
const readKey = (dir: string) => JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8'));

describe('gradsheet generate', () => {
  it('writes a byte-identical key for the same bank and seed, and different instances for another seed', () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    expect(gradsheet(['generate', '--bank', 'bptt-basics', '--seed', '7', '--count', '3', '--out', a]).code).toBe(0);
    expect(gradsheet(['generate', '--bank', 'bptt-basics', '--seed', '7', '--count', '3', '--out', b]).code).toBe(0);
    expect(gradsheet(['generate', '--bank', 'bptt-basics', '--seed', '8', '--count', '3', '--out', c]).code).toBe(0);
    expect(readFileSync(join(a, 'key.json'), 'utf8')).toBe(readFileSync(join(b, 'key.json'), 'utf8'));
    const instances = (dir: string) => readKey(dir).variants.flatMap((v: { questions: { instance: unknown }[] }) => v.questions.map((q) => JSON.stringify(q.instance)));
    const seven = instances(a), eight = instances(c);
    expect(seven.filter((i: string) => eight.includes(i))).toEqual([]);
    expect(new Set(seven).size).toBe(seven.length);
  });

  it('writes the answer key of docs/formats.md and one blank submission per variant, with answers that solve reproduces', () => {
    const dir = tmp();
    const r = gradsheet(['generate', '--bank', 'vanishing-exploding', '--seed', 'x', '--count', '2', '--out', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 blank submissions/);
    const key = readKey(dir);
    expect(key.format).toBe('gradsheet.key/1');
    expect(key.bank.id).toBe('vanishing-exploding');
    expect(key.bank.hash).toMatch(/^[0-9a-f]{64}$/);
    const files = readdirSync(join(dir, 'submissions')).sort();
    expect(files).toEqual(key.variants.map((v: { code: string }) => `${v.code}.json`).sort());
    for (const v of key.variants) {
      const blank = JSON.parse(readFileSync(join(dir, 'submissions', `${v.code}.json`), 'utf8'));
      expect(blank.format).toBe('gradsheet.submission/1');
      expect(blank.worksheet).toBe(v.code);
      const ids = v.questions.flatMap((q: { parts: { id: string }[] }) => q.parts.map((p) => p.id));
      expect(Object.keys(blank.answers)).toEqual(ids);
      expect(Object.values(blank.answers).every((a) => a === null)).toBe(true);
      for (const q of v.questions) {
        const sol = solveInput(q.instance) as unknown as { ds_ds_prev: number[][][] };
        for (const p of q.parts) {
          expect(['number', 'vector', 'matrix', 'choice']).toContain(p.kind);
          if (p.kind !== 'choice') expect(p.tolerance).toBeDefined();
        }
        if (q.type === 'rnn.jacobian') {
          // the Jacobian parts are solve's ds_ds_prev entries, exactly
          const p0 = q.parts[0];
          expect(p0.answer).toBe(sol.ds_ds_prev[q.params.from]![0]![0]);
        }
      }
    }
  });

  it('gives each roster student a variant code from the secret, reports bad lines with line numbers and still generates the good ones', () => {
    const dir = tmp();
    const roster = join(dir, 'roster.csv');
    writeFileSync(roster, '\uFEFFid,name,email\r\na1,Ann,a@x\r\n,Nobody,n@x\r\na1,Ann again,a2@x\r\nb2,"Bo, B.",b@x\r\n');
    const r = gradsheet(['generate', '--bank', 'bptt-basics', '--roster', roster, '--secret-file', 'examples/demo.secret', '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/line 3: the id is empty/);
    expect(r.stderr).toMatch(/line 4: the id "a1" repeats line 2/);
    const key = readKey(join(dir, 'out'));
    expect(key.variants.map((v: { student: string; name: string }) => [v.student, v.name])).toEqual([['a1', 'Ann'], ['b2', 'Bo, B.']]);
    const secret = readFileSync('examples/demo.secret', 'utf8').trim();
    expect(key.variants[0].code).toBe(variantCode(secret, 'bptt-basics', 'a1', 2));
  });

  it('regenerates a variant from bank + secret + code alone, and not without the secret', () => {
    const bank = parseBank(JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')));
    const v1 = generateVariant(bank, 'a-long-teacher-secret-1', { id: 'alice', name: 'Alice' });
    const v2 = generateVariant(bank, 'a-long-teacher-secret-1', { id: 'alice', name: 'Alice' });
    const other = generateVariant(bank, 'a-long-teacher-secret-2', { id: 'alice', name: 'Alice' });
    expect(v1.questions.map((q) => q.generated.instance)).toEqual(v2.questions.map((q) => q.generated.instance));
    expect(other.code).not.toBe(v1.code);
    expect(other.questions[0]!.generated.instance).not.toEqual(v1.questions[0]!.generated.instance);
    expect(v1.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(normaliseCode(v1.code.toLowerCase().replace('-', ' '))).toBe(v1.code);
  });

  it('refuses a secret that is too short, a missing bank, and a mix of --seed and --roster, in one sentence each', () => {
    const dir = tmp();
    writeFileSync(join(dir, 's'), 'short');
    writeFileSync(join(dir, 'r.csv'), 'id,name\na,A\n');
    const short = gradsheet(['generate', '--bank', 'bptt-basics', '--roster', join(dir, 'r.csv'), '--secret-file', join(dir, 's'), '--out', dir]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/too short \(5 characters\)/);
    const missing = gradsheet(['generate', '--bank', 'no-such-bank', '--seed', '1', '--out', dir]);
    expect(missing.stderr).toMatch(/no default bank "no-such-bank"; the default banks are .*bptt-basics/);
    const both = gradsheet(['generate', '--bank', 'bptt-basics', '--seed', '1', '--roster', 'x.csv', '--out', dir]);
    expect(both.stderr).toMatch(/not both/);
    for (const r of [short, missing, both]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('question banks', () => {
  it('reports every mistake in a bank at once, each with its JSON path', () => {
    const dir = tmp();
    const bank = {
      format: 'gradsheet.bank/1', id: 'Bad Id', title: 'x', digits: 12,
      questions: [
        { id: 'q1', type: 'rnn.bptt', params: { hidden: 9, wrt: 'Q' } },
        { id: 'q1', type: 'gru.magic' },
        { id: 'q3', type: 'rnn.forward', points: -1, params: { steps: 'three' } },
      ],
    };
    writeFileSync(join(dir, 'bank.json'), JSON.stringify(bank));
    const r = gradsheet(['generate', '--bank', join(dir, 'bank.json'), '--seed', '1', '--out', dir]);
    expect(r.code).toBe(2);
    for (const expected of [
      /\$\.id should be lower-case letters, digits and -/,
      /\$\.digits should be at most 8/,
      /\$\.questions\[2\]\.points should be more than 0/,
    ]) expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('checks problem types and their params once the bank itself is well formed', () => {
    const bank = {
      format: 'gradsheet.bank/1', id: 'ok', title: 'x',
      questions: [
        { id: 'q1', type: 'rnn.bptt', params: { hidden: 9, wrt: 'Q' } },
        { id: 'q1', type: 'gru.magic' },
        { id: 'q3', type: 'rnn.forward', params: { steps: 'three', extra: 1 } },
      ],
    };
    expect(() => parseBank(bank, 'bank.json')).toThrow(/4 problems|5 problems|6 problems/);
    try { parseBank(bank, 'bank.json'); } catch (e) {
      const text = (e as Error).message;
      expect(text).toMatch(/\$\.questions\[0\]\.params\.hidden should be at most 4/);
      expect(text).toMatch(/\$\.questions\[0\]\.params\.wrt should be "U" or "W" or "b" or "V", not the string "Q"/);
      expect(text).toMatch(/\$\.questions\[1\]\.id repeats the id "q1" of questions\[0\]/);
      expect(text).toMatch(/\$\.questions\[1\]\.type should be one of activations, .*rnn\.bptt.*, not "gru\.magic"/);
      expect(text).toMatch(/\$\.questions\[2\]\.params\.steps should be a whole number|\$\.questions\[2\]\.params\.steps should be a number, not the string "three"/);
      expect(text).toMatch(/\$\.questions\[2\]\.params has unknown field "extra"/);
    }
  });

  it('lists the default banks with a line each', () => {
    const r = gradsheet(['banks']);
    expect(r.code).toBe(0);
    for (const name of ['bptt-basics', 'vanishing-exploding']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});

describe('rosters', () => {
  it('reads RFC 4180 quoting, a BOM, CRLF and quoted newlines, keeping line numbers', () => {
    const { students, problems } = parseRoster('\uFEFFname,id\r\n"Multi\nLine",x1\r\n"Q ""uote""",x2\r\nshort\r\n');
    expect(students).toEqual([{ id: 'x1', name: 'Multi\nLine', line: 2 }, { id: 'x2', name: 'Q "uote"', line: 4 }]);
    expect(problems).toEqual([{ line: 5, message: 'line 5: has 1 field but the header has 2, so the id is missing' }]);
  });

  it('says which column is missing from the header', () => {
    expect(parseRoster('student,name\n1,A\n').problems[0]!.message).toMatch(/no id column/);
  });
});
