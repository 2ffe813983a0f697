import { defaultBankNames, loadBank } from './files.js';
import { PROBLEM_TYPES } from '../problems/registry.js';
import { titleText } from '../render/typeset.js';

/** `gradsheet banks`: the default banks and the problem types, a line each. */
export async function runBanks(): Promise<number> {
  const lines = ['Default question banks (use with --bank NAME):'];
  for (const name of defaultBankNames()) {
    const bank = await loadBank(name);
    const types = [...new Set(bank.questions.map((q) => q.type.id))].join(', ');
    lines.push(`  ${name.padEnd(20)} ${titleText(bank.title)} — ${bank.questions.length} questions (${types})`);
  }
  lines.push('', 'Problem types (for your own banks):');
  for (const t of PROBLEM_TYPES) lines.push(`  ${t.id.padEnd(20)} ${t.summary}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
