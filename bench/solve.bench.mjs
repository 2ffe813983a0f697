/**
 * Requirement: solving 4000 mixed instances end to end (process start included) must be at least
 * 10× faster than PyTorch eager autograd computing the same quantities in float64.
 *
 * Both sides are timed as a user would run them — a fresh process reading the instance file and
 * writing every solution to a file — so start-up (Node + bundle, Python + `import torch`), JSON
 * parsing and serialisation all count. gradsheet runs as its bin (dist/cli.js through its
 * `#!` line, with the Node options it sets there), as `npx gradsheet` runs it. Best of several runs, to measure the code rather than
 * scheduler noise. bench/check-torch-agrees.mjs verifies that the two compute the same numbers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInstances } from './make-instances.mjs';

const N = 4000;
const SEED = 1;
// This VM's speed drifts by a third from minute to minute, so the two sides are timed in turns —
// three rounds of three gradsheet runs and one torch run — and each side's best counts.
const ROUNDS = 3;
const GRADSHEET_PER_ROUND = 3;
// Debian's python3-torch lives in the system interpreter, not in whatever `python3` is on PATH.
const PYTHON = process.env.GRADSHEET_BENCH_PYTHON ?? '/usr/bin/python3';
const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `cmd args > out` once; resolves to wall-clock seconds from spawn to exit. */
function timeOnce(cmd, args, out) {
  return new Promise((resolve, reject) => {
    const fd = openSync(out, 'w');
    const stderr = [];
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', fd, 'pipe'] });
    child.stderr.on('data', (d) => stderr.push(d));
    child.on('error', (e) => { closeSync(fd); reject(e); });
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      closeSync(fd);
      if (code === 0) resolve(seconds);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${Buffer.concat(stderr).toString().trim()}`));
    });
  });
}

const best = (times) => Math.min(...times);

/** A timing only counts if the run produced a solution for every instance. */
function expectSolutions(out, who) {
  const solutions = JSON.parse(readFileSync(out, 'utf8'));
  if (!Array.isArray(solutions) || solutions.length !== N) throw new Error(`${who} did not print ${N} solutions`);
}

const fmt = (times) => times.map((t) => t.toFixed(2)).join(', ');

export default async function solveBench() {
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-bench-'));
  try {
    const file = join(dir, 'instances.json');
    writeInstances(file, N, SEED);

    const gsOut = join(dir, 'gradsheet.json'), torchOut = join(dir, 'torch.json');
    const gradsheet = () => timeOnce(join(root, 'dist', 'cli.js'), ['solve', file], gsOut);
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    const torchMissing = probe.status !== 0 ? (probe.error?.message ?? probe.stderr).trim().split('\n').pop() : null;
    const gsTimes = [], torchTimes = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let r = 0; r < GRADSHEET_PER_ROUND; r++) gsTimes.push(await gradsheet());
      if (torchMissing === null) torchTimes.push(await timeOnce(PYTHON, ['bench/torch_solve.py', file], torchOut));
    }
    expectSolutions(gsOut, 'gradsheet');
    const gsBest = best(gsTimes);
    console.log(`  gradsheet solve: best ${gsBest.toFixed(2)} s of ${gsTimes.length} (${fmt(gsTimes)})`);
    if (torchMissing !== null) {
      console.log(`  torch baseline SKIPPED: ${PYTHON} cannot import torch (${torchMissing}); install python3-torch`);
      return { name: 'solve 4000 mixed instances', gradsheet_s: gsBest, torch_s: null, ratio: null, goal: 'ratio >= 10' };
    }
    expectSolutions(torchOut, 'torch_solve.py');
    const torchBest = best(torchTimes);
    console.log(`  torch eager:     best ${torchBest.toFixed(2)} s of ${torchTimes.length} (${fmt(torchTimes)})`);

    const ratio = torchBest / gsBest;
    console.log(`  ratio torch/gradsheet: ${ratio.toFixed(2)}× (goal ≥ 10×)`);
    return { name: 'solve 4000 mixed instances', gradsheet_s: gsBest, torch_s: torchBest, ratio, goal: 'ratio >= 10' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
