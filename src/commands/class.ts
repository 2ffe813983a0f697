/**
 * Who the variants are for, from the command line: `--seed S [--count N]` (open practice) or
 * `--roster F --secret-file F` (a class). Shared by generate and render.
 */
import { GradsheetError } from '../errors.js';
import type { Bank } from '../problems/bank.js';
import { parseRoster, type RosterProblem } from '../problems/roster.js';
import { practiceSecret, practiceStudents } from '../problems/variants.js';
import { loadBank, readSecret } from './files.js';
import { readText } from './io.js';

export interface ClassOptions {
  bank?: string;
  seed?: string;
  count?: string;
  roster?: string;
  'secret-file'?: string;
}

export interface ClassSet {
  bank: Bank;
  secret: string;
  students: { id: string; name: string }[];
  rosterProblems: RosterProblem[];
  /** "seed 42" or "roster class.csv", for messages */
  source: string;
}

export const CLASS_OPTIONS = {
  bank: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  roster: { type: 'string' },
  'secret-file': { type: 'string' },
} as const;

export async function loadClass(o: ClassOptions, command: string): Promise<ClassSet> {
  if (!o.bank) throw new GradsheetError('usage', `${command} needs --bank NAME|PATH (run \`gradsheet banks\` for the default banks).`);
  const bySeed = o.seed !== undefined, byRoster = o.roster !== undefined || o['secret-file'] !== undefined;
  if (bySeed === byRoster) throw new GradsheetError('usage', `${command} needs either --seed S [--count N] (practice sheets) or --roster FILE --secret-file FILE (a class), not ${bySeed ? 'both' : 'neither'}.`);
  const bank = await loadBank(o.bank);
  if (bySeed) {
    const count = o.count === undefined ? 1 : Number(o.count);
    if (!Number.isInteger(count) || count < 1 || count > 10000) throw new GradsheetError('usage', `--count should be a whole number from 1 to 10000, not "${o.count}".`);
    return { bank, secret: practiceSecret(o.seed!), students: practiceStudents(count).map((id) => ({ id, name: id })), rosterProblems: [], source: `seed ${o.seed}` };
  }
  if (!o.roster || !o['secret-file']) throw new GradsheetError('usage', `${command} needs both --roster FILE and --secret-file FILE for a class.`);
  const secret = await readSecret(o['secret-file']);
  const { students, problems } = parseRoster(await readText(o.roster));
  if (students.length === 0) {
    throw new GradsheetError('invalid-input', `The roster ${o.roster} has no usable students${problems.length ? `: ${problems.map((p) => p.message).join('; ')}` : ''}.`);
  }
  return { bank, secret, students, rosterProblems: problems.map((p) => ({ ...p, message: `${o.roster}: ${p.message}` })), source: `roster ${o.roster}` };
}
