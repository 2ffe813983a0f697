import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import type { GradeResult } from '../grade/grade.js';
import { readSubmissions } from '../grade/bulk.js';
import { gradebookCsv, reportHtml } from '../grade/report.js';
import { writeAtomic } from './files.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';

function progress(total: number): (done: number) => void {
  if (!process.stderr.isTTY || total < 200) return () => {};
  let last = -1;
  return (done) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30, filled = Math.round((done / total) * width);
    process.stderr.write(`\rGrading [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

/** `gradsheet grade --submissions PATH (--key key.json | --bank B --secret-file F) --out DIR [--duplicates last|best] [--reveal]` */
export async function runGrade(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, submissions: { type: 'string' }, out: { type: 'string' }, duplicates: { type: 'string', default: 'last' } }, strict: true });
  if (!values.submissions) throw new GradsheetError('usage', 'grade needs --submissions PATH: a JSON array, a JSONL file or a folder of .json files.');
  if (!values.out) throw new GradsheetError('usage', 'grade needs --out DIR for results.jsonl, gradebook.csv and report.html.');
  const policy = values.duplicates;
  if (policy !== 'last' && policy !== 'best') throw new GradsheetError('usage', `--duplicates should be last or best, not "${policy}".`);
  const { grader, title } = await loadGrader(values, 'grade');
  const items = readSubmissions(values.submissions);
  const tick = progress(items.length);
  const results: (GradeResult & { counted?: boolean; source?: string })[] = items.map((item, i) => {
    const r: GradeResult & { counted?: boolean; source?: string } = item.error !== undefined
      ? { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [item.error] }
      : grader.grade(item.value);
    r.source = item.where;
    tick(i + 1);
    return r;
  });
  // duplicates: one counted submission per student (per worksheet code when the student is unknown)
  const chosen = new Map<string, number>();
  results.forEach((r, i) => {
    if (r.max === 0) return;
    const who = r.student ?? r.worksheet ?? `#${i}`;
    const prev = chosen.get(who);
    if (prev === undefined || policy === 'last' || r.score > results[prev]!.score) chosen.set(who, i);
  });
  const countedIdx = new Set(chosen.values());
  let superseded = 0;
  results.forEach((r, i) => {
    if (r.max === 0) return;
    r.counted = countedIdx.has(i);
    if (!r.counted) superseded++;
  });
  const ungradable = results.filter((r) => r.max === 0).length;
  await writeAtomic(join(values.out, 'results.jsonl'), results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : ''));
  await writeAtomic(join(values.out, 'gradebook.csv'), gradebookCsv(results));
  await writeAtomic(join(values.out, 'report.html'), reportHtml(`Grades — ${title}`, results, { submissions: results.length, graded: results.length - ungradable, ungradable, duplicatePolicy: policy, superseded }));
  const invalid = results.filter((r) => r.errors.length > 0).length;
  process.stdout.write(`Graded ${results.length} submissions (${ungradable} could not be graded, ${invalid} with problems, ${superseded} superseded duplicates, policy: ${policy} wins); wrote results.jsonl, gradebook.csv and report.html to ${values.out}.\n`);
  return 0;
}
