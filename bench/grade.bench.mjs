/**
 * Requirement (grader issue): grade 100,000 submissions of `midterm` end to end. Goal: within 3×
 * of the time the same process needs just to read, parse and write those files (the floor), and
 * under 10 s here.
 *
 * 200 variants (a class set), 100,000 submissions cycling through them: exact answers, answers
 * perturbed inside and outside tolerance, missing parts. Timed: `gradsheet grade` on the JSONL
 * file (process start included) against a floor script that reads the same file, parses every
 * line, and writes one JSON line per submission plus a CSV row. Best of 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = 100_000, VARIANTS = 200;

const FLOOR = `
const { readFileSync, writeFileSync } = require('node:fs');
const [input, out] = process.argv.slice(2);
const lines = readFileSync(input, 'utf8').split('\\n');
const results = [], rows = [];
for (const line of lines) {
  if (!line.trim()) continue;
  const s = JSON.parse(line);
  results.push(JSON.stringify({ format: 'gradsheet.result/1', worksheet: s.worksheet, student: s.student, score: 0, max: 0, parts: Object.keys(s.answers).map((id) => ({ id, status: 'correct', score: 1, max: 1, feedback: 'Correct.' })), errors: [] }));
  rows.push([s.student, s.worksheet, 0, 0, 0].join(','));
}
writeFileSync(out + '/results.jsonl', results.join('\\n') + '\\n');
writeFileSync(out + '/gradebook.csv', rows.join('\\r\\n') + '\\r\\n');
`;

function timeIt(args) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.trim().slice(0, 500)}`);
  return (performance.now() - start) / 1000;
}

export default async function gradeBench() {
  const { parseBank, generateKeyVariants, answerKey, practiceSecret, practiceStudents } = await import(`${root}dist/index.js`);
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-grade-bench-'));
  try {
    const bank = parseBank(JSON.parse(readFileSync(`${root}question-banks/midterm.json`, 'utf8')));
    const variants = generateKeyVariants(bank, practiceSecret('grade-bench'), practiceStudents(VARIANTS).map((id) => ({ id, name: id })));
    writeFileSync(join(dir, 'key.json'), JSON.stringify(answerKey(bank, variants)));
    const lines = [];
    for (let i = 0; i < N; i++) {
      const v = variants[i % VARIANTS];
      const answers = {};
      for (const q of v.questions) for (const p of q.parts) {
        const kind = (i + p.id.length) % 4;
        const perturb = (x) => (kind === 1 ? x * 1.004 : kind === 2 ? x * 1.5 + 0.01 : x);
        answers[p.id] = kind === 3 ? null : typeof p.answer === 'string' ? p.answer : JSON.parse(JSON.stringify(p.answer), (_k, x) => (typeof x === 'number' ? perturb(x) : x));
      }
      lines.push(JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers }));
    }
    writeFileSync(join(dir, 'subs.jsonl'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'floor.cjs'), FLOOR);
    let grade = Infinity, floor = Infinity;
    for (let run = 0; run < 2; run++) {
      floor = Math.min(floor, timeIt([join(dir, 'floor.cjs'), join(dir, 'subs.jsonl'), dir]));
      grade = Math.min(grade, timeIt(['dist/cli.js', 'grade', '--submissions', join(dir, 'subs.jsonl'), '--key', join(dir, 'key.json'), '--out', join(dir, 'out')]));
    }
    console.log(`  ${N} submissions (${VARIANTS} variants): gradsheet grade ${grade.toFixed(2)} s; read-parse-write floor ${floor.toFixed(2)} s; ratio ${(grade / floor).toFixed(2)}×`);
    return { name: `grade ${N} midterm submissions`, seconds: grade, floor_s: floor, ratio: grade / floor, goal: 'ratio <= 3' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
