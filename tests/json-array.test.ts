/**
 * arrayElementSpans (src/json-array.ts), which `gradsheet solve` uses to parse an array one
 * element at a time: on valid JSON its spans parse to exactly the elements JSON.parse gives; on
 * text that is not a valid array, either it says null or some span fails to parse.
 */
import { describe, expect, it } from 'vitest';
import { arrayElementSpans } from '../src/json-array.js';
import { rngFor, type Rng } from './support/random-instances.js';

const TRICKY = ['', ',', '[', ']', '{', '}', '"', '\\', '\\"', '],[', 'a"b', '\u00e9\u4e2d', '\n', '\\u005d'];

function randomValue(rng: Rng, depth: number): unknown {
  const r = rng();
  if (depth === 0 || r < 0.3) {
    const k = Math.floor(rng() * 5);
    return [rng() * 100 - 50, -0, TRICKY[Math.floor(rng() * TRICKY.length)]! + TRICKY[Math.floor(rng() * TRICKY.length)]!, true, null][k];
  }
  const n = Math.floor(rng() * 4);
  if (r < 0.65) return Array.from({ length: n }, () => randomValue(rng, depth - 1));
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [TRICKY[(i * 7 + n) % TRICKY.length]! + i, randomValue(rng, depth - 1)]));
}

/** JSON text with random whitespace between tokens (outside strings). */
function spaced(rng: Rng, json: string): string {
  let out = '', inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    out += c;
    if (inString) {
      if (c === '\\') out += json[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if ('[]{},:'.includes(c) && rng() < 0.3) {
      out += [' ', '\n', '\t', '\r\n  '][Math.floor(rng() * 4)];
    }
  }
  return out;
}

const elementsOf = (text: string, spans: number[]): unknown[] =>
  Array.from({ length: spans.length / 2 }, (_, i) => JSON.parse(text.slice(spans[2 * i]!, spans[2 * i + 1]!)));

describe('arrayElementSpans', () => {
  it('finds exactly the elements of 300 random arrays (strings with brackets, commas, quotes, escapes; nested objects)', () => {
    const rng = rngFor('json-array-spans');
    for (let n = 0; n < 300; n++) {
      const array = Array.from({ length: 1 + Math.floor(rng() * 6) }, () => randomValue(rng, 4));
      const text = (rng() < 0.5 ? ' \n' : '') + spaced(rng, JSON.stringify(array)) + (rng() < 0.5 ? '\n' : '');
      const spans = arrayElementSpans(text);
      expect(spans, text).not.toBeNull();
      expect(elementsOf(text, spans!), text).toStrictEqual(JSON.parse(text));
    }
  });

  it('says null for text that is not shaped like an array', () => {
    for (const text of ['', '   ', '{"model":"rnn"}', '"[1]"', '[1, 2', '[1, 2]]', '[1, 2] x', '[1}', '[[1, 2]', '["]"']) {
      expect(arrayElementSpans(text), text).toBeNull();
    }
  });

  it('leaves an element that does not parse when the array is not valid JSON', () => {
    for (const text of ['[1,]', '[,1]', '[1,,2]', '[1 2]', '[{"a":1,}]', '[tru]', '[[1],[2,]]', '["a\\"]']) {
      expect(() => JSON.parse(text), text).toThrow();
      const spans = arrayElementSpans(text);
      if (spans !== null) expect(() => elementsOf(text, spans), text).toThrow();
    }
  });

  it('gives an empty array one empty element, which does not parse (solve then reads the text whole)', () => {
    for (const text of ['[]', '[ \n ]']) expect(() => elementsOf(text, arrayElementSpans(text)!), text).toThrow();
  });
});
