/**
 * `npm run bench`: runs every bench/*.bench.mjs in name order and summarises them.
 *
 *   node bench/run.mjs [FILTER] [--strict]
 *
 * FILTER keeps the files whose name contains it. Each file's default export is an async function
 * returning a result object with at least `name`, and optionally `goal`, a condition on one of
 * its own numeric fields ("ratio >= 10"), which is checked here so every benchmark reports
 * met / NOT MET the same way. Results go to .bench/results.json (gitignored: they describe one
 * machine). Exit code 1 if a benchmark throws, or with --strict if a goal is not met.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const root = join(benchDir, '..');

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const filter = args.find((a) => !a.startsWith('--')) ?? '';

const OPS = { '>=': (a, b) => a >= b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '<': (a, b) => a < b };

/** 'met', 'NOT MET', 'skipped' (the field is null: the benchmark could not measure it) or '-'. */
function goalStatus(result) {
  const m = /^\s*(\w+)\s*(>=|<=|>|<)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/.exec(result.goal ?? '');
  if (!m) return result.goal ? `? (cannot read goal "${result.goal}")` : '-';
  const value = result[m[1]];
  if (value === null || value === undefined) return 'skipped';
  return OPS[m[2]](value, Number(m[3])) ? 'met' : 'NOT MET';
}

/** The result's numbers, for the summary line: "gradsheet_s=5.01 torch_s=8.52 ratio=1.70". */
function metrics(result) {
  return Object.entries(result)
    .filter(([k, v]) => !['name', 'goal', 'elapsed_s'].includes(k) && (typeof v === 'number' || v === null))
    .map(([k, v]) => `${k}=${v === null ? '-' : Number(v.toPrecision(3))}`)
    .join(' ');
}

const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.mjs') && f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`No bench/*.bench.mjs file matches "${filter}".`);
  process.exit(1);
}

const results = [];
let failed = false;
for (const file of files) {
  console.log(`${file}`);
  const started = Date.now();
  try {
    const { default: bench } = await import(pathToFileURL(join(benchDir, file)).href);
    const result = await bench();
    results.push({ file, ...result, status: goalStatus(result), elapsed_s: (Date.now() - started) / 1000 });
  } catch (e) {
    failed = true;
    console.error(`  FAILED: ${e instanceof Error ? e.message : String(e)}`);
    results.push({ file, name: file, status: 'error', error: String(e instanceof Error ? e.message : e) });
  }
}

console.log('\nSummary');
const rows = results.map((r) => [r.name, r.goal ?? '-', r.status, r.error ?? metrics(r)]);
const header = ['benchmark', 'goal', 'status', 'measured'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows]) {
  console.log(row.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd());
}

mkdirSync(join(root, '.bench'), { recursive: true });
const record = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
  results,
};
writeFileSync(join(root, '.bench', 'results.json'), JSON.stringify(record, null, 2) + '\n');
console.log('\nWrote .bench/results.json');

if (failed || (strict && results.some((r) => r.status === 'NOT MET'))) process.exitCode = 1;
