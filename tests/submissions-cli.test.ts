/**
 * The teacher's CLI twins of serve's routes, run as a teacher would (the built CLI), on a store a
 * real `serve` filled: `gradsheet submissions export|gradebook` and `gradsheet regrade` after a
 * tolerance change, with the same answers the routes give; and one sentence for what is wrong.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { CLI, gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const dir = tempDir('gradsheet-subcli-');
const data = join(dir, 'data');
const bankFile = join(dir, 'bank.json');
const bankJson = { ...JSON.parse(readFileSync('question-banks/bptt-basics.json', 'utf8')), tolerance: { rtol: 0.01, atol: 0 } };
const ids: { off: string; right: string } = { off: '', right: '' };

beforeAll(async () => {
  writeFileSync(bankFile, JSON.stringify(bankJson));
  const bank = parseBank(bankJson);
  const [v, w] = generateKeyVariants(bank, practiceSecret('cli'), practiceStudents(2).map((id) => ({ id, name: id })));
  const answers = (x: typeof v, f: number) => Object.fromEntries(x!.questions.flatMap((q) => q.parts.map((p) => [p.id, typeof p.answer === 'number' ? p.answer * f : p.answer])));
  // a real server fills the store, then stops
  const server = spawn(process.execPath, [CLI, 'serve', '--bank', bankFile, '--seed', 'cli', '--practice', '--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', (l) => resolve(/at (http:\/\/\S+?)\/? /.exec(l)![1]!)));
  const post = async (x: typeof v, f: number) => (await (await fetch(`${base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet: x!.code, student: x!.student, answers: answers(x, f) }) })).json()).id as string;
  ids.off = await post(v, 1.03);
  ids.right = await post(w, 1);
  await post(v, 1);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}, 60_000);

describe('gradsheet submissions', () => {
  it('exports every stored submission as JSON Lines, filtered, or as a JSON array to a file', () => {
    const all = gradsheet(['submissions', 'export', '--data', data]);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.format, l.student, l.attempt])).toEqual([['gradsheet.stored/1', 'practice-1', 1], ['gradsheet.stored/1', 'practice-2', 1], ['gradsheet.stored/1', 'practice-1', 2]]);
    expect(lines[0].id).toBe(ids.off);
    const one = gradsheet(['submissions', 'export', '--data', data, '--student', 'practice-2', '--format', 'json', '--out', join(dir, 'p2.json')]);
    expect([one.code, one.stderr]).toEqual([0, `Exported 1 submission to ${join(dir, 'p2.json')}.\n`]);
    expect(JSON.parse(readFileSync(join(dir, 'p2.json'), 'utf8')).map((s: { id: string }) => s.id)).toEqual([ids.right]);
  });

  it('writes the gradebook of counted attempts: the last, or the best', () => {
    const rows = (counts: string) => gradsheet(['submissions', 'gradebook', '--data', data, '--counts', counts]).stdout.trimEnd().split('\r\n').map((l) => l.split(','));
    const last = rows('last'), best = rows('best');
    const col = (name: string) => last[0]!.indexOf(name);
    expect(last.slice(1).map((r) => [r[col('student')], r[col('attempt')], r[col('attempts')]])).toEqual([['practice-2', '1', '1'], ['practice-1', '2', '2']]);
    // the exact second attempt is the best too
    expect(best.slice(1).map((r) => [r[col('student')], r[col('percent')]])).toEqual([['practice-2', '100'], ['practice-1', '100']]);
  });

  it('says in one sentence what is wrong, without a stack', () => {
    const missing = gradsheet(['submissions', 'export', '--data', join(dir, 'nowhere')]);
    expect([missing.code, missing.stderr]).toEqual([2, `gradsheet submissions: There are no recorded submissions in ${join(dir, 'nowhere')}: it has no gradsheet.sqlite (gradsheet serve --data ${join(dir, 'nowhere')} creates it), so give the folder serve used with --data, or --database.\n`]);
    expect(gradsheet(['submissions', 'export', '--data', data, '--since', 'monday']).stderr).toBe('gradsheet submissions: --since should be a time in ISO 8601 (2026-12-07 or 2026-12-07T09:00:00Z), not "monday".\n');
    expect(gradsheet(['submissions', 'list']).stderr).toBe('gradsheet submissions: gradsheet submissions takes export or gradebook, not "list".\n');
  });
});

describe('gradsheet regrade', () => {
  it('reports what a tolerance change would change, then changes it and keeps the old result', () => {
    const same = gradsheet(['regrade', '--bank', bankFile, '--seed', 'cli', '--data', data, '--dry-run']);
    expect([same.code, same.stdout]).toEqual([0, expect.stringMatching(/^Would regrade 3 stored submissions against bank bptt-basics \(sha256 [0-9a-f]{12}…\): 0 would change\.\n$/)]);
    writeFileSync(bankFile, JSON.stringify({ ...bankJson, tolerance: { rtol: 0.05, atol: 0 } }));
    const dry = gradsheet(['regrade', '--bank', bankFile, '--seed', 'cli', '--data', data, '--dry-run']);
    expect(dry.stdout).toMatch(/: 1 would change\.\n {2}practice-1 [0-9A-Z]{4}-[0-9A-Z]{4} attempt 1: \d+\/\d+ → (\d+)\/\1 \(q\d\.[a-z] incorrect 0 → correct \d/);
    const done = gradsheet(['regrade', '--bank', bankFile, '--seed', 'cli', '--data', data, '--json']);
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout);
    expect([report.dryRun, report.checked, report.changed.map((c: { id: string }) => c.id)]).toEqual([false, 3, [ids.off]]);
    const after = JSON.parse(gradsheet(['submissions', 'export', '--data', data, '--student', 'practice-1']).stdout.split('\n')[0]!);
    expect([after.id, after.regrade, after.score]).toEqual([ids.off, report.regrade, after.max]);
    // nothing left to change
    expect(gradsheet(['regrade', '--bank', bankFile, '--seed', 'cli', '--data', data]).stdout).toMatch(/: 0 changed \(regrade [0-9a-f-]{36}; the old results are kept\)\.\n$/);
  });
});
