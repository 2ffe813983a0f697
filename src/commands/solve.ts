import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { GradsheetError } from '../errors.js';
import { isWellFormedInstance, type Instance } from '../models/instance.js';
import { solutionJson } from '../models/solve.js';
import { trace } from '../trace.js';
import { readJson } from './io.js';
import { OutputBuffer } from './output.js';
import { ThreadedSolutionWriter } from './solve-writer.js';

/** From about this many instances (or this much input), printing on a second core pays for starting it. */
const THREADED_MIN_INSTANCES = 200;
const THREADED_MIN_BYTES = 256 * 1024;

/** `gradsheet solve <file|-> [--all]`: one instance → one solution; an array → an array, same order. */
export async function runSolve(argv: string[]): Promise<number> {
  // Solving thousands of instances in a fresh process is mostly spent before V8's optimising
  // compiler has caught up: without inlining it compiles the solver's large functions in a
  // fraction of the time, and a batch of 4000 finishes ~5% sooner. Set before any solver runs.
  setFlagsFromString('--no-turbo-inlining');
  // V8 may decide that objects from some allocation site live long and allocate them in the old
  // generation from then on; here none do (each solution is garbage once printed), and in about
  // one run in four it so decided and the run took a third longer, touching 50 MB more memory.
  setFlagsFromString('--no-allocation-site-pretenuring');
  const { values, positionals } = parseArgs({ args: argv, options: { all: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) {
    throw new GradsheetError('usage', 'solve takes exactly one argument: a JSON file holding an instance or an array of instances, or - for standard input.');
  }
  const source = positionals[0]!;
  const options = { all: values.all === true };
  const threaded = !options.all && availableParallelism() > 1;
  // the printing thread starts now if the input is large, so that its start overlaps reading it
  let writer = threaded && source !== '-' && fileSize(source) >= THREADED_MIN_BYTES ? new ThreadedSolutionWriter() : null;
  try {
    const input = await readJson(source);
    trace('input read and parsed');
    if (!Array.isArray(input)) {
      const [instance] = await validated([input], null);
      const out = new OutputBuffer();
      out.write(solutionJson(instance!, '$', options));
      out.write('\n');
      out.flush();
      return 0;
    }
    if (input.length === 0) throw new GradsheetError('invalid-input', 'The input is an empty array; expected at least one instance.');
    // Every instance is validated before anything is printed, so a malformed one leaves no partial
    // output; solutions are then written as they are computed, each one gone once it is written.
    const instances = await validated(input, 0);
    trace('instances validated');
    if (threaded && writer === null && instances.length >= THREADED_MIN_INSTANCES) writer = new ThreadedSolutionWriter();
    if (writer !== null) {
      for (let i = 0; i < instances.length; i++) writer.write(i, instances[i]!);
      writer.end();
      writer = null;
    } else {
      const out = new OutputBuffer();
      out.write('[');
      for (let i = 0; i < instances.length; i++) {
        if (i > 0) out.write(',\n');
        out.write(solutionJson(instances[i]!, `$[${i}]`, options));
      }
      out.write(']\n');
      out.flush();
    }
    trace('solutions written');
    return 0;
  } finally {
    await writer?.stop();
  }
}

/** A file's size in bytes; 0 if it cannot be read (reading it will say why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
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
