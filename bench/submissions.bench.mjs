/**
 * Recorded submissions per second: `gradsheet serve --bank midterm --seed S` with a store, 50
 * concurrent clients on loopback (keep-alive) posting realistic filled worksheets to
 * POST /api/v1/submissions, each answered 201 only after its commit. Goal: 1,000 a second on the
 * embedded default (SQLite in a data folder), p99 ≤ 50 ms. PostgreSQL too when
 * GRADSHEET_BENCH_POSTGRES is a postgres:// URL (else a throwaway server is started here, scripts/postgres.mjs).
 *
 * Warm-up first (not counted: one submission of each worksheet, then load for a few seconds), then a measured window; at the end the stored submissions of the
 * bench's worksheets are counted through the teacher's listing and must equal the 201s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { timedPost } from './timed-post.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../scripts/postgres.mjs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CONCURRENCY = 50, WORKSHEETS = 50, WARMUP_S = 3, MEASURE_S = 8;
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;

/** Filled midterm submissions: most answers right, some off by a little or a lot, some blank. */
function makeBodies(dir, seed) {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'generate', '--bank', 'midterm', '--seed', seed, '--count', String(WORKSHEETS), '--out', dir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
  const key = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8'));
  const answerOf = new Map(key.variants.flatMap((v) => v.questions.flatMap((q) => q.parts.map((p) => [`${v.code} ${p.id}`, p.answer]))));
  let state = 1;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  const off = (x, f) => (typeof x === 'number' ? x * f : Array.isArray(x) ? x.map((y) => off(y, f)) : x);
  const bodies = [];
  for (const file of readdirSync(join(dir, 'submissions'))) {
    const blank = JSON.parse(readFileSync(join(dir, 'submissions', file), 'utf8'));
    for (let k = 0; k < 2; k++) {
      const answers = Object.fromEntries(Object.keys(blank.answers).map((id) => {
        const exact = answerOf.get(`${blank.worksheet} ${id}`);
        const u = random();
        if (u < 0.1) return [id, null];
        if (u < 0.2) return [id, off(exact, 1.003)];
        if (u < 0.3) return [id, off(exact, -2)];
        // a number as a student would type it, to the sheet's digits
        return [id, typeof exact === 'number' ? Number(exact.toPrecision(4)) : exact];
      }));
      bodies.push(JSON.stringify({ ...blank, answers }));
    }
  }
  return bodies;
}

function startServer(args, label) {
  // GRADSHEET_BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (where its time goes)
  const prof = process.env.GRADSHEET_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.GRADSHEET_BENCH_CPU_PROF, '--cpu-prof-name', `serve-${label}.cpuprofile`] : [];
  const server = spawn(process.execPath, [...prof, 'dist/cli.js', 'serve', ...args, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  server.stderr.on('data', (d) => { err += d; });
  const port = new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => { out += d; const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out); if (m) resolve(Number(m[1])); });
    server.on('exit', (c) => reject(new Error(`server exited with ${c}: ${err}`)));
    setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000);
  });
  return { server, port };
}

/** 50 clients post for `seconds`; the latencies of the 201s, and the count of anything else. */
async function load(port, bodies, seconds, rounds = Infinity) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = async (body) => {
    const r = await timedPost(agent, port, '/api/v1/submissions', body);
    return { created: r.status === 201, ms: r.ms };
  };
  const latencies = [];
  let errors = 0, next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length * rounds && (rounds !== Infinity || performance.now() - started < seconds * 1000)) {
      const r = await post(bodies[next++ % bodies.length]);
      if (r.created) latencies.push(r.ms);
      else errors++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] : null);
  return { created: latencies.length, errors, per_s: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** How many submissions of these worksheets the store holds (the teacher's listing, paged). */
async function storedCount(port, worksheets) {
  let count = 0;
  let path = '/api/v1/submissions?limit=1000&format=jsonl';
  while (path) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.status !== 200) throw new Error(`listing answered ${res.status}`);
    for (const line of (await res.text()).split('\n')) if (line && worksheets.has(JSON.parse(line).worksheet)) count++;
    const link = res.headers.get('link');
    path = link ? /<([^>]+)>/.exec(link)[1] : null;
  }
  return count;
}

async function measure(label, storeArgs, dir) {
  const seed = `submissions-bench-${randomBytes(4).toString('hex')}`;
  const gen = join(dir, `gen-${label}`);
  const bodies = makeBodies(gen, seed);
  const worksheets = new Set(bodies.map((b) => JSON.parse(b).worksheet));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  const { server, port: portP } = startServer(['--bank', 'midterm', '--seed', seed, '--practice', ...(process.env.GRADSHEET_BENCH_LIMITS === 'off' ? ['--checks-per-hour', 'unlimited', '--requests-per-minute', 'unlimited', '--misses-per-hour', 'unlimited'] : ['--checks-per-hour', '100000000', '--requests-per-minute', '100000000']), ...storeArgs, '--token-file', tokenFile, '--max-attempts', 'unlimited'], label);
  try {
    const port = await portP;
    // every worksheet once (the server builds and caches a worksheet's key on its first submission), then load
    const first = await load(port, [...new Set(bodies.map((b) => JSON.parse(b).worksheet))].map((w) => bodies.find((b) => JSON.parse(b).worksheet === w)), 0, 1);
    const warm = await load(port, bodies, WARMUP_S);
    warm.created += first.created;
    warm.errors += first.errors;
    const m = await load(port, bodies, MEASURE_S);
    const stored = await storedCount(port, worksheets);
    const acknowledged = warm.created + m.created;
    if (stored !== acknowledged) throw new Error(`${label}: ${acknowledged} submissions answered 201 but ${stored} stored`);
    if (m.errors + warm.errors > 0) throw new Error(`${label}: ${m.errors + warm.errors} requests not answered 201`);
    console.log(`  ${label}: ${m.created} submissions in ${MEASURE_S} s, ${CONCURRENCY} at a time: ${m.per_s.toFixed(0)} recorded/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms (p99 ≤ 50 ms: ${m.p99 <= 50 ? 'yes' : 'NO'}); stored ${stored} = ${acknowledged} answered 201 (warm-up included)`);
    return m;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
  }
}

export default async function submissionsBench() {
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-submissions-bench-'));
  try {
    const sqlite = await measure('SQLite', ['--data', join(dir, 'data')], dir);
    // PostgreSQL: the server given, else a throwaway one started here (scripts/postgres.mjs)
    let url = process.env.GRADSHEET_BENCH_POSTGRES, pg = null, server = null;
    if (!url) {
      try {
        server = await startPostgres();
        url = server.url;
      } catch (e) {
        console.log(`  PostgreSQL: not measured (${e.message}); its fields are null`);
      }
    }
    try {
      if (url) pg = await measure('PostgreSQL', ['--database', url], dir);
    } finally {
      await server?.stop();
    }
    return {
      name: `serve: recorded submissions, ${CONCURRENCY} clients`,
      submissions_per_s: sqlite.per_s, p50_ms: sqlite.p50, p99_ms: sqlite.p99, p99_ok: sqlite.p99 <= 50 ? 1 : 0,
      pg_submissions_per_s: pg?.per_s ?? null, pg_p50_ms: pg?.p50 ?? null, pg_p99_ms: pg?.p99 ?? null, pg_p99_ok: pg ? (pg.p99 <= 50 ? 1 : 0) : null,
      goal: 'submissions_per_s >= 1000',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
