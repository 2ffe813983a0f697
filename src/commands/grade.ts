import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { readSubmissions } from './bulk-input.js';
import { gradeBulk } from '../grade/bulk.js';
import { reportHtml } from '../grade/report.js';
import { writeAtomic } from './files.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';
import { progress } from './progress.js';

/** The options `gradsheet grade` accepts (its usage in main.ts lists every one; a test compares them). */
export const GRADE_OPTIONS = { ...KEY_OPTIONS, submissions: { type: 'string' }, out: { type: 'string' }, duplicates: { type: 'string', default: 'last' } } as const;

/** `gradsheet grade --submissions PATH (--key key.json | --bank B --secret-file F | --bank B --seed S) --out DIR [--duplicates last|best] [--reveal]` */
export async function runGrade(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: GRADE_OPTIONS, strict: true });
  if (!values.submissions) throw new GradsheetError('usage', 'grade needs --submissions PATH: a JSON array, a JSONL file or a folder of .json files.');
  if (!values.out) throw new GradsheetError('usage', 'grade needs --out DIR for results.jsonl, gradebook.csv and report.html.');
  const policy = values.duplicates;
  if (policy !== 'last' && policy !== 'best') throw new GradsheetError('usage', `--duplicates should be last or best, not "${policy}".`);
  const { grader, title } = await loadGrader(values, 'grade');
  const items = readSubmissions(values.submissions);
  const graded = gradeBulk(grader, items, policy, progress(items.length, 'Grading', 200));
  const { summary } = graded;
  await writeAtomic(join(values.out, 'results.jsonl'), graded.results.join('\n') + (graded.results.length ? '\n' : ''));
  await writeAtomic(join(values.out, 'gradebook.csv'), graded.gradebook.join('\r\n') + '\r\n');
  await writeAtomic(join(values.out, 'report.html'), reportHtml(`Grades — ${title}`, graded.percents, graded.analysis, graded.problems, summary));
  process.stdout.write(`Graded ${summary.submissions} submissions (${summary.ungradable} could not be graded, ${graded.problems.length} with problems, ${summary.superseded} superseded duplicates, policy: ${policy} wins); wrote results.jsonl, gradebook.csv and report.html to ${values.out}.\n`);
  return 0;
}
