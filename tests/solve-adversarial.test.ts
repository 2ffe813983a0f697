/**
 * Adversarial tests for the fast `gradsheet solve` path (commits "fused kernels" and "parsing an
 * array one instance at a time"):
 *
 * 1. The fused kernels (src/models/fused.ts, reached through solutionJson) held to the engine
 *    (solve() from src/models/solve.ts, the PRINTED keys in order) on shapes and regimes the other
 *    tests do not reach: T = 1, H = 1 with D, K > 1, K > H, D > H, H up to 6, T of 60–100, every
 *    loss spelling, saturated and tiny values, negative zeros, non-zero initial states.
 * 2. The elementwise parse of an array (src/json-array.ts + src/commands/solve.ts) against what
 *    parsing the whole text gives, and its error messages (instance index, line and column).
 * 3. syntaxErrorOffset (src/json-syntax.ts) against V8's JSON.parse.
 * 4. The exit paths of src/commands/output.ts and src/cli.ts: a reader that closes early, a reader
 *    that is slow (a full non-blocking pipe), the #! line, a device that is full.
 *
 * The last tests of some groups pin bugs this review found (each fixed since): an overflow that a
 * fused kernel squashed through tanh, syntax-error positions and wording, deep nesting.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../src/errors.js';
import { arrayElementSpans } from '../src/json-array.js';
import { syntaxErrorOffset } from '../src/json-syntax.js';
import type { Instance, LstmInstance, RnnInstance } from '../src/models/instance.js';
import { PRINTED, solutionJson, solve } from '../src/models/solve.js';
import { CLI, ROOT, gradsheet } from './support/cli.js';
import { randomLstm, randomRnn, rngFor, type Rng, type Shape } from './support/random-instances.js';
import { tempDir } from './support/tmp.js';

/** `text` with 1 to `most` random edits: one of `chars` put in at a random place, over up to `most − 1` characters. */
function edited(text: string, rng: () => number, chars: readonly string[], most: number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)]!;
  for (let k = 1 + Math.floor(rng() * most); k > 0; k--) {
    const at = Math.floor(rng() * (text.length + 1));
    text = text.slice(0, at) + pick(chars) + text.slice(at + Math.floor(rng() * most));
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// 1. fused kernels against the engine
// ---------------------------------------------------------------------------------------------

type Tree = number | Tree[];
type Model = keyof typeof PRINTED;

/** Every number in a JSON-like value mapped through f (keys and strings kept). */
function mapNumbers<T>(v: T, f: (x: number) => number): T {
  if (typeof v === 'number') return f(v) as T;
  if (Array.isArray(v)) return v.map((e) => mapNumbers(e, f)) as T;
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, mapNumbers(e, f)])) as T;
  return v;
}

/** The engine's values for the keys `solve` prints, in PRINTED order (after `model`). */
function engineValues(inst: Instance): Tree[] {
  const solution = solve(inst) as unknown as Record<string, Tree>;
  return PRINTED[inst.model as Model].slice(1).map((k) => solution[k]!);
}

interface Tally { numbers: number; byConditioning: number }

/**
 * Holds the fused output of `inst` to the engine: the same keys in the same order, the same
 * shapes, and every number equal to relative 1e-10.
 *
 * The one absolute floor: when one side is exactly 0 the other may be at most 1e-300 — a product
 * that underflows to zero in one order of operations can come out as a subnormal in the other;
 * anything larger than 1e-300 is far from underflow and must agree relatively. (On the instances
 * below the floor is never actually needed.)
 *
 * `conditioned`: for ill-conditioned instances only (chaotic forward passes, or sums that cancel
 * to far below their terms), a number also passes when its difference is within the engine's own
 * sensitivity: the engine is re-run on two copies of the instance with every input number
 * perturbed by a relative 1e-14 (~45 ulps), and the larger change of that entry is the allowance.
 * The two implementations round differently (fused.ts accumulates U·x and W·s into one running
 * sum where the engine adds them separately; the terms of ∂L/∂h_t are added in another order), so
 * each is a few ulps of its intermediate terms away from exact; a cancelling sum or a chaotic
 * recurrence amplifies that exactly as it amplifies an input perturbation, and 45 ulps leave a
 * margin of ~100. A wrong formula is off by the size of the terms and fails either way.
 */
