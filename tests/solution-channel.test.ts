/**
 * The shared-memory hand-over of `gradsheet solve` (src/commands/solution-channel.ts): what a
 * SlotWriter writes, a SlotReader reads back as the same values, in order; a solution that does
 * not fit leaves the slot as it was.
 */
import { describe, expect, it } from 'vitest';
import { channelMemory, SLOT_NUMBERS, SlotReader, SlotWriter, TEXT } from '../src/commands/solution-channel.js';
import { emitValue, ValueBuilder } from '../src/models/fused.js';
import { rngFor, type Rng } from './support/random-instances.js';

type Tree = number | Tree[];

const randomNumber = (rng: Rng): number => (rng() < 0.05 ? -0 : (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20));

/** A number, or an array of numbers, or an array of such trees: the shapes solutions have (never a mix). */
function randomTree(rng: Rng, depth: number): Tree {
  if (depth === 0 || rng() < 0.15) return randomNumber(rng);
  const n = Math.floor(rng() * 5);
  if (rng() < 0.4) return Array.from({ length: n }, () => randomNumber(rng));
  return Array.from({ length: n }, () => randomTree(rng, depth - 1)).map((t) => (typeof t === 'number' ? [t] : t));
}

function readAll(memory: ReturnType<typeof channelMemory>, slot: number, valuesPer: number[]): { index: number; model: number; values: unknown[] }[] {
  const reader = new SlotReader(memory);
  reader.open(slot);
  const out: { index: number; model: number; values: unknown[] }[] = [];
  for (let k = 0; reader.hasMore; k++) {
    const { index, model } = reader.header();
    const values = model === TEXT ? [] : Array.from({ length: valuesPer[k]! }, () => reader.value());
    out.push({ index, model, values });
  }
  return out;
}

describe('the solution channel', () => {
  it('reads back random nested values exactly, in order, from every slot', () => {
    const rng = rngFor('channel-roundtrip');
    const memory = channelMemory();
    const writer = new SlotWriter(memory);
    for (const slot of [0, 3]) {
      writer.open(slot);
      const written: unknown[][] = [];
      for (let index = 0; index < 40; index++) {
        const values = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => randomTree(rng, 4));
        expect(writer.put(index, index % 2 ? 'lstm' : 'rnn', (e) => values.forEach((v) => emitValue(e, v)))).toBe(true);
        written.push(values);
      }
      writer.putText(40);
      writer.close(slot);
      const read = readAll(memory, slot, written.map((v) => v.length));
      expect(read.map((r) => r.index)).toEqual([...Array(41).keys()]);
      expect(read.slice(0, 40).map((r) => r.model)).toEqual(written.map((_, i) => (i % 2 ? 1 : 0)));
      expect(read[40]!.model).toBe(TEXT);
      // Object.is, so that -0 and the exact doubles are checked too
      read.slice(0, 40).forEach((r, i) => expect(r.values).toStrictEqual(written[i]));
    }
  });

  it('turns away a solution that does not fit and keeps what the slot held', () => {
    const memory = channelMemory();
    const writer = new SlotWriter(memory);
    writer.open(1);
    const small = [[1, 2, 3], 4];
    expect(writer.put(0, 'rnn', (e) => small.forEach((v) => emitValue(e, v)))).toBe(true);
    const big = new Float64Array(SLOT_NUMBERS);
    expect(writer.put(1, 'lstm', (e) => { e.array(1); e.leaf(big, 0, SLOT_NUMBERS); })).toBe(false);
    expect(writer.isEmpty).toBe(false);
    expect(writer.put(1, 'rnn', (e) => emitValue(e, 5))).toBe(true);
    writer.close(1);
    expect(readAll(memory, 1, [2, 1])).toEqual([{ index: 0, model: 0, values: small }, { index: 1, model: 0, values: [5] }]);
  });

  it('builds the same values with a ValueBuilder as the reader reads', () => {
    const rng = rngFor('channel-builder');
    const values = Array.from({ length: 6 }, () => randomTree(rng, 5));
    const builder = new ValueBuilder();
    values.forEach((v) => emitValue(builder, v));
    expect(builder.values).toStrictEqual(values);
  });
});
