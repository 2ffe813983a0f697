import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { GradsheetError } from '../errors.js';
import { isWellFormedInstance, type Instance } from '../models/instance.js';
import { solutionJson } from '../models/solve.js';
import { readJson } from './io.js';

/** `gradsheet solve <file|-> [--all]`: one instance → one solution; an array → an array, same order. */
export async function runSolve(argv: string[]): Promise<number> {
  // Solving thousands of instances in a fresh process is mostly spent before V8's optimising
  // compiler has caught up: without inlining it compiles the solver's large functions in a
  // fraction of the time, and a batch of 4000 finishes ~5% sooner. Set before any solver runs.
  setFlagsFromString('--no-turbo-inlining');
  const { values, positionals } = parseArgs({ args: argv, options: { all: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) {
    throw new GradsheetError('usage', 'solve takes exactly one argument: a JSON file holding an instance or an array of instances, or - for standard input.');
  }
  const input = await readJson(positionals[0]!);
  const options = { all: values.all === true };
  if (!Array.isArray(input)) {
    const [instance] = await validated([input], null);
    process.stdout.write(solutionJson(instance!, '$', options) + '\n');
    return 0;
  }
  if (input.length === 0) throw new GradsheetError('invalid-input', 'The input is an empty array; expected at least one instance.');
  // Every instance is validated before anything is printed, so a malformed one leaves no partial
  // output; solutions are then written as they are computed, in ~1 MB pieces, so none of them
  // outlives its piece (holding all of them measurably slowed garbage collection).
  const instances = await validated(input, 0);
  let buffer = '[';
  for (let i = 0; i < instances.length; i++) {
    buffer += (i === 0 ? '' : ',\n') + solutionJson(instances[i]!, `$[${i}]`, options);
    if (buffer.length > 1 << 20) {
      process.stdout.write(buffer);
      buffer = '';
    }
  }
  process.stdout.write(buffer + ']\n');
  return 0;
}

/**
 * The instances, validated: the fast check vouches for well-formed ones, and zod — loaded only
 * then, as loading it costs ~0.1 s — decides the rest and words the error, naming the JSON path
 * (`$[i]…` from `firstIndex`, or `$…` for a lone instance, `firstIndex` null).
 */
async function validated(inputs: unknown[], firstIndex: number | null): Promise<Instance[]> {
  for (let i = 0; i < inputs.length; i++) {
    if (isWellFormedInstance(inputs[i])) continue;
    const { parseInstance } = await import('../models/instance-schema.js');
    parseInstance(inputs[i], firstIndex === null ? '$' : `$[${firstIndex + i}]`);
  }
  return inputs as Instance[];
}
