/**
 * The printed worksheet's layout, read back from the PDFs: how many pages a sheet takes at each
 * working space, how much of each page is used, every answer box on the same page and row as its
 * part's label, and a definition several questions share printed once.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnswerKey } from '../src/problems/key.js';
import { ROOT, gradsheet } from './support/cli.js';
import { GIVEN_KEPT_LINES, givenGroups } from '../src/render/sheets.js';
import { pageFill } from './support/page-fill.js';
import { tempDir } from './support/tmp.js';

const pages = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
const text = (file: string) => execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });

interface Word { page: number; x: number; y: number; text: string }

/** Every word of a PDF with its page and position (points from the top left), from pdftotext -bbox. */
function words(file: string): Word[] {
  const html = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const out: Word[] = [];
  let page = 0;
  for (const m of html.matchAll(/<page |<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<\/word>/g)) {
    if (m[0] === '<page ') page += 1;
    else out.push({ page, x: Number(m[1]), y: Number(m[2]), text: m[3]!.replace(/&amp;/g, '&') });
  }
  return out;
}

const dir = tempDir('gradsheet-layout-');

/** Renders worksheets only (no key) and returns the sheet files and key.json. */
function render(bank: string, extra: string[], name: string, count = 2): { sheets: string[]; key: AnswerKey } {
  const out = join(dir, name);
  const r = gradsheet(['render', '--bank', bank, '--seed', 'layout', '--count', String(count), '--out', out, '--no-key', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return {
    sheets: readdirSync(join(out, 'sheets')).filter((f) => f.endsWith('.pdf')).map((f) => join(out, 'sheets', f)).sort(),
    key: JSON.parse(readFileSync(join(out, 'key.json'), 'utf8')),
  };
}

// every shipped bank (the folder read, so a new bank is covered without a line here)
const BANKS = readdirSync(join(ROOT, 'question-banks')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('worksheet layout', () => {
  const sets: Record<string, { sheets: string[]; key: AnswerKey }> = {};
  const fills: Record<string, { sheets: string[]; key: AnswerKey }> = {};
  beforeAll(() => {
    sets.midterm = render('midterm', [], 'midterm');
    sets.midtermNone = render('midterm', ['--working-space', 'none'], 'midterm-none');
    sets.midtermLots = render('midterm', ['--working-space', 'lots'], 'midterm-lots', 1);
    sets.basics = render('bptt-basics', [], 'basics');
    sets.vanishing = render('vanishing-exploding', [], 'vanishing', 1);
    // every bank at the default working space and with none, on A4 and on Letter, for the page fill
    for (const bank of BANKS) {
      for (const space of ['some', 'none'] as const) {
        for (const paper of ['a4', 'letter'] as const) {
          const name = `${bank}-${space}-${paper}`;
          fills[name] = render(bank, ['--working-space', space, '--paper', paper], name);
        }
      }
    }
  }, 480_000);

  it('prints midterm on at most 5 A4 pages with the default working space, 4 with none, and bptt-basics on 2', () => {
    for (const f of sets.midterm!.sheets) expect(pages(f), f).toBeLessThanOrEqual(5);
    for (const f of sets.midtermNone!.sheets) expect(pages(f), f).toBeLessThanOrEqual(4);
    for (const f of sets.basics!.sheets) expect(pages(f), f).toBeLessThanOrEqual(2);
    // more room to work takes more paper
    expect(pages(sets.midtermLots!.sheets[0]!)).toBeGreaterThan(pages(sets.midtermNone!.sheets[0]!));
  });

  it('uses at least 70% of every page but the last of a sheet, for every bank with the default working space and with none, on A4 and Letter', async () => {
    expect(Object.keys(fills)).toHaveLength(BANKS.length * 4);
    for (const set of Object.values(fills)) {
      for (const f of set.sheets) {
        const fill = await pageFill(readFileSync(f), dir);
        fill.slice(0, -1).forEach((used, i) => expect(used, `${f} page ${i + 1}: ${Math.round(used * 100)}% used`).toBeGreaterThanOrEqual(0.7));
      }
    }
  });

  it('prints every part\'s box on the page and row of its label, once', () => {
    for (const set of [sets.midterm!, sets.midtermNone!, sets.basics!]) {
      set.sheets.forEach((f) => {
        const variant = set.key.variants.find((v) => f.includes(v.code))!;
        const all = words(f);
        for (const q of variant.questions) {
          for (const p of q.parts) {
            // the box carries the part id a submission uses, in its corner
            const tags = all.filter((w) => w.text === p.id);
            expect(tags, `${f}: box of ${p.id}`).toHaveLength(p.kind === 'choice' ? 0 : 1);
            if (p.kind === 'choice') continue;
            const tag = tags[0]!;
            const label = `(${p.id.split('.')[1]})`;
            // its label: on the same page, to the left, within a box's height of the box's top
            const beside = all.filter((w) => w.page === tag.page && w.text === label && w.x < tag.x && Math.abs(w.y - tag.y) < 30);
            expect(beside.length, `${f}: ${label} of ${p.id} beside its box on page ${tag.page}`).toBeGreaterThanOrEqual(1);
          }
        }
      });
    }
  });

  it('prints a definition several questions share once, in a Notation block the questions refer to', () => {
    const t = text(sets.midterm!.sheets[0]!);
    expect(t.match(/^Notation$/gm)).toHaveLength(1);
    expect(t.match(/An LSTM \(no peepholes\) computes/g)).toHaveLength(1);
    expect(t.match(/A recurrent network computes/g)).toHaveLength(1);
    // midterm asks three LSTM questions and three on the RNN of the notation
    expect(t.match(/For the LSTM, see Notation/g)).toHaveLength(3);
    expect(t.match(/For the recurrent network, see Notation/g)).toHaveLength(3);
    // on the first page
    expect(execFileSync('pdftotext', ['-f', '1', '-l', '1', sets.midterm!.sheets[0]!, '-'], { encoding: 'utf8' })).toMatch(/^Notation$/m);
  });

  it('prints a definition only one question uses inside that question', () => {
    // vanishing-exploding asks one question on the RNN of the notation (the others state their own)
    const t = text(sets.vanishing!.sheets[0]!);
    expect(t).not.toMatch(/^Notation$/m);
    expect(t).not.toMatch(/see Notation/);
    expect(t.match(/A recurrent network computes/g)).toHaveLength(1);
  });

  it('takes a bank\'s working space, and --working-space over it', () => {
    const bank = JSON.parse(readFileSync('question-banks/midterm.json', 'utf8'));
    const file = join(dir, 'roomy.json');
    writeFileSync(file, JSON.stringify({ ...bank, id: 'roomy', workingSpace: 'lots' }));
    const roomy = render(file, [], 'roomy', 1);
    const flag = render(file, ['--working-space', 'none'], 'roomy-none', 1);
    expect(pages(roomy.sheets[0]!)).toBeGreaterThan(pages(flag.sheets[0]!));
    const bad = gradsheet(['render', '--bank', 'midterm', '--seed', 's', '--out', join(dir, 'bad'), '--working-space', 'plenty']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe('gradsheet render: --working-space should be none, some or lots, not "plenty".');
  });
});

describe('given data in groups a page may break between', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  it('keeps short data in one group, which never breaks', () => {
    expect(givenGroups([])).toEqual([]);
    expect(givenGroups(lines(1))).toEqual([lines(1)]);
    expect(givenGroups(lines(2 * GIVEN_KEPT_LINES + 1))).toEqual([lines(2 * GIVEN_KEPT_LINES + 1)]);
  });
  it('keeps the first lines with the statement and the last with the first part, and lets the page break between the others', () => {
    const groups = givenGroups(lines(12));
    expect(groups[0]).toEqual(['line 1', 'line 2', 'line 3']);
    expect(groups.at(-1)).toEqual(['line 10', 'line 11', 'line 12']);
    expect(groups.slice(1, -1)).toEqual([['line 4'], ['line 5'], ['line 6'], ['line 7'], ['line 8'], ['line 9']]);
    expect(groups.flat()).toEqual(lines(12));
  });
});
