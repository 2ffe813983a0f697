/**
 * Checks that the benchmark's PyTorch baseline (bench/torch_solve.py) computes the same numbers
 * as `gradsheet solve`, so the timing in solve.bench.mjs compares like with like.
 *
 *   node bench/check-torch-agrees.mjs [N=50] [SEED=2]      (build first: node scripts/build.mjs)
 *   GRADSHEET_BENCH_PYTHON=... picks another interpreter with torch (default /usr/bin/python3)
 *
 * Every key the torch output has is compared entry by entry with the plain relative difference
 *   |a − b| / max(|a|, |b|)     (0 when a === b, so exact zeros such as off-diagonals agree)
 * with no absolute floor: vanishing per-step terms (1e-11 and smaller at early steps of T = 20)
 * must agree relatively too. They are the worst case, since the two implementations sum their
 * paths in different orders: ~1e-11 on the 4000 benchmark instances, ~1e-13 on typical entries.
 * Prints the maximum and where it occurs; exits 1 if it exceeds 1e-9.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInstances } from './make-instances.mjs';

const TOLERANCE = 1e-9;
const PYTHON = process.env.GRADSHEET_BENCH_PYTHON ?? '/usr/bin/python3'; // the one with python3-torch
const root = fileURLToPath(new URL('..', import.meta.url));

/** Walks two JSON values in step, calling `visit(a, b, path)` on each pair of numbers. */
function walk(a, b, path, visit) {
  if (typeof a === 'number' || typeof b === 'number') return visit(a, b, path);
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`, visit));
    return;
  }
  if (typeof a === 'string' && a === b) return;
  throw new Error(`shapes differ at ${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`);
}

export function compare(gradsheet, torch) {
  let worst = { rel: 0, path: '(none)', a: 0, b: 0 };
  let count = 0;
  if (gradsheet.length !== torch.length) throw new Error(`gradsheet gave ${gradsheet.length} solutions, torch ${torch.length}`);
  torch.forEach((t, n) => {
    for (const [key, value] of Object.entries(t)) {
      // torch also gives the per-step losses, which gradsheet prints only with --all
      if (key === 'losses' && !(key in gradsheet[n])) continue;
      if (!(key in gradsheet[n])) throw new Error(`gradsheet's solution ${n} lacks ${key}`);
      walk(gradsheet[n][key], value, `$[${n}].${key}`, (a, b, path) => {
        if (typeof a !== 'number' || typeof b !== 'number') throw new Error(`not both numbers at ${path}`);
        // equal numbers (exact zeros included) agree; a NaN anywhere counts as total disagreement
        const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
        count++;
        if (Number.isNaN(rel) || rel > worst.rel) worst = { rel: Number.isNaN(rel) ? Infinity : rel, path, a, b };
      });
    }
  });
  return { ...worst, count };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 50), seed = Number(process.argv[3] ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-check-'));
  try {
    const file = join(dir, 'instances.json');
    writeInstances(file, n, seed);
    const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8' }));
    const torch = run(PYTHON, ['bench/torch_solve.py', file]);
    // the default output (the fused kernels) and --all (the autodiff engine)
    for (const flags of [[], ['--all']]) {
      const gradsheet = run(process.execPath, ['dist/cli.js', 'solve', ...flags, file]);
      const worst = compare(gradsheet, torch);
      console.log(`gradsheet solve ${[...flags, ''].join(' ')}: ${n} instances (seed ${seed}), ${worst.count} numbers compared`);
      console.log(`  max relative difference ${worst.rel.toExponential(3)} at ${worst.path} (gradsheet ${worst.a}, torch ${worst.b})`);
      if (!(worst.rel <= TOLERANCE)) {
        console.log(`  FAIL: above the tolerance ${TOLERANCE}`);
        process.exitCode = 1;
      } else {
        console.log(`  ok (tolerance ${TOLERANCE})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
