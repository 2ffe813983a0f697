import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { answerKey, blankSubmission } from '../problems/key.js';
import { generateKeyVariants } from '../problems/variants.js';
import { CLASS_OPTIONS } from './class-options.js';
import { loadClass } from './class.js';
import { writeAtomic } from './files.js';
import { prettyJson } from '../json.js';

/** Two students with one code (40 bits: about one class in 10⁹ of a thousand) cannot be graded apart. */
export function assertDistinctCodes(variants: readonly { code: string; student: string }[]): void {
  const byCode = new Map<string, string>();
  for (const v of variants) {
    const other = byCode.get(v.code);
    if (other) throw new GradsheetError('internal', `Students "${other}" and "${v.student}" drew the same worksheet code ${v.code}; change the secret and generate again.`);
    byCode.set(v.code, v.student);
  }
}

/** `gradsheet generate --bank B (--seed S [--count N] | --roster F --secret-file F) --out DIR` */
export async function runGenerate(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...CLASS_OPTIONS, out: { type: 'string' } }, strict: true });
  if (!values.out) throw new GradsheetError('usage', 'generate needs --out DIR, the folder to write key.json and the blank submissions to.');
  const cls = await loadClass(values, 'generate');
  for (const n of cls.notices) process.stderr.write(`gradsheet generate: ${n}\n`);
  for (const p of cls.rosterProblems) process.stderr.write(`gradsheet generate: skipped ${p.message}\n`);
  const variants = generateKeyVariants(cls.bank, cls.secret, cls.students);
  assertDistinctCodes(variants);
  const key = answerKey(cls.bank, variants, { practice: cls.practice });
  await writeAtomic(join(values.out, 'key.json'), prettyJson(key) + '\n');
  for (const v of key.variants) {
    await writeAtomic(join(values.out, 'submissions', `${v.code}.json`), JSON.stringify(blankSubmission(v), null, 2) + '\n');
  }
  const skipped = cls.rosterProblems.length ? ` (${cls.rosterProblems.length} roster ${cls.rosterProblems.length === 1 ? 'line' : 'lines'} skipped)` : '';
  process.stdout.write(`Wrote ${join(values.out, 'key.json')} and ${variants.length} blank ${variants.length === 1 ? 'submission' : 'submissions'} in ${join(values.out, 'submissions')} for bank ${cls.bank.id}, ${cls.source}${skipped}.\n`);
  return 0;
}
