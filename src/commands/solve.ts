import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { solveToJson } from '../models/solve.js';
import { readJson } from './io.js';
import { solveBatch } from './solve-batch.js';

/** `gradsheet solve <file|-> [--all]`: one instance → one solution; an array → an array, same order. */
export async function runSolve(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { all: { type: 'boolean', default: false } }, allowPositionals: true, strict: false });
  if (positionals.length !== 1) {
    throw new GradsheetError('usage', 'solve takes exactly one argument: a JSON file holding an instance or an array of instances, or - for standard input.');
  }
  const input = await readJson(positionals[0]!);
  const options = { all: values.all === true };
  if (!Array.isArray(input)) {
    process.stdout.write(solveToJson(input, '$', options) + '\n');
    return 0;
  }
  if (input.length === 0) throw new GradsheetError('invalid-input', 'The input is an empty array; expected at least one instance.');
  // Every instance is checked before anything is printed, so a bad one leaves no partial output;
  // the text is then written in ~1 MB pieces rather than one string the size of the whole answer.
  const pieces = await solveBatch(input, options.all);
  let buffer = '[';
  for (let i = 0; i < pieces.length; i++) {
    buffer += (i === 0 ? '' : ',\n') + pieces[i];
    pieces[i] = '';
    if (buffer.length > 1 << 20) {
      process.stdout.write(buffer);
      buffer = '';
    }
  }
  process.stdout.write(buffer + ']\n');
  return 0;
}
