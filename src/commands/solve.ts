import { GradsheetError } from '../errors.js';
import { solveInput } from '../models/solve.js';
import { readJson } from './io.js';

/** `gradsheet solve <file|->`: one instance → one solution; an array → an array, same order. */
export async function runSolve(args: string[]): Promise<number> {
  if (args.length !== 1) {
    throw new GradsheetError('usage', 'solve takes exactly one argument: a JSON file holding an instance or an array of instances, or - for standard input.');
  }
  const input = await readJson(args[0]!);
  let output: string;
  if (Array.isArray(input)) {
    if (input.length === 0) throw new GradsheetError('invalid-input', 'The input is an empty array; expected at least one instance.');
    output = '[' + input.map((inst, i) => JSON.stringify(solveInput(inst, `$[${i}]`))).join(',\n') + ']';
  } else {
    output = JSON.stringify(solveInput(input));
  }
  process.stdout.write(output + '\n');
  return 0;
}