function expectSameAsEngine(inst: Instance, label: string, options: { conditioned?: boolean; rng?: Rng; printed?: unknown } = {}): Tally {
  const model = inst.model as Model;
  // `printed`: the solution as `gradsheet solve` printed it, parsed; by default solutionJson's
  const fused = (options.printed ?? JSON.parse(solutionJson(inst))) as Record<string, Tree>;
  expect(Object.keys(fused), `${label}: keys`).toEqual(PRINTED[model]);
  expect(fused.model).toBe(model);
  const engine = engineValues(inst);
  const rng = options.rng ?? rngFor(label);
  const perturbed = options.conditioned
    ? [0, 1].map(() => engineValues(mapNumbers(inst, (x) => x * (1 + 1e-14 * (2 * rng() - 1)))))
    : [];
  const failures: string[] = [];
  const tally: Tally = { numbers: 0, byConditioning: 0 };
  const walk = (a: Tree, b: Tree, p: Tree[], path: string): void => {
    if (failures.length >= 8) return;
    if (typeof b === 'number') {
      if (typeof a !== 'number') return void failures.push(`${path}: fused has ${JSON.stringify(a)?.slice(0, 40)}, engine a number`);
      tally.numbers++;
      const d = Math.abs(a - b);
      if (d <= 1e-10 * Math.max(Math.abs(a), Math.abs(b))) return;
      if ((a === 0 || b === 0) && d <= 1e-300) return;
      if (p.length > 0 && d <= Math.max(...p.map((q) => Math.abs((q as number) - b)))) return void tally.byConditioning++;
      return void failures.push(`${path}: fused ${a}, engine ${b} (relative ${(d / Math.max(Math.abs(a), Math.abs(b))).toExponential(2)})`);
    }
    if (!Array.isArray(a) || a.length !== b.length) return void failures.push(`${path}: shape differs (fused ${Array.isArray(a) ? `length ${a.length}` : typeof a}, engine length ${b.length})`);
    for (let i = 0; i < b.length; i++) walk(a[i]!, b[i]!, p.map((q) => (q as Tree[])[i]!), `${path}[${i}]`);
  };
  PRINTED[model].slice(1).forEach((key, k) => walk(fused[key]!, engine[k]!, perturbed.map((q) => q[k]!), `${label}.${key}`));
  expect(failures, label).toEqual([]);
  return tally;
}

const LOSSES = [undefined, 'last', 'sum'] as const;

/** A random instance of the given shape; `loss` undefined leaves the key out altogether. */
function network(rng: Rng, model: 'rnn' | 'lstm', shape: Omit<Shape, 'loss'> & { loss: Shape['loss'] | undefined }, scale = 1): RnnInstance | LstmInstance {
  const inst = (model === 'rnn' ? randomRnn : randomLstm)(rng, { ...shape, loss: shape.loss ?? 'last' }, scale);
  if (shape.loss === undefined) delete inst.loss;
  return inst;
}

