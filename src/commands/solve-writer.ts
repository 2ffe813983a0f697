/**
 * `gradsheet solve`'s printing on a second core: the main thread solves and hands each solution
 * over as numbers (solution-channel.ts); a worker thread (solve-writer-thread.ts) turns them
 * into JSON text and writes it. Writing doubles as shortest decimals is about as costly as
 * solving, so the two halves now run side by side. What is printed, byte for byte, and the
 * errors are the same as from the main thread alone (solutionJson).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { GradsheetError } from '../errors.js';
import { trace } from '../trace.js';
import type { Emitter } from '../models/fused.js';
import type { Instance } from '../models/instance.js';
import { emitPrinted, solutionJson } from '../models/solve.js';
import { channelMemory, DONE, EMPTY, FAILED, FULL, LAST, READY, SlotWriter, SLOTS, type ChannelMemory } from './solution-channel.js';
import type { WriterFailure } from './solve-writer-thread.js';

/** How long the thread may take to start before something is wrong with the installation. */
const START_TIMEOUT_MS = 30_000;

export class ThreadedSolutionWriter {
  private readonly memory: ChannelMemory = channelMemory();
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly slots: SlotWriter;
  private slot = 0;
  /** Whether a solution has not fit in the current slot: it is full. */
  private slotFull = false;
  private readonly startedAt = Date.now();
  /** Milliseconds spent waiting for the thread (GRADSHEET_DEBUG shows them). */
  private waited = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./solve-writer-thread.js', import.meta.url), { workerData: { memory: this.memory, port: port2 }, transferList: [port2] });
    // the main thread waits for it through shared memory, not through the event loop
    this.worker.unref();
    this.slots = new SlotWriter(this.memory);
    this.slots.open(0);
  }

  /** Solves element `index` of the array and hands its solution over; elements must come in order. */
  write(index: number, inst: Instance): void {
    const emit = (e: Emitter): void => emitPrinted(inst, e);
    if (!this.slotFull) {
      if (this.slots.put(index, inst.model, emit)) return;
      this.slotFull = !this.slots.isEmpty;
    }
    if (this.slotFull) {
      // Turning numbers into text is the larger half of the work: while the thread has no slot
      // free, the main thread does that too, rather than wait.
      if (!this.nextSlotFree() && this.slots.hasTextRoom) return this.putText(index, inst);
      this.publish();
      if (this.slots.put(index, inst.model, emit)) return;
    }
    // larger than a whole slot
    this.putText(index, inst);
  }

  /** Prints the solution here and sends it as text, marked in the current slot (or the next one). */
  private putText(index: number, inst: Instance): void {
    const json = solutionJson(inst, `$[${index}]`);
    if (!this.slots.hasTextRoom) this.publish();
    this.slots.putText(index);
    this.port.postMessage(json);
  }

  private nextSlotFree(): boolean {
    return Atomics.load(this.memory.control, (this.slot + 1) % SLOTS) === EMPTY;
  }

  /** Hands over the last solutions and waits until everything has been written. */
  end(): void {
    this.slots.close(this.slot);
    this.signal(this.slot, LAST);
    trace(`solutions handed over; the main thread waited ${this.waited.toFixed(0)} ms for the printing thread`);
    this.waitUntil(DONE, () => Atomics.load(this.memory.control, DONE) === 1);
  }

  /** Stops the thread, if it still runs (after an error on the main thread). */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private publish(): void {
    this.slots.close(this.slot);
    this.signal(this.slot, FULL);
    this.slot = (this.slot + 1) % SLOTS;
    const slot = this.slot;
    this.waitUntil(slot, () => Atomics.load(this.memory.control, slot) === EMPTY);
    this.slots.open(slot);
    this.slotFull = false;
  }

  private signal(slot: number, state: number): void {
    Atomics.store(this.memory.control, slot, state);
    Atomics.notify(this.memory.control, slot);
  }

  /** Blocks until `done()`, waking when control[index] changes or every 100 ms, and failing as soon as the thread has. */
  private waitUntil(index: number, done: () => boolean): void {
    const { control } = this.memory;
    const since = performance.now();
    for (;;) {
      if (done()) {
        this.waited += performance.now() - since;
        return;
      }
      if (Atomics.load(control, FAILED) === 1) this.failed();
      if (Atomics.load(control, READY) === 0 && Date.now() - this.startedAt > START_TIMEOUT_MS) {
        throw new GradsheetError('internal', `The thread that prints solutions did not start within ${START_TIMEOUT_MS / 1000} s.`);
      }
      Atomics.wait(control, index, Atomics.load(control, index), 100);
    }
  }

  private failed(): never {
    const failure = receiveMessageOnPort(this.port)?.message as WriterFailure | undefined;
    if (failure?.readerGone) process.exit(0); // `… | head`: the reader's choice, as for process.stdout
    if (failure && failure.code !== null) throw new GradsheetError(failure.code, failure.message);
    throw new Error(`the thread that prints solutions failed: ${failure?.message ?? 'no reason given'}`);
  }
}
