/**
 * The thread that prints `gradsheet solve`'s array of solutions (see solve-writer.ts): it reads
 * them from the shared slots in order, turns each into JSON text (the costly part) and writes
 * it to standard output. On an overflowing solution, or a reader that has gone, it stops and
 * says so on the port.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { isGradsheetError, type ErrorCode } from '../errors.js';
import { PRINTED, printedJson } from '../models/solution-json.js';
import { DONE, EMPTY, FAILED, LAST, MODELS, READY, SlotReader, SLOTS, TEXT, type ChannelMemory } from './solution-channel.js';
import { trace } from '../trace.js';
import { OutputBuffer } from './output.js';

const { memory, port } = workerData as { memory: ChannelMemory; port: MessagePort };
const { control } = memory;

/** What the thread says on the port when it stops early. */
export type WriterFailure = { readerGone: true } | { readerGone: false; code: ErrorCode | null; message: string };

class ReaderGone extends Error {}

function failureOf(e: unknown): WriterFailure {
  if (e instanceof ReaderGone) return { readerGone: true };
  if (isGradsheetError(e)) return { readerGone: false, code: e.code, message: e.message };
  return { readerGone: false, code: null, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

function run(): void {
  trace('printing thread started');
  let waited = 0;
  Atomics.store(control, READY, 1);
  Atomics.notify(control, READY);
  const out = new OutputBuffer(1, () => {
    throw new ReaderGone();
  });
  const reader = new SlotReader(memory);
  out.write('[');
  for (let slot = 0; ; slot = (slot + 1) % SLOTS) {
    const since = performance.now();
    while (Atomics.load(control, slot) === EMPTY) Atomics.wait(control, slot, EMPTY);
    waited += performance.now() - since;
    const last = Atomics.load(control, slot) === LAST;
    reader.open(slot);
    while (reader.hasMore) {
      const { index, model } = reader.header();
      let json: string;
      if (model === TEXT) {
        json = receiveMessageOnPort(port)!.message as string;
      } else {
        const name = MODELS[model]!;
        const printed: Record<string, unknown> = { model: name };
        const keys = PRINTED[name];
        for (let k = 1; k < keys.length; k++) printed[keys[k]!] = reader.value();
        json = printedJson(printed, `$[${index}]`);
      }
      if (index > 0) out.write(',\n');
      out.write(json);
    }
    Atomics.store(control, slot, EMPTY);
    Atomics.notify(control, slot);
    if (last) break;
  }
  out.write(']\n');
  out.flush();
  trace(`printing thread done; it waited ${waited.toFixed(0)} ms for solutions`);
}

try {
  run();
  Atomics.store(control, DONE, 1);
} catch (e) {
  port.postMessage(failureOf(e));
  Atomics.store(control, FAILED, 1);
} finally {
  port.close();
  Atomics.notify(control, DONE);
  Atomics.notify(control, FAILED);
  for (let slot = 0; slot < SLOTS; slot++) Atomics.notify(control, slot);
}
