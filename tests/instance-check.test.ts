/**
 * The fast well-formedness check in front of zod must never accept what the schema rejects:
 * thousands of random valid instances and of mutations of them (a field gone, a number turned
 * into a string, a row too short or too long, a wrong loss, a wrong model, empty arrays, fields
 * swapped between instances of other shapes) are put to both.
 */
import { describe, expect, it } from 'vitest';
import { instanceSchema, isWellFormedInstance } from '../src/index.js';
import { randomGru, randomLstm, randomRnn, randomShape, rngFor } from './support/random-instances.js';

type Rng = () => number;
type Json = unknown;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

/** A random path to an array or number inside `value`, and a way to replace what is there. */
function mutate(rng: Rng, inst: Record<string, Json>, other: Record<string, Json>): Record<string, Json> {
  const copy = structuredClone(inst);
  const keys = Object.keys(copy);
  const key = pick(rng, keys);
  const kind = Math.floor(rng() * 10);
  const deep = (v: Json): Json[] | null => (Array.isArray(v) ? (Array.isArray(v[0]) && rng() < 0.6 ? deep(pick(rng, v as Json[])) ?? v : v) : null);
  switch (kind) {
    case 0: delete copy[key]; break;
    case 1: copy[key] = other[key]; break; // another instance's field, maybe of another shape
    case 2: copy.loss = pick(rng, ['avg', 'LAST', 1, null, 'sum', 'last', undefined]); break;
    case 3: copy.model = pick(rng, ['RNN', 'GRU', 'gru', 'lstm', 'rnn', 'activations', 3]); break;
    default: {
      const arr = deep(copy[key]);
      if (!arr) { copy[key] = pick(rng, [[], [[]], 'x', 1, null, {}]); break; }
      const i = Math.floor(rng() * arr.length);
      const action = Math.floor(rng() * 6);
      if (action === 0) arr.pop();
      else if (action === 1) arr.push(typeof arr[0] === 'number' ? 0.5 : structuredClone(arr[0]));
      else if (action === 2) arr[i] = pick(rng, ['0.5', null, true, [0.5], {}, Infinity, -Infinity, NaN]);
      else if (action === 3) arr.length = 0;
      else if (action === 4) arr[i] = Array.isArray(arr[i]) ? 0.5 : [arr[i]];
      else arr.splice(i, 1);
    }
  }
  return copy;
}

describe('the fast instance check', () => {
  it('accepts every valid instance the schema accepts', () => {
    const rng = rngFor('fast-check-valid');
    for (let n = 0; n < 400; n++) {
      const inst = [randomRnn, randomLstm, randomGru][n % 3]!(rng, randomShape(rng, n % 2 === 0, 8));
      expect(instanceSchema.safeParse(inst).success).toBe(true);
      expect(isWellFormedInstance(inst)).toBe(true);
    }
    expect(isWellFormedInstance({ model: 'activations', x: [0, -1.5] })).toBe(true);
  });

  it('accepts no mutated instance the schema rejects', () => {
    const rng = rngFor('fast-check-mutants');
    let rejected = 0, acceptedByBoth = 0;
    for (let n = 0; n < 6000; n++) {
      const make = () => [randomRnn, randomLstm, randomGru][Math.floor(rng() * 3)]!(rng, randomShape(rng, rng() < 0.3, 5)) as unknown as Record<string, Json>;
      let m = make();
      const rounds = 1 + Math.floor(rng() * 2);
      for (let r = 0; r < rounds; r++) m = mutate(rng, m, make());
      const zod = instanceSchema.safeParse(m).success;
      if (isWellFormedInstance(m)) {
        expect(zod, JSON.stringify(m)).toBe(true);
        acceptedByBoth++;
      }
      if (!zod) rejected++;
    }
    // the mutations mostly break the instance, and some leave it valid: both sides are exercised
    expect(rejected).toBeGreaterThan(3000);
    expect(acceptedByBoth).toBeGreaterThan(100);
  });

  it('leaves non-objects and other models to the schema', () => {
    for (const v of [null, 1, 'rnn', [], [{ model: 'rnn' }], { model: 'activations', x: [] }, { model: 'activations', x: ['1'] },
      { model: 'activations', x: [NaN] }, { model: 'activations', x: [JSON.parse('1e999') as number] }, { model: 'activations', x: [-Infinity] }]) {
      expect(isWellFormedInstance(v)).toBe(false);
      expect(instanceSchema.safeParse(v).success).toBe(false);
    }
  });
});