describe('fused kernels agree with the engine', () => {
  it('T = 1, for both models and every spelling of the loss (absent, "last", "sum")', () => {
    const rng = rngFor('adv-t1');
    for (const model of ['rnn', 'lstm'] as const) {
      for (const loss of LOSSES) {
        for (const [D, H, K] of [[1, 1, 1], [3, 1, 2], [1, 3, 1], [4, 2, 5], [2, 6, 3]] as const) {
          const inst = network(rng, model, { D, H, K, T: 1, loss });
          expectSameAsEngine(inst, `${model} T=1 D=${D} H=${H} K=${K} loss=${loss}`);
          const out = JSON.parse(solutionJson(inst)) as Record<string, Tree[]>;
          expect((out.dL_dU_by_step ?? out.dL_dWhf_by_step)).toHaveLength(1);
        }
      }
    }
  });

  it('with T = 1 (and with any T) "last" and no loss key print the same text, and "sum" differs from it once T > 1', () => {
    const rng = rngFor('adv-loss-spelling');
    for (const model of ['rnn', 'lstm'] as const) {
      for (const T of [1, 2, 7]) {
        const inst = network(rng, model, { D: 2, H: 3, K: 2, T, loss: 'last' });
        const { loss: _drop, ...absent } = inst;
        expect(solutionJson(absent as Instance)).toBe(solutionJson(inst));
        const summed = solutionJson({ ...inst, loss: 'sum' } as Instance);
        if (T === 1) expect(summed).toBe(solutionJson(inst));
        else expect(summed).not.toBe(solutionJson(inst));
      }
    }
  });

  it('H = 1 with D > 1 or K > 1, K > H and D > H, H up to 6 (76 instances, T ≤ 12)', () => {
    const rng = rngFor('adv-shapes');
    const shapes: [number, number, number][] = [];
    for (const D of [2, 5]) for (const K of [1, 4]) shapes.push([D, 1, K]);
    for (const H of [2, 3]) shapes.push([H + 3, H, H + 2], [1, H, H + 3], [H + 2, H, 1]);
    for (const H of [4, 5, 6]) shapes.push([1, H, 1], [3, H, 2], [H + 1, H, H + 1]);
    let n = 0;
    for (let round = 0; round < 4; round++) {
      for (const [D, H, K] of shapes) {
        const model = n % 2 ? 'lstm' : 'rnn';
        const T = 1 + Math.floor(rng() * 12);
        expectSameAsEngine(network(rng, model, { D, H, K, T, loss: LOSSES[n % 3] }), `shape ${n} ${model} D=${D} H=${H} K=${K} T=${T}`);
        n++;
      }
    }
    expect(n).toBe(76);
  });

  it('long sequences, T = 60–100, contractive and unit-scale weights (vanishing per-step terms compared relatively)', () => {
    const rng = rngFor('adv-long');
    let tiny = 0;
    for (let n = 0; n < 16; n++) {
      const H = 1 + (n % 6), model = n % 2 ? 'lstm' : 'rnn';
      const T = 60 + Math.floor(rng() * 41);
      const inst = network(rng, model, { D: 1 + (n % 3), H, K: 1 + ((n + 1) % 3), T, loss: LOSSES[n % 3] }, n < 8 ? 0.5 / Math.sqrt(H) : 1);
      expectSameAsEngine(inst, `long ${n} ${model} H=${H} T=${T}`);
      const out = JSON.parse(solutionJson(inst)) as Record<string, number[][][]>;
      const first = (out.dL_dU_by_step ?? out.dL_dWhf_by_step)![0]!.flat();
      if (first.some((v) => v !== 0 && Math.abs(v) < 1e-12)) tiny++;
    }
    // the relative comparison really did reach vanishing early-step terms
    expect(tiny).toBeGreaterThan(0);
  });

  it('saturated activations (weights ×200: tanh and σ at exactly ±1, 0, 1) and partly saturated (weights ×20)', () => {
    const rng = rngFor('adv-saturated');
    let exactlySaturated = 0;
    for (let n = 0; n < 12; n++) {
      const model = n % 2 ? 'lstm' : 'rnn';
      const inst = network(rng, model, { D: 2, H: 1 + (n % 4), K: 2, T: 5 + 5 * (n % 4), loss: LOSSES[n % 3] }, n < 8 ? 200 : 20);
      expectSameAsEngine(inst, `saturated ${n} ${model}`);
      const out = JSON.parse(solutionJson(inst)) as Record<string, number[][]>;
      const states = (out.s ?? out.f)!.flat();
      if (states.some((v) => Math.abs(v) === 1 || v === 0)) exactlySaturated++;
    }
    expect(exactlySaturated).toBeGreaterThan(4);
  });

  it('tiny values (every number ×1e-60, ×1e-100, ×1e-150: products reach 1e-300 and underflow to 0) and huge targets (×1e100)', () => {
    const rng = rngFor('adv-tiny');
    for (const [n, factor] of [1e-60, 1e-100, 1e-150, 1e-150, 1e100].entries()) {
      for (const model of ['rnn', 'lstm'] as const) {
        const inst = mapNumbers(network(rng, model, { D: 2, H: 3, K: 2, T: 8, loss: n % 2 ? 'sum' : 'last' }), (x) => x * factor);
        expectSameAsEngine(inst, `scaled ${factor} ${model}`);
      }
    }
  });

  it('negative zeros everywhere they can be (inputs, targets, initial states, biases, some weights)', () => {
    const rng = rngFor('adv-negzero');
    for (const model of ['rnn', 'lstm'] as const) {
      for (const loss of LOSSES) {
        const inst = network(rng, model, { D: 2, H: 3, K: 2, T: 4, loss }) as unknown as Record<string, unknown>;
        for (const key of ['x', 'y', 's0', 'h0', 'c0', 'b', 'bf', 'bi', 'bg', 'bo', 'by', 'c'] as const) {
          if (key in inst && !(model === 'lstm' && key === 'c')) inst[key] = mapNumbers(inst[key], () => -0);
        }
        (inst.V as number[][])[0]![0] = -0;
        const parsed = JSON.parse(JSON.stringify(inst).replace(/(?<![\w.+-])0(?![\d.])/g, '-0')) as Instance;
        expectSameAsEngine(inst as unknown as Instance, `negzero ${model} ${loss}`);
        expectSameAsEngine(parsed, `negzero-text ${model} ${loss}`);
        expect(solutionJson(parsed)).not.toMatch(/-0[,\]]/);
      }
    }
  });

  it('non-zero initial states, including a large c0 and h0 near ±1', () => {
    const rng = rngFor('adv-init');
    for (let n = 0; n < 8; n++) {
      const model = n % 2 ? 'lstm' : 'rnn';
      const inst = network(rng, model, { D: 2, H: 3, K: 2, T: 6, loss: LOSSES[n % 3] }) as unknown as Record<string, number[]>;
      if (model === 'rnn') inst.s0 = [0.99, -0.97, 0.5];
      else {
        inst.h0 = [0.95, -0.99, 0.3];
        inst.c0 = [5, -12, 0.7 * n];
      }
      expectSameAsEngine(inst as unknown as Instance, `init ${n} ${model}`);
    }
  });

  it('a loss at a step that is not counted may be huge: L_1 overflows, the loss is L_T, and both agree', () => {
    const rng = rngFor('adv-uncounted');
    for (const model of ['rnn', 'lstm'] as const) {
      const inst = network(rng, model, { D: 1, H: 2, K: 2, T: 3, loss: 'last' });
      inst.y[0] = [1e200, -1e200];
      expectSameAsEngine(inst, `uncounted ${model}`);
      expect(() => solutionJson({ ...inst, loss: 'sum' } as Instance)).toThrow(/overflows: loss is not a finite number/);
    }
  });

  it('an array mixing rnn, lstm and activations instances, through the CLI, element by element', () => {
    const rng = rngFor('adv-mixed');
    const instances: Instance[] = [];
    for (let n = 0; n < 24; n++) {
      if (n % 4 === 3) instances.push({ model: 'activations', x: [-(n % 5), 0, -0, 1e-300, 40, n / 7] });
      else instances.push(network(rng, n % 2 ? 'lstm' : 'rnn', { D: 1 + (n % 3), H: 1 + (n % 6), K: 1 + (n % 4), T: n % 5 === 0 ? 1 : 2 + n * 3, loss: LOSSES[n % 3] }));
    }
    const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as unknown[];
    expect(printed).toHaveLength(instances.length);
    instances.forEach((inst, n) => expectSameAsEngine(inst, `mixed ${n} ${inst.model}`, { printed: printed[n] }));
  });

  it('ill-conditioned instances (weights ×3–10, T up to 80: chaotic forward passes, exploding gradients) agree within the engine\'s own sensitivity', () => {
    const rng = rngFor('adv-chaos');
    const total: Tally = { numbers: 0, byConditioning: 0 };
    for (let n = 0; n < 12; n++) {
      const model = n % 2 ? 'lstm' : 'rnn';
      const inst = network(rng, model, { D: 1 + (n % 4), H: 1 + (n % 6), K: 1 + (n % 3), T: 20 + Math.floor(rng() * 61), loss: LOSSES[n % 3] }, n < 6 ? 3 : 10);
      const t = expectSameAsEngine(inst, `chaos ${n} ${model}`, { conditioned: true, rng });
      total.numbers += t.numbers;
      total.byConditioning += t.byConditioning;
    }
    // the allowance is the exception: almost every number still agrees to relative 1e-10
    expect(total.byConditioning / total.numbers).toBeLessThan(0.05);
  });

  // Found by review, fixed: a fused kernel summed θ_t = U x + W s + b left to right, reached +∞,
  // and tanh(∞) = 1 hid the overflow (exit 0, s = [[1, 0]]). The engine gets ∞ − ∞ = NaN and
  // reports it; fused.ts now turns a non-finite pre-activation into NaN so that it is reported too.
  it('reports an overflowing pre-activation instead of printing s = tanh(∞) = 1', () => {
    const inst: RnnInstance = {
      model: 'rnn', U: [[1.7e308, 1.7e308], [0, 0]], W: [[1.7e308, 1.7e308], [0, 0]], V: [[1, 0]], b: [0.5, 0], c: [0],
      s0: [-1, -1], x: [[1, 1]], y: [[0]],
    };
    expect(JSON.stringify((solve(inst) as { s: unknown }).s)).toBe('[[null,0]]'); // the engine: NaN, reported
    expect(() => solutionJson(inst)).toThrow(/overflows/);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. the elementwise parse of an array, against the whole text
// ---------------------------------------------------------------------------------------------

const rnnExample = (): RnnInstance => ({
  model: 'rnn', U: [[0.5]], W: [[0.8]], V: [[1.2]], b: [0.1], c: [0], s0: [0], x: [[1], [0.5], [-1]], y: [[0], [0], [0.5]],
});

/** What `solve` should print for an array text: parse it whole, solve each element. */
function expectedForArray(text: string): string {
  const all = JSON.parse(text.replace(/^\uFEFF/, '')) as Instance[];
  return `[${all.map((inst, i) => solutionJson(inst, `$[${i}]`)).join(',\n')}]\n`;
}

/** 1-based line and column of a UTF-16 offset, lines ending at \n (a \r\n counts as one break). */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

describe('solve reads an array one element at a time exactly as the whole text', () => {
  const rng = rngFor('adv-array');
  const lstm = randomLstm(rng, { D: 2, H: 2, K: 1, T: 3, loss: 'sum' });

  it('strings full of brackets, commas, quotes and backslashes; unicode escapes in keys and values; mixed models', () => {
    const extras = ['],[', '}{', '"', '\\', '\\"]', '[{"model":"rnn"}]', ',,,', '\u2028\u2029', '\ud83d\ude00', '\\u005d'];
    const parts: string[] = [];
    extras.forEach((s, n) => {
      const base = JSON.stringify(n % 3 === 0 ? rnnExample() : n % 3 === 1 ? lstm : { model: 'activations', x: [n - 4, 0, 0.5] });
      parts.push(base.replace(/^\{/, `{"note${n}":${JSON.stringify(s)},"\\u006eote${n}b":["${'\\\\'.repeat(n)}",{"]":"["}],`));
    });
    // an escaped key: "\u006dodel" is "model"
    parts.push(JSON.stringify(rnnExample()).replace('"model"', '"\\u006dodel"'));
    // an escaped closing bracket and quote inside a string value
    parts.push(JSON.stringify({ ...rnnExample(), tag: 'a\u005db\u0022c' }).replace('a]b', 'a\\u005db'));
    const text = `[${parts.join(',')}]`;
    expect(arrayElementSpans(text)).toHaveLength(2 * parts.length);
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedForArray(text));
  });

  it('on 20,000 mutated array texts, spans that all parse mean the whole text parses to the same elements, and the converse', () => {
    const r2 = rngFor('adv-spans');
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r2() * a.length)]!;
    const SEEDS = [
      '[{"a":"],[","b":[1,{"c":"\\"}"}]},\r\n {"d":"\\\\"} , [[]], "x\\u005d", -0.5e-3]',
      '[ "[", "]", "{", "}", "\\\\\\"", {"k\\"":[",",":"]} ]',
      '[[1,[2,[3]]],{"":{}},true,false,null,"\ud83d\ude00"]',
    ];
    const CHARS = ['', ' ', '\t', '\r\n', ',', ':', '[', ']', '{', '}', '"', '\\', '\\"', '1', '-', 'e', 'n', '\ufeff', '\u00a0', '\u2028', '\u0000'];
    const problems: string[] = [];
    for (let n = 0; n < 20000 && problems.length < 5; n++) {
      const text = edited(pick(SEEDS), r2, CHARS, 2);
      let whole: unknown, wholeOk = true;
      try {
        whole = JSON.parse(text);
      } catch {
        wholeOk = false;
      }
      const spans = arrayElementSpans(text);
      let parts: unknown[] | null = null;
      if (spans !== null) {
        try {
          parts = Array.from({ length: spans.length / 2 }, (_, i) => JSON.parse(text.slice(spans[2 * i]!, spans[2 * i + 1]!)));
        } catch {
          parts = null;
        }
      }
      if (parts !== null && !(wholeOk && JSON.stringify(parts) === JSON.stringify(whole))) problems.push(`elementwise accepts ${JSON.stringify(text)}`);
      if (wholeOk && Array.isArray(whole) && whole.length > 0 && parts === null) problems.push(`elementwise refuses ${JSON.stringify(text)}`);
    }
    expect(problems).toEqual([]);
  });

  it('a byte order mark, tabs, CRLF line endings and blank lines between and inside elements', () => {
    const body = [rnnExample(), lstm, { model: 'activations', x: [-1, 2] }]
      .map((inst) => JSON.stringify(inst, null, '\t').replace(/\n/g, '\r\n'))
      .join('\r\n ,\r\n\r\n');
    const text = `\uFEFF \t\r\n[\r\n${body}\r\n]\r\n\t `;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedForArray(text));
  });

  it('duplicate keys: the last one wins, as JSON.parse decides for the whole text', () => {
    const good = JSON.stringify(rnnExample());
    // first W invalid, last W valid: accepted, and solved with the last
    const lastWins = good.replace('"W":[[0.8]]', '"W":"oops","W":[[0.3]]');
    // first model lstm, last rnn
    const lastModel = good.replace('"model":"rnn"', '"model":"lstm"').replace(/\}$/, ',"model":"rnn"}');
    const text = `[${lastWins},${lastModel}]`;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedForArray(text));
    expect((JSON.parse(r.stdout) as { dL_dW: number[][] }[])[0]!.dL_dW).toEqual((solve({ ...rnnExample(), W: [[0.3]] }) as { dL_dW: number[][] }).dL_dW);
    // first valid, last invalid: rejected, at the right index
    const bad = gradsheet(['solve', '-'], { input: `[${good},${good.replace('"W":[[0.8]]', '"W":[[0.8]],"W":"oops"')}]` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradsheet solve: Invalid instance 2 of the array: \$\[1\]\.W should be an array, not the string "oops"/);
  });

  it('a deeply nested (valid) value under an extra key is parsed and ignored', () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const text = `[${JSON.stringify(rnnExample()).replace(/\}$/, `,"extra":${deep}}`)}]`;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedForArray(text));
  });

  it('empty arrays in any spacing say the array is empty', () => {
    for (const text of ['[]', '[ ]', '\uFEFF[\r\n]\r\n', '\t[\t]\t']) {
      const r = gradsheet(['solve', '-'], { input: text });
      expect(r.code, JSON.stringify(text)).toBe(2);
      expect(r.stderr.trim()).toBe('gradsheet solve: The input is an empty array; expected at least one instance.');
    }
  });

  it('names the right instance: nested arrays, non-objects, a bad one after good ones, Infinity from 1e999', () => {
    const good = JSON.stringify(rnnExample());
    const cases: [string, RegExp][] = [
      [`[[${good}]]`, /Invalid instance 1 of the array: \$\[0\] should be an object, not an array/],
      ['[1, "a", null]', /Invalid instance 1 of the array: \$\[0\] should be an object, not the number 1/],
      [`[${good}, ${good}, null]`, /Invalid instance 3 of the array: \$\[2\] should be an object, not null/],
      [`[${good},\n${good.replace('"b":[0.1]', '"b":[1e999]')}]`, /Invalid instance 2 of the array: \$\[1\]\.b\[0\] should be a number, not Infinity/],
      [`[${good}, {"model":"transformer"}, ${good.replace('"c":[0]', '"c":[]')}]`, /Invalid instance 2 of the array: \$\[1\]\.model should be/],
    ];
    for (const [text, message] of cases) {
      const r = gradsheet(['solve', '-'], { input: text });
      expect(r.code, text.slice(0, 60)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a syntax error anywhere wins over an invalid instance before it, as for the whole text', () => {
    const good = JSON.stringify(rnnExample());
    const text = `[${good},\n{"model":"transformer"},\n${good},\n${good.replace('"x":', '"x" ')}]`;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const at = text.lastIndexOf('"x" ') + 4;
    expect(r.stderr).toMatch(new RegExp(`^gradsheet solve: standard input is not valid JSON at ${lineColumn(text, at)}: unexpected token '\\['`));
  });

  it('says an instance whose solution overflows, by its index, with exit code 2 and nothing printed', () => {
    const good = JSON.stringify(rnnExample());
    const overflowing = { ...rnnExample(), V: [[1e308]], c: [1e308] } as Instance;
    let message = '';
    try {
      solutionJson(overflowing, '$[2]');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^The instance 3 of the array overflows: \w+ is not a finite number/);
    const text = `[${good}, ${JSON.stringify(lstm)}, ${JSON.stringify(overflowing)}, ${good}]`;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`gradsheet solve: ${message}`);
  });

  it('places syntax errors at the right line and column with CRLF line endings, elements that are blank, and trailing commas', () => {
    const good = JSON.stringify(rnnExample());
    const cases: [string, number][] = [];
    const add = (text: string, at: number) => cases.push([text, at]);
    let t = `[\r\n  ${good},\r\n  ${good},\r\n  x\r\n]`;
    add(t, t.indexOf('x\r\n]'));
    t = `[\r\n  ${good},\r\n  ${good},\r\n]\r\n`;
    add(t, t.lastIndexOf(']'));
    t = `[ \r\n , ${good}]`;
    add(t, t.indexOf(','));
    t = `[${good},\r\n\r\n,${good}]`;
    add(t, t.lastIndexOf(',{'));
    t = `[${good}\r\n${good}]`;
    add(t, t.indexOf('{', 1 + good.length));
    t = `[\r\n${good.replace('[[0.8]]', '[[0.8]]]')}]`;
    add(t, t.indexOf(']]]') + 2);
    for (const [text, at] of cases) {
      const r = gradsheet(['solve', '-'], { input: text });
      expect(r.code).toBe(2);
      expect(r.stderr, JSON.stringify(text.slice(0, 40))).toMatch(new RegExp(`^gradsheet solve: standard input is not valid JSON at ${lineColumn(text, at)}: `));
    }
  });

  // Found by review, fixed: syntaxErrorOffset recursed once per nesting level, so a truncated
  // array 5000 levels deep ended in "internal error: Maximum call stack size exceeded" (exit 70).
  it('reports a deeply nested truncated array as invalid JSON with exit code 2', () => {
    const r = gradsheet(['solve', '-'], { input: '['.repeat(5000) });
    expect(r.stderr.trim()).toBe('gradsheet solve: standard input is not valid JSON: unexpected end of JSON input.');
    expect(r.code).toBe(2);
  });

  // Found by review, fixed: the position was taken from anywhere in V8's message, which for an
  // unexpected token quotes the input — so "position 3" inside a string moved the error there.
  it('takes the error position from V8, not from a "position N" inside the quoted input', () => {
    // short enough for V8 to quote it whole in its message
    const text = '["position 3", x]';
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`gradsheet solve: standard input is not valid JSON at ${lineColumn(text, text.indexOf('x]'))}: unexpected token 'x'.`);
  });

  // Found by review, fixed: V8's excerpt (`..."…"...` for a longer text, keeping its line breaks)
  // stayed in the reason.
  it('words an unexpected token in a long text without V8\'s excerpt, on one line', () => {
    const good = JSON.stringify(rnnExample(), null, 1);
    const text = `[${good},\n${good},\n x,\n${good}]`;
    const r = gradsheet(['solve', '-'], { input: text });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`gradsheet solve: standard input is not valid JSON at ${lineColumn(text, text.indexOf(' x,') + 1)}: unexpected token 'x'.`);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. syntaxErrorOffset against V8
// ---------------------------------------------------------------------------------------------

describe('syntaxErrorOffset agrees with V8', () => {
  const SEEDS = [
    '{"model":"rnn","U":[[0.5,-1e-3]],"x":[[1],[2.5E+2]],"loss":"sum"}',
    '{"s":"\\ud83d\\ude00 \\/ \\b\\f\\r\\t","n":[0,-0,0.0e0,1E-5,-12.5e+3],"e":{},"t":[true,false,null]}\r\n',
    '[\r\n  {"x": [[1e308], [-1.5E-300]]},\r\n  "\u2028 \u00e9 😀",\r\n  [[[]]]\r\n]',
  ];
  const CHARS = ['', ' ', ',', ':', '[', ']', '{', '}', '"', '\\', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'f', 'n', 'u', 'x', 'a', 'F',
    '\n', '\r', '\t', '\u0001', '\u001f', '\u007f', '\u00a0', '\u2028', '\ufeff', '😀', '\ud800', '/', "'", 'true', 'null', '\\u', '\\u00',
    '"\\', '[]', '{}', '1.', '-0', '00', '1e+'];

  it('on 20,000 texts with one to three edits: valid exactly when V8 says so, at V8\'s position, or at the token V8 names', () => {
    const rng = rngFor('adv-syntax');
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)]!;
    const mismatches: string[] = [];
    for (let n = 0; n < 20000 && mismatches.length < 10; n++) {
      let text = edited(pick(SEEDS), rng, CHARS, 3);
      if (rng() < 0.1) text = text.slice(0, Math.floor(rng() * text.length));
      const ours = syntaxErrorOffset(text);
      let message: string | null = null;
      try {
        JSON.parse(text);
      } catch (e) {
        message = (e as Error).message;
      }
      const ok = ((): boolean => {
        if (message === null) return ours === -1;
        const pos = / (?:in|after) JSON at position (\d+)$/.exec(message);
        if (pos) return ours === Number(pos[1]);
        if (/^Unexpected end of JSON input/.test(message)) return ours === text.length;
        const token = /^Unexpected token '([\s\S]*?)', /.exec(message);
        return token !== null && text.slice(ours, ours + token[1]!.length) === token[1];
      })();
      if (!ok) mismatches.push(`${JSON.stringify(text)}: V8 "${message}", ours ${ours}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('places the error in texts V8 names no position for', () => {
    expect(syntaxErrorOffset('[1,]')).toBe(3);
    expect(syntaxErrorOffset('[1,\r\n2,\r\n]')).toBe(9);
    expect(syntaxErrorOffset('{"a":1,"b":[tru]}')).toBe(15);
    expect(syntaxErrorOffset('\ufeff[1]')).toBe(0);
    expect(syntaxErrorOffset('[' + '1,'.repeat(1000) + ']')).toBe(2001);
  });

  // Found by review, fixed: recursion per nesting level (see the CLI test above).
  it('handles nesting as deep as V8 does', () => {
    expect(syntaxErrorOffset('['.repeat(100000))).toBe(100000);
    expect(syntaxErrorOffset('{"a":'.repeat(50000) + '}')).toBe(250000);
  });

  it('parseJsonText names line and column for CRLF texts', () => {
    const text = '{\r\n  "a": 1,\r\n  "b" 2\r\n}';
    expect(() => parseJsonText(text, 'f.json')).toThrow(`f.json is not valid JSON at line 3, column 7: unexpected number.`);
    const text2 = '[\r\n1,\r\n]';
    expect(() => parseJsonText(text2, 'f.json')).toThrow(`f.json is not valid JSON at line 3, column 1: unexpected token ']'.`);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. exit paths: output.ts and cli.ts
// ---------------------------------------------------------------------------------------------

describe('solve\'s output and exit', () => {
  const dir = tempDir('gradsheet-adversarial-');
  const rng = rngFor('adv-exit');
  const instances = Array.from({ length: 160 }, (_, n) => (n % 2 ? randomLstm : randomRnn)(rng, { D: 2, H: 4, K: 2, T: 30, loss: 'sum' }));
  const file = join(dir, 'batch.json');
  writeFileSync(file, JSON.stringify(instances));
  const expected = `[${instances.map((inst, i) => solutionJson(inst, `$[${i}]`)).join(',\n')}]\n`;

  /** Runs solve on the batch with stdout a pipe read by `consume`; resolves with the exit code and stderr. */
  const run = (consume: (stdout: NodeJS.ReadableStream, done: (text: string) => void) => void) =>
    new Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'solve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '', stdout = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      consume(child.stdout, (text) => (stdout = text));
      child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
    });

  it('writes every byte through a full pipe to a slow reader (the non-blocking pipe\'s EAGAIN)', async () => {
    expect(expected.length).toBeGreaterThan(1 << 20);
    const r = await run((stdout, done) => {
      const chunks: Buffer[] = [];
      stdout.pause();
      // read nothing for a while, so the pipe fills and writeSync meets EAGAIN, then read slowly
      setTimeout(() => {
        stdout.on('data', (c: Buffer) => {
          chunks.push(c);
          stdout.pause();
          setTimeout(() => stdout.resume(), 1);
        });
        stdout.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
        stdout.resume();
      }, 300);
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('exits 0 without a word when the reader closes the pipe after the first chunk', async () => {
    const r = await run((stdout) => {
      stdout.once('data', () => (stdout as unknown as { destroy(): void }).destroy());
    });
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it('runs through its #! line (env -S node --max-semi-space-size=2)', () => {
    if (!existsSync('/usr/bin/env')) return;
    const r = spawnSync(CLI, ['solve', 'examples/rnn-t3.json'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${solutionJson(rnnExample())}\n`);
  });

  it('fails on a full device with a one-line message and a non-zero exit code, not a stack', () => {
    if (!existsSync('/dev/full')) return;
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" solve "${file}" > /dev/full`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ENOSPC/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim()).toBe('gradsheet solve: Standard output cannot be written: no space left on device (ENOSPC).');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a closed standard output is not an error (Node opens /dev/null in its place)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" solve examples/rnn-t3.json >&-`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
