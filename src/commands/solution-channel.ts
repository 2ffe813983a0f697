/**
 * How `gradsheet solve` hands solutions from the thread that computes them to the thread that
 * prints them (solve-writer.ts): through shared memory, as numbers and shapes rather than as
 * objects or text, since writing a double's shortest decimal form is the costly part of
 * printing and copying the double is not.
 *
 * The memory is a ring of SLOTS slots, each with room for SLOT_NUMBERS doubles and SLOT_SHAPES
 * shape codes. A solution is written as its index in the array and its model's code, then each
 * printed value (solution-json.ts's PRINTED keys, in order) as shape codes:
 *   NUMBER            one number;
 *   LEAF_BASE − n     an array of n numbers (n ≥ 0);
 *   n ≥ 1             an array of n values, each written the same way.
 * A solution that would not fit even in an empty slot is sent as JSON text on the port instead,
 * marked by the model code TEXT.
 */
import type { Emitter } from '../models/fused.js';
import type { Model } from '../models/solution-json.js';

export const SLOTS = 4;
export const SLOT_NUMBERS = 1 << 15;
export const SLOT_SHAPES = 1 << 13;
/** Shape codes at the end of each slot kept for solutions sent as text (see solve-writer.ts). */
const TEXT_RESERVE = 512;

/** Slot states, in control[slot]. */
export const EMPTY = 0, FULL = 1, LAST = 2;
/** Other entries of control, after the slot states and the slots' lengths. */
export const NUMBERS_USED = SLOTS, SHAPES_USED = 2 * SLOTS, READY = 3 * SLOTS, DONE = READY + 1, FAILED = READY + 2, CONTROL_LENGTH = READY + 3;

export const NUMBER = -1, LEAF_BASE = -2, TEXT = -1;
export const MODELS: readonly Model[] = ['rnn', 'lstm', 'activations'];

export interface ChannelMemory {
  control: Int32Array;
  numbers: Float64Array;
  shapes: Int32Array;
}

export function channelMemory(): ChannelMemory {
  return {
    control: new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * 4)),
    numbers: new Float64Array(new SharedArrayBuffer(SLOTS * SLOT_NUMBERS * 8)),
    shapes: new Int32Array(new SharedArrayBuffer(SLOTS * SLOT_SHAPES * 4)),
  };
}

/** Writes solutions into one slot at a time. */
export class SlotWriter implements Emitter {
  private n = 0;
  private s = 0;
  private nEnd = 0;
  private sEnd = 0;
  private textEnd = 0;
  private overflow = false;

  constructor(private readonly memory: ChannelMemory) {}

  /** Starts filling `slot` from empty. */
  open(slot: number): void {
    this.n = slot * SLOT_NUMBERS;
    this.s = slot * SLOT_SHAPES;
    this.nEnd = this.n + SLOT_NUMBERS;
    this.textEnd = this.s + SLOT_SHAPES;
    this.sEnd = this.textEnd - TEXT_RESERVE;
  }

  /** Records how much of `slot` is used, for the reader. */
  close(slot: number): void {
    this.memory.control[NUMBERS_USED + slot] = this.n - slot * SLOT_NUMBERS;
    this.memory.control[SHAPES_USED + slot] = this.s - slot * SLOT_SHAPES;
  }

  get isEmpty(): boolean {
    return this.s === this.textEnd - SLOT_SHAPES;
  }

  /** Appends one solution, its values given by `emit`; false, with nothing appended, if they do not fit. */
  put(index: number, model: Model, emit: (e: Emitter) => void): boolean {
    const n = this.n, s = this.s;
    if (this.s + 2 <= this.sEnd) {
      this.memory.shapes[this.s++] = index;
      this.memory.shapes[this.s++] = MODELS.indexOf(model);
      this.overflow = false;
      emit(this);
      if (!this.overflow) return true;
    }
    this.n = n;
    this.s = s;
    return false;
  }

  /** Whether the slot has room for the marker of a solution sent as text (each keeps room for TEXT_RESERVE / 2). */
  get hasTextRoom(): boolean {
    return this.s + 2 <= this.textEnd;
  }

  /** Appends the marker of a solution sent as text; there must be room. */
  putText(index: number): void {
    this.memory.shapes[this.s++] = index;
    this.memory.shapes[this.s++] = TEXT;
  }

  number(x: number): void {
    if (this.overflow || this.s >= this.sEnd || this.n >= this.nEnd) {
      this.overflow = true;
      return;
    }
    this.memory.shapes[this.s++] = NUMBER;
    this.memory.numbers[this.n++] = x;
  }

  leaf(data: Float64Array, offset: number, n: number): void {
    if (this.overflow || this.s >= this.sEnd || this.n + n > this.nEnd) {
      this.overflow = true;
      return;
    }
    this.memory.shapes[this.s++] = LEAF_BASE - n;
    const numbers = this.memory.numbers;
    for (let i = 0; i < n; i++) numbers[this.n++] = data[offset + i]!;
  }

  array(n: number): void {
    if (this.overflow || this.s >= this.sEnd) {
      this.overflow = true;
      return;
    }
    // an empty array is written as an empty leaf: the code 0 is not used
    this.memory.shapes[this.s++] = n === 0 ? LEAF_BASE : n;
  }
}

/** Reads back what a SlotWriter wrote into one slot. */
export class SlotReader {
  private n = 0;
  private s = 0;
  private sEnd = 0;

  constructor(private readonly memory: ChannelMemory) {}

  open(slot: number): void {
    this.n = slot * SLOT_NUMBERS;
    this.s = slot * SLOT_SHAPES;
    this.sEnd = this.s + this.memory.control[SHAPES_USED + slot]!;
  }

  get hasMore(): boolean {
    return this.s < this.sEnd;
  }

  /** The next solution's index and model code (TEXT: its JSON comes on the port). */
  header(): { index: number; model: number } {
    const index = this.memory.shapes[this.s++]!;
    return { index, model: this.memory.shapes[this.s++]! };
  }

  value(): unknown {
    const code = this.memory.shapes[this.s++]!;
    if (code === NUMBER) return this.memory.numbers[this.n++];
    const out: unknown[] = [];
    if (code <= LEAF_BASE) {
      for (let i = LEAF_BASE - code; i > 0; i--) out.push(this.memory.numbers[this.n++]);
    } else {
      for (let i = code; i > 0; i--) out.push(this.value());
    }
    return out;
  }
}
