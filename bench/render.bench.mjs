/**
 * Requirement (worksheets issue): a 30-student class set of a two-page worksheet, one PDF per
 * student. Baseline: pdflatex on equivalent two-page amsmath worksheets, two at a time, measured
 * on this machine at about 2.3 s for 30 (60 pages: 26 pages/s). Goal: pages per second at least
 * equal to that.
 *
 * Timed end to end as a teacher runs it (`gradsheet render`: the bin, through its `#!` line as
 * npx runs it; browser start included), best of 2:
 * once with `--no-key` (the worksheets and the class set: what the baseline produced) for the
 * goal, and once as a full run (worksheets, class set and the answer key with worked solutions).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STUDENTS = 30;
const BASELINE_PAGES_PER_S = 60 / 2.3;

function pagesOf(file) {
  const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout;
  return Number(/Pages:\s+(\d+)/.exec(info)?.[1] ?? NaN);
}

function timeRender(extra) {
  let best = Infinity, pages = 0;
  for (let run = 0; run < 2; run++) {
    const out = mkdtempSync(join(tmpdir(), 'gradsheet-render-bench-'));
    try {
      const start = performance.now();
      const r = spawnSync(join(root, 'dist', 'cli.js'), ['render', '--bank', 'bench/worksheet-2page.json', '--seed', String(run), '--count', String(STUDENTS), '--out', out, ...extra], { cwd: root, encoding: 'utf8' });
      const seconds = (performance.now() - start) / 1000;
      if (r.status !== 0) throw new Error(`render failed: ${r.stderr.trim()}`);
      const sheets = readdirSync(join(out, 'sheets'));
      if (sheets.length !== STUDENTS) throw new Error(`rendered ${sheets.length} sheets, not ${STUDENTS}`);
      pages = sheets.reduce((n, f) => n + pagesOf(join(out, 'sheets', f)), 0);
      best = Math.min(best, seconds);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  return { best, pages };
}

export default async function renderBench() {
  const sheets = timeRender(['--no-key']);
  const full = timeRender([]);
  const pagesPerSecond = sheets.pages / sheets.best;
  console.log(`  ${STUDENTS} students, ${sheets.pages} pages: ${sheets.best.toFixed(2)} s (${pagesPerSecond.toFixed(1)} pages/s); with the answer key too: ${full.best.toFixed(2)} s; baseline pdflatex ${BASELINE_PAGES_PER_S.toFixed(1)} pages/s (2.3 s for 60 pages)`);
  return { name: `render ${STUDENTS}-student class set`, seconds: sheets.best, seconds_with_key: full.best, pages: sheets.pages, pages_per_s: pagesPerSecond, baseline_pages_per_s: BASELINE_PAGES_PER_S, ratio: pagesPerSecond / BASELINE_PAGES_PER_S, goal: 'ratio >= 1' };
}
