/**
 * Who the variants are for, from the command line: `--seed S [--count N]` (open practice) or
 * `--roster F --secret-file F` (a class). Shared by generate and render.
 */
import { GradsheetError } from '../errors.js';
import type { Bank } from '../problems/bank.js';
import { parseRoster, type RosterProblem } from '../problems/roster.js';
import { practiceSecret, practiceStudents } from '../problems/variants.js';
import { loadBank, readSecret } from './files.js';
import { bankUsesFormulas } from './key-source.js';
import { loadFormulas } from '../contract/formula.js';
import { readText } from './io.js';
import { checkClassOptions, type ClassOptions } from './class-options.js';
import { LATEST_GENERATOR } from '../problems/generator-version.js';

export interface ClassSet {
  bank: Bank;
  secret: string;
  students: { id: string; name: string }[];
  rosterProblems: RosterProblem[];
  /** whether the secret came from --seed (practice sheets: the answers are public) */
  practice: boolean;
  /** "seed 42" or "roster class.csv", for messages */
  source: string;
  /** sentences for standard error before drawing (a bank on an older generator version) */
  notices: string[];
}

/** Why drawing new sheets from this bank may not be what the teacher wants, if it may not. */
function generatorNotice(bank: Bank, asked: string): string[] {
  if (bank.generator >= LATEST_GENERATOR) return [];
  // a default bank named with its version (midterm@1) is the copy kept for sheets printed before
  if (/^[a-z0-9-]+@\d+$/.test(asked)) return [`${asked} is the copy of bank ${bank.id} kept to regrade and reprint sheets printed under generator version ${bank.generator}; for new sheets use --bank ${bank.id} (generator ${LATEST_GENERATOR}: no free points, balanced choices).`];
  return [`bank ${bank.id} is drawn with generator version ${bank.generator}, as sheets printed from it before were; add "generator": ${LATEST_GENERATOR} to the bank for fair-item draws (no free points, balanced choices: see gradsheet audit) — its variants then change.`];
}

export async function loadClass(o: ClassOptions, command: string): Promise<ClassSet> {
  checkClassOptions(o, command);
  const bank = await loadBank(o.bank!);
  // formula parts are typeset in keys and read by the audit: the parser first
  if (bankUsesFormulas(bank)) await loadFormulas();
  const notices = generatorNotice(bank, o.bank!);
  if (o.seed !== undefined) {
    const count = o.count === undefined ? 1 : Number(o.count);
    return { bank, secret: practiceSecret(o.seed), students: practiceStudents(count).map((id) => ({ id, name: id })), rosterProblems: [], practice: true, source: `seed ${o.seed}`, notices };
  }
  const roster = o.roster!;
  const secret = await readSecret(o['secret-file']!);
  const { students, problems, notices: read } = parseRoster(await readText(roster));
  notices.push(...read.map((n) => `${roster}: ${n}`));
  if (students.length === 0) {
    throw new GradsheetError('invalid-input', `The roster ${roster} has no usable students${problems.length ? `: ${problems.map((p) => p.message).join('; ')}` : ''}.`);
  }
  return { bank, secret, students, rosterProblems: problems.map((p) => ({ ...p, message: `${roster}: ${p.message}` })), practice: false, source: `roster ${roster}`, notices };
}
