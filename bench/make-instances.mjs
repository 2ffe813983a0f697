/**
 * Deterministic mixed RNN/LSTM instances (the contract of docs/math.md §4) for benchmarks and
 * cross-checks: the same (n, seed) always gives byte-identical JSON, so timings and agreement
 * checks are reproducible across machines and runs.
 *
 *   node bench/make-instances.mjs OUT.json [N] [SEED]
 *
 * The mix covers what `solve` meets in practice: both models, a third of them scalar (the notes'
 * hand-worked case), the rest vector with H ≤ 4, D ≤ 3, K ≤ 2; T from 1 to 20 (the notes go up
 * to t = 20 to show vanishing gradients); both loss kinds. Every number is uniform in [−1, 1].
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';

const LSTM_KEYS = ['Wxf', 'Wxi', 'Wxg', 'Wxo', 'Whf', 'Whi', 'Whg', 'Who'];
const LSTM_BIASES = ['bf', 'bi', 'bg', 'bo'];

/** Returns `n` instances drawn from a generator seeded with `seed`. */
export function makeInstances(n = 4000, seed = 1) {
  const rng = seedrandom(`gradsheet-bench-${seed}`);
  const uniform = () => 2 * rng() - 1;
  const int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
  const vec = (len) => Array.from({ length: len }, uniform);
  const mat = (rows, cols) => Array.from({ length: rows }, () => vec(cols));
  const seq = (T, len) => Array.from({ length: T }, () => vec(len));

  const instances = [];
  for (let k = 0; k < n; k++) {
    const model = rng() < 0.5 ? 'rnn' : 'lstm';
    const scalar = rng() < 1 / 3;
    const H = scalar ? 1 : int(1, 4), D = scalar ? 1 : int(1, 3), K = scalar ? 1 : int(1, 2);
    const T = int(1, 20);
    const loss = rng() < 0.5 ? 'last' : 'sum';
    if (model === 'rnn') {
      instances.push({
        model, U: mat(H, D), W: mat(H, H), V: mat(K, H), b: vec(H), c: vec(K), s0: vec(H),
        x: seq(T, D), y: seq(T, K), loss,
      });
    } else {
      const inst = { model };
      for (const w of LSTM_KEYS) inst[w] = mat(H, w.startsWith('Wx') ? D : H);
      for (const b of LSTM_BIASES) inst[b] = vec(H);
      Object.assign(inst, { V: mat(K, H), by: vec(K), h0: vec(H), c0: vec(H), x: seq(T, D), y: seq(T, K), loss });
      instances.push(inst);
    }
  }
  return instances;
}

/** Writes `makeInstances(n, seed)` to `path` as a JSON array. */
export function writeInstances(path, n = 4000, seed = 1) {
  writeFileSync(path, JSON.stringify(makeInstances(n, seed)) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, n = '4000', seed = '1'] = process.argv.slice(2);
  if (!out || !/^\d+$/.test(n) || !/^\d+$/.test(seed)) {
    process.stderr.write('Usage: node bench/make-instances.mjs OUT.json [N=4000] [SEED=1]\n');
    process.exit(2);
  }
  writeInstances(out, Number(n), Number(seed));
}
