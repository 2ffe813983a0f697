import { parseArgs } from 'node:util';
import { GradsheetError, parseJsonText } from '../errors.js';
import { arrayElementSpans } from '../json-array.js';
import { isWellFormedInstance, type Instance } from '../models/instance.js';
import { solutionJson } from '../models/solve.js';
import { trace } from '../trace.js';
import { inputName, readJsonText } from './io.js';
import { OutputBuffer } from './output.js';

/** Instances to solve: `count` of them, or one on its own (`single`: printed without the array). */
interface Batch {
  count: number;
  single: boolean;
  instance(i: number): Instance;
}

/** `gradsheet solve <file|-> [--all]`: one instance → one solution; an array → an array, same order. */
export async function runSolve(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { all: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) {
    throw new GradsheetError('usage', 'solve takes exactly one argument: a JSON file holding an instance or an array of instances, or - for standard input.');
  }
  const source = positionals[0]!;
  const text = await readJsonText(source);
  trace('input read');
  // Every instance is validated before anything is printed, so a malformed one leaves no partial
  // output; solutions are then written as they are computed, each one gone once it is written.
  const batch = (await elementwise(text)) ?? (await whole(text, inputName(source)));
  trace('instances validated');
  const options = { all: values.all === true };
  const out = new OutputBuffer();
  if (batch.single) {
    out.write(solutionJson(batch.instance(0), '$', options));
  } else {
    out.write('[');
    for (let i = 0; i < batch.count; i++) {
      if (i > 0) out.write(',\n');
      out.write(solutionJson(batch.instance(i), `$[${i}]`, options));
    }
    out.write(']');
  }
  out.write('\n');
  out.flush();
  trace('solutions written');
  return 0;
}

/**
 * An array's instances, each parsed from its own text as it is needed (json-array.ts): so that
 * each is garbage once solved, rather than part of one structure of tens of megabytes that lives to
 * the end — copying that as the garbage collector promoted it, into freshly touched memory, cost
 * more than parsing every instance twice. Null when the text is not an array of valid JSON
 * elements: it is then parsed whole, which words the syntax error for the whole text.
 */
async function elementwise(text: string): Promise<Batch | null> {
  const spans = arrayElementSpans(text);
  if (spans === null) return null;
  const count = spans.length / 2;
  const parse = (i: number): unknown => JSON.parse(text.slice(spans[2 * i]!, spans[2 * i + 1]!));
  let malformed = -1;
  for (let i = 0; i < count; i++) {
    let element: unknown;
    try {
      element = parse(i);
    } catch {
      return null;
    }
    if (malformed < 0 && !isWellFormedInstance(element)) malformed = i;
  }
  if (malformed >= 0) await validated([parse(malformed)], malformed);
  return { count, single: false, instance: (i) => parse(i) as Instance };
}

/** The text parsed as a whole: one instance, or an array of them. */
async function whole(text: string, label: string): Promise<Batch> {
  const input = parseJsonText(text, label);
  if (!Array.isArray(input)) {
    const [instance] = await validated([input], null);
    return { count: 1, single: true, instance: () => instance! };
  }
  if (input.length === 0) throw new GradsheetError('invalid-input', 'The input is an empty array; expected at least one instance.');
  const instances = await validated(input, 0);
  return { count: instances.length, single: false, instance: (i) => instances[i]! };
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
