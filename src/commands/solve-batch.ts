/**
 * Solving a batch of instances to JSON text, split over two threads when there are many: the
 * machine has two cores, and a batch of thousands is mostly allocation and JSON.stringify, both
 * of which a second V8 isolate runs in parallel with its own heap.
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { GradsheetError, isGradsheetError, type ErrorCode } from '../errors.js';
import { solveToJson } from '../models/solve.js';

interface SliceResult {
  pieces: string[];
  /** the first failure in the slice, by index in the whole batch */
  failure?: { index: number; code: ErrorCode; message: string };
}

function solveSlice(instances: readonly unknown[], offset: number, all: boolean): SliceResult {
  const pieces: string[] = [];
  for (let i = 0; i < instances.length; i++) {
    try {
      pieces.push(solveToJson(instances[i], `$[${offset + i}]`, { all }));
    } catch (e) {
      if (!isGradsheetError(e)) throw e;
      return { pieces, failure: { index: offset + i, code: e.code, message: e.message } };
    }
  }
  return { pieces };
}

/** Below this many instances a second thread costs more to start than it saves. */
const PARALLEL_THRESHOLD = 400;

/** JSON text for every instance, in order; throws the error of the first bad one. */
export async function solveBatch(instances: readonly unknown[], all: boolean): Promise<string[]> {
  const threads = Math.min(Number(process.env.GRADSHEET_THREADS) || 2, availableParallelism());
  if (instances.length < PARALLEL_THRESHOLD || threads < 2) return unwrap([solveSlice(instances, 0, all)]);
  const half = Math.ceil(instances.length / 2);
  const worker = new Worker(new URL(import.meta.url), { workerData: { instances: instances.slice(half), offset: half, all } });
  const other = new Promise<SliceResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const mine = solveSlice(instances.slice(0, half), 0, all);
  const results = mine.failure ? [mine] : [mine, await other];
  await worker.terminate();
  return unwrap(results);
}

function unwrap(results: SliceResult[]): string[] {
  const failure = results.find((r) => r.failure)?.failure;
  if (failure) throw new GradsheetError(failure.code, failure.message);
  return results.flatMap((r) => r.pieces);
}

if (!isMainThread && parentPort && (workerData as { offset?: number } | null)?.offset !== undefined) {
  const { instances, offset, all } = workerData as { instances: unknown[]; offset: number; all: boolean };
  parentPort.postMessage(solveSlice(instances, offset, all));
}
