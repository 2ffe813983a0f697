/**
 * syntaxErrorOffset (src/json-syntax.ts), which places the syntax errors V8 gives no position for:
 * on thousands of one-character mutations of valid JSON it finds an error exactly when JSON.parse
 * throws, at the position V8 names whenever V8 names one.
 */
import { describe, expect, it } from 'vitest';
import { syntaxErrorOffset } from '../src/json-syntax.js';
import { rngFor } from './support/random-instances.js';

const SEEDS = [
  '{"model":"rnn","U":[[0.5,-1e-3]],"x":[[1],[2.5E+2]],"loss":"sum"}',
  '[{"a":[true,false,null],"b":"q\\"uo\\\\te\\u00e9\\n"},[],{},-0.25,1e300]',
  ' [ 1 , [ 2 , { "k" : [ ] } ] ]\n',
];
const CHARS = ['', ' ', ',', ':', '[', ']', '{', '}', '"', '\\', '0', '1', '-', '.', 'e', 'E', '+', 't', 'n', 'x', '\n', '\u0001'];

describe('syntaxErrorOffset', () => {
  it('says -1 for valid JSON', () => {
    for (const text of SEEDS) expect(syntaxErrorOffset(text)).toBe(-1);
  });

  it('agrees with JSON.parse on 6000 one-character mutations, and with the position V8 names', () => {
    const rng = rngFor('json-syntax');
    const mismatches: string[] = [];
    for (let n = 0; n < 6000; n++) {
      const seed = SEEDS[n % SEEDS.length]!;
      const at = Math.floor(rng() * (seed.length + 1));
      const replace = rng() < 0.5 ? 1 : 0;
      const text = seed.slice(0, at) + CHARS[Math.floor(rng() * CHARS.length)]! + seed.slice(at + replace);
      let v8: number | null | 'valid' = 'valid';
      try {
        JSON.parse(text);
      } catch (e) {
        const pos = /position (\d+)/.exec((e as Error).message);
        v8 = pos ? Number(pos[1]) : null;
      }
      const ours = syntaxErrorOffset(text);
      if (v8 === 'valid' ? ours !== -1 : ours === -1 || (v8 !== null && ours !== v8)) mismatches.push(`${JSON.stringify(text)}: V8 ${v8}, ours ${ours}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
