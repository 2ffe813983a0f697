import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solveRnn, solveToJson, type RnnInstance } from '../src/index.js';
import { CLI, gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';
import { randomLstm, randomRnn, randomShape, rngFor } from './support/random-instances.js';

const example = JSON.parse(readFileSync('examples/rnn-t3.json', 'utf8')) as RnnInstance;

const RNN_KEYS = ['s', 'o', 'loss', 'dL_dU', 'dL_dW', 'dL_dV', 'dL_db', 'dL_dc', 'dL_dU_by_step', 'ds_ds_prev'];
const LSTM_KEYS = ['f', 'i', 'g', 'o', 'c', 'h', 'yhat', 'loss', 'dL_dWxf', 'dL_dWxi', 'dL_dWxg', 'dL_dWxo', 'dL_dWhf', 'dL_dWhi', 'dL_dWhg', 'dL_dWho',
  'dL_dbf', 'dL_dbi', 'dL_dbg', 'dL_dbo', 'dL_dV', 'dL_dby', 'dL_dWhf_by_step', 'dc_dc_prev_direct', 'dc_dc_prev'];

describe('gradsheet solve', () => {
  it('prints one solution object with every key of docs/math.md §4.5 for one RNN instance', () => {
    const r = gradsheet(['solve', 'examples/rnn-t3.json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const key of RNN_KEYS) expect(out).toHaveProperty(key);
    expect(out.dL_dU_by_step).toHaveLength(3);
  });

  it('prints full double precision, identical to the library', () => {
    const out = JSON.parse(gradsheet(['solve', 'examples/rnn-t3.json']).stdout) as Record<string, unknown>;
    const library = solveRnn(example) as unknown as Record<string, unknown>;
    for (const key of RNN_KEYS) expect(out[key], key).toEqual(library[key]);
  });

  it('prints everything the solver knows with --all', () => {
    const out = JSON.parse(gradsheet(['solve', '--all', 'examples/rnn-t3.json']).stdout);
    expect(out).toEqual(JSON.parse(JSON.stringify(solveRnn(example))));
    expect(out).toHaveProperty('dL_dW_by_step');
    expect(out).toHaveProperty('theta');
  });

  it('solves a batch of 600 with the same output as one instance at a time, in order', () => {
    const rng = rngFor('cli-batch');
    const instances = Array.from({ length: 600 }, (_, n) => (n % 2 ? randomLstm : randomRnn)(rng, randomShape(rng, n % 3 === 0, 6)));
    const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
    expect(r.code).toBe(0);
    const expected = instances.map((inst) => JSON.parse(solveToJson(inst)));
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('names the first bad instance of a large batch and prints nothing', () => {
    const rng = rngFor('cli-batch-bad');
    const instances: unknown[] = Array.from({ length: 600 }, () => randomRnn(rng, randomShape(rng, false, 4)));
    instances[450] = { ...(instances[450] as object), W: 'oops' };
    instances[520] = { model: 'transformer' };
    const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/instance 451 of the array: \$\[450\]\.W should be an array, not the string "oops"/);
  });

  it('reads an array of instances from standard input and answers in the same order', () => {
    const rng = rngFor('cli-array');
    const instances = Array.from({ length: 10 }, (_, n) => (n % 2 ? randomLstm : randomRnn)(rng, randomShape(rng, n % 3 === 0, 50)));
    instances.push({ ...randomRnn(rng, { D: 2, H: 3, K: 2, T: 50, loss: 'sum' }) });
    const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out).toHaveLength(instances.length);
    out.forEach((sol, n) => {
      expect(sol.model).toBe(instances[n]!.model);
      for (const key of sol.model === 'rnn' ? RNN_KEYS : LSTM_KEYS) expect(sol, `instance ${n} key ${key}`).toHaveProperty(key);
      expect((sol.dc_dc_prev ?? sol.ds_ds_prev) as unknown[]).toHaveLength(instances[n]!.x.length);
    });
  });

  const bad: [string, unknown, RegExp, number?][] = [
    ['a missing field', { ...example, V: undefined }, /\$\.V is missing \(expected an array\)/],
    ['a wrong shape', { ...example, W: [[0.8, 0.1]] }, /\$\.W\[0\] should have 1 column \(H, W is square\), not 2/],
    ['an H×D mismatch between U and x', { ...example, x: [[1, 2], [0.5, 1], [-1, 0]] }, /\$\.U\[0\] should have 2 columns \(D, the length of each x_t\), not 1/],
    ['a non-number', { ...example, b: ['0.1'] }, /\$\.b\[0\] should be a number, not the string "0\.1"/],
    ['T = 0', { ...example, x: [], y: [] }, /2 problems:\n\$\.x should have at least 1 entry\.\n\$\.y should have at least 1 entry\./, 3],
    ['an unknown model', { ...example, model: 'transformer' }, /\$\.model should be "rnn" or "lstm" or "gru" or "activations", not the string "transformer"/],
    ['a target sequence of the wrong length', { ...example, y: [[0]] }, /\$\.y should have one target per time step, 3/],
    ['an unknown loss', { ...example, loss: 'mean' }, /\$\.loss should be "last" or "sum", not the string "mean"/],
  ];

  for (const [what, instance, message, lines = 1] of bad) {
    it(`rejects ${what} with one sentence naming the JSON path, exit code 2 and no stack trace`, () => {
      const r = gradsheet(['solve', '-'], { input: JSON.stringify(instance) });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.trim().split('\n')).toHaveLength(lines);
    });
  }

  it('says which instance of an array is bad', () => {
    const r = gradsheet(['solve', '-'], { input: JSON.stringify([example, example, { ...example, c: [] }]) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/instance 3 of the array: \$\[2\]\.c should have at least 1 entry/);
  });

  it('reports text that is not JSON with its line and column', () => {
    const r = gradsheet(['solve', '-'], { input: '{\n  "model": "rnn",\n  "U": [[1]]\n  "W": [[1]]\n}' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/standard input is not valid JSON at line 4, column 3/);
  });

  it('reports a missing file in one sentence', () => {
    const r = gradsheet(['solve', 'no-such-file.json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('gradsheet solve: no-such-file.json does not exist.');
  });

  it('reports an instance whose numbers overflow instead of printing nulls', () => {
    const r = gradsheet(['solve', '-'], { input: JSON.stringify({ ...example, V: [[1e308]], c: [1e308] }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/overflows/);
  });

  describe('large batches (the fused kernels, printed through one reused buffer)', () => {
    const dir = tempDir('gradsheet-solve-');
    const rng = rngFor('cli-threaded');
    const mixed = (n: number): unknown[] => Array.from({ length: n }, (_, k) => {
      if (k % 50 === 7) return { model: 'activations', x: [k / 10 - 2, 0, 1.5] };
      return (k % 2 ? randomLstm : randomRnn)(rng, randomShape(rng, k % 3 !== 0, 25));
    });
    /** What one-instance-at-a-time solving prints, joined the way `solve` prints an array. */
    const oneByOne = (instances: unknown[]): string => `[${instances.map((inst) => solveToJson(inst)).join(',\n')}]\n`;

    it('prints a large file byte for byte as one instance at a time would', () => {
      const instances = mixed(700);
      const file = join(dir, 'large.json');
      writeFileSync(file, JSON.stringify(instances));
      expect(statSync(file).size).toBeGreaterThan(1 << 20); // more than one buffer of output
      const r = gradsheet(['solve', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(oneByOne(instances));
    });

    it('prints a solution larger than the output buffer, in its place', () => {
      const instances = mixed(300);
      // an LSTM with H = 8, T = 200: three sequences of 8×8 matrices alone are 38,400 numbers, ~700 kB
      // of JSON, which with more than a third of a megabyte is written past the buffer
      instances.splice(150, 0, randomLstm(rng, { D: 2, H: 8, K: 2, T: 200, loss: 'sum' }));
      const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(oneByOne(instances));
    });

    it('names the instance that overflows in a large batch, with exit code 2', () => {
      const instances = mixed(600);
      instances[451] = { ...example, V: [[1e308]], c: [1e308] };
      const r = gradsheet(['solve', '-'], { input: JSON.stringify(instances) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^gradsheet solve: The instance 452 of the array overflows: (o|loss|dL_d\w+) is not a finite number/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('stops quietly when the reader closes the pipe early', () => {
      const file = join(dir, 'for-head.json');
      writeFileSync(file, JSON.stringify(mixed(800)));
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" solve "${file}" | head -c 100 > /dev/null`], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it('reports a syntax error deep in a large array at its line and column in the whole text', () => {
      const instances = mixed(400).map((inst) => JSON.stringify(inst));
      const text = `\uFEFF[\n${instances.slice(0, 300).join(',\n')},\n${instances[300]!.replace('"x":', '"x"')},\n${instances.slice(301).join(',\n')}\n]\n`;
      const r = gradsheet(['solve', '-'], { input: text });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^gradsheet solve: standard input is not valid JSON at line 302, column \d+: /);
    });

    it('reads an array that starts with a byte order mark, and says an empty array is empty', () => {
      const instances = mixed(5);
      expect(gradsheet(['solve', '-'], { input: `\uFEFF${JSON.stringify(instances)}` }).stdout).toBe(oneByOne(instances));
      const r = gradsheet(['solve', '-'], { input: ' [ ] ' });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('gradsheet solve: The input is an empty array; expected at least one instance.');
    });

    it('prints --all for a large batch as one instance at a time would', () => {
      const instances = mixed(300);
      const r = gradsheet(['solve', '--all', '-'], { input: JSON.stringify(instances) });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`[${instances.map((inst) => solveToJson(inst, '$', { all: true })).join(',\n')}]\n`);
    });
  });
});

describe('GRADSHEET_DEBUG', () => {
  it('prints a timeline on standard error (time, CPU time, page faults, in order), and nothing without it', () => {
    const input = readFileSync(join('examples', 'rnn-t3.json'), 'utf8');
    const quiet = gradsheet(['solve', '-'], { input });
    expect(quiet.stderr).toBe('');
    const r = gradsheet(['solve', '-'], { input, env: { GRADSHEET_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(quiet.stdout);
    const lines = r.stderr.trim().split('\n').map((l) => /^\[(\d+\.\d{3}) s, cpu (\d+\.\d{3}) s, (\d+) page faults\] (.+)$/.exec(l));
    expect(lines.every(Boolean), r.stderr).toBe(true);
    expect(lines.map((m) => m![4])).toEqual(expect.arrayContaining(['input read', 'solutions written']));
    for (let i = 1; i < lines.length; i++) {
      for (const field of [1, 2, 3]) expect(Number(lines[i]![field])).toBeGreaterThanOrEqual(Number(lines[i - 1]![field]));
    }
  });
});
