import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import type { GradeResult } from '../grade/grade.js';
import { readJson } from './io.js';
import { KEY_OPTIONS, loadGrader } from './key-source.js';

const MARK: Record<string, string> = { correct: '✓', partial: '~', incorrect: '✗', missing: '·', invalid: '!' };

export function resultText(r: GradeResult): string {
  const lines = [`Worksheet ${r.worksheet ?? '?'}${r.student ? ` (${r.student})` : ''}: ${r.score} / ${r.max}`];
  for (const e of r.errors) lines.push(`  ! ${e}`);
  for (const p of r.parts) lines.push(`  ${MARK[p.status] ?? '?'} ${p.id.padEnd(8)} ${String(p.score).padStart(5)}/${p.max}  ${p.status.padEnd(9)} ${p.feedback}`);
  return lines.join('\n');
}

/** `gradsheet check SUBMISSION.json (--key key.json | --bank B --secret-file F) [--json] [--reveal]` */
export async function runCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new GradsheetError('usage', 'check takes one submission file (or - for standard input), plus --key key.json or --bank B --secret-file F.');
  const { grader } = await loadGrader(values, 'check');
  const path = positionals[0]!;
  const submission = await readJson(path);
  const result = grader.grade(submission);
  process.stdout.write((values.json ? JSON.stringify(result, null, 2) : resultText(result)) + '\n');
  // a single submission that cannot be graded at all is an error for the one who sent it
  return result.reason ? 2 : 0;
}
