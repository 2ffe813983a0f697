import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import type { GradeResult } from '../grade/grade.js';
import { readSubmissions } from './bulk-input.js';
import { PartStatistics, gradebookHeader, gradebookRow, reportHtml } from '../grade/report.js';
import { writeAtomic } from './files.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';
import { progress } from './progress.js';

/** `gradsheet grade --submissions PATH (--key key.json | --bank B --secret-file F) --out DIR [--duplicates last|best] [--reveal]` */
export async function runGrade(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, submissions: { type: 'string' }, out: { type: 'string' }, duplicates: { type: 'string', default: 'last' } }, strict: true });
  if (!values.submissions) throw new GradsheetError('usage', 'grade needs --submissions PATH: a JSON array, a JSONL file or a folder of .json files.');
  if (!values.out) throw new GradsheetError('usage', 'grade needs --out DIR for results.jsonl, gradebook.csv and report.html.');
  const policy = values.duplicates;
  if (policy !== 'last' && policy !== 'best') throw new GradsheetError('usage', `--duplicates should be last or best, not "${policy}".`);
  const { grader, title } = await loadGrader(values, 'grade');
  const items = readSubmissions(values.submissions);
  const tick = progress(items.length, 'Grading', 200);
  // One pass, keeping text rather than result objects: 100,000 results with their parts held as
  // objects made garbage collection the largest cost of a bulk run.
  const lines: string[] = [];
  const rows: string[] = [];
  const summaries: { who: string | null; score: number; max: number }[] = [];
  const problems: string[] = [];
  const stats = new PartStatistics();
  let parts: string[] | null = null;
  /** rows written before the part columns were known (ungradable ones): padded at the end */
  const early: number[] = [];
  items.forEach((item, i) => {
    let r: GradeResult;
    try {
      r = item.error !== undefined
        ? { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [item.error] }
        : grader.grade(item.value);
    } catch (e) {
      // whatever one submission does, the others are graded
      r = { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [`This submission could not be graded (${(e as Error).message.slice(0, 100)}).`] };
    }
    if (r.max > 0) {
      parts ??= r.parts.filter((p) => p.max > 0).map((p) => p.id);
      stats.add(r);
    }
    if (r.errors.length) problems.push(`${item.where}: ${r.student ?? '?'} ${r.worksheet ?? ''}: ${r.errors.join(' ')}`);
    (r as GradeResult & { source?: string }).source = item.where;
    lines.push(JSON.stringify(r));
    if (parts === null) early.push(rows.length);
    rows.push(gradebookRow(r, parts ?? []));
    summaries.push({ who: r.max > 0 ? (r.student ?? r.worksheet) : null, score: r.score, max: r.max });
    tick(i + 1);
  });
  // duplicates: one counted submission per student; the last, or the best, as the flag says
  const chosen = new Map<string, number>();
  summaries.forEach((s, i) => {
    if (s.who === null) return;
    const prev = chosen.get(s.who);
    if (prev === undefined || policy === 'last' || s.score > summaries[prev]!.score) chosen.set(s.who, i);
  });
  const counted = new Set(chosen.values());
  let superseded = 0;
  const percents: number[] = [];
  summaries.forEach((s, i) => {
    if (s.who === null) {
      lines[i] = `${lines[i]!.slice(0, -1)},"counted":false}`;
      return;
    }
    const isCounted = counted.has(i);
    if (isCounted) percents.push((100 * s.score) / s.max);
    else superseded++;
    lines[i] = `${lines[i]!.slice(0, -1)},"counted":${isCounted}}`;
  });
  const ungradable = summaries.filter((s) => s.who === null).length;
  await writeAtomic(join(values.out, 'results.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
  for (const i of early) rows[i] += ','.repeat((parts ?? []).length);
  await writeAtomic(join(values.out, 'gradebook.csv'), [gradebookHeader(parts ?? []), ...rows].join('\r\n') + '\r\n');
  await writeAtomic(join(values.out, 'report.html'), reportHtml(`Grades — ${title}`, percents, stats, problems, { submissions: lines.length, graded: lines.length - ungradable, ungradable, duplicatePolicy: policy, superseded }));
  const invalid = problems.length;
  process.stdout.write(`Graded ${lines.length} submissions (${ungradable} could not be graded, ${invalid} with problems, ${superseded} superseded duplicates, policy: ${policy} wins); wrote results.jsonl, gradebook.csv and report.html to ${values.out}.\n`);
  return 0;
}
