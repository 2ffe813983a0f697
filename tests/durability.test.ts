/**
 * Crash safety of `gradsheet serve`, for real: a child server takes submissions from many
 * concurrent clients and is killed with SIGKILL at a random moment, again and again, on the same
 * store. Every submission it answered 201 must be there after the restart, with the score it was
 * answered with, and no stored row may be half written (a parseable submission and result, attempt
 * numbers 1..n per worksheet and student without gaps or duplicates).
 *
 * A request cut by the kill was not acknowledged: it may or may not be stored, and either is right.
 * What this tests is the process dying (the operating system keeps what was written); a power cut,
 * which only fsync guards against, is not simulated here.
 *
 * On SQLite (the embedded default, a data folder) and on PostgreSQL (the run's throwaway server,
 * tests/support/postgres-setup.ts, a fresh database; the database is not killed, only gradsheet).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from './support/postgres.js';
import { CLI, ROOT, gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const TOKEN = `durability-${randomBytes(12).toString('hex')}`;
const CLIENTS = 40;
const WORKSHEETS = 8;
const CYCLES = 20;

type Server = ChildProcessByStdio<null, Readable, Readable>;
const running = new Set<Server>();
afterAll(() => {
  for (const s of running) s.kill('SIGKILL');
});

interface Acked { id: string; worksheet: string; student: string; attempt: number; score: number; body: string; cycle: number }

/** Practice worksheets of midterm for `seed` and, for each, a few filled submissions (exact, off, blank answers) as JSON text. */
function makeBodies(seed: string): string[] {
  const dir = tempDir('gradsheet-durability-gen-');
  const made = gradsheet(['generate', '--bank', 'midterm', '--seed', seed, '--count', String(WORKSHEETS), '--out', dir]);
  expect(made.code, made.stderr).toBe(0);
  const key = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8')) as { variants: { code: string; questions: { parts: { id: string; answer: unknown }[] }[] }[] };
  const answerOf = new Map(key.variants.flatMap((v) => v.questions.flatMap((q) => q.parts.map((p) => [`${v.code} ${p.id}`, p.answer] as const))));
  const bodies: string[] = [];
  const blanks = readdirSync(join(dir, 'submissions'));
  expect(blanks).toHaveLength(WORKSHEETS);
  for (const file of blanks) {
    const blank = JSON.parse(readFileSync(join(dir, 'submissions', file), 'utf8')) as { worksheet: string; answers: Record<string, unknown> };
    for (let k = 0; k < 6; k++) {
      const answers = Object.fromEntries(Object.keys(blank.answers).map((id, i) => {
        const exact = answerOf.get(`${blank.worksheet} ${id}`);
        const pick = (i * 7 + k * 3) % 5;
        // a number is graded, right or wrong; a vector or matrix is sent as the key has it or left blank
        if (pick === 0) return [id, null];
        if (typeof exact === 'number') return [id, pick === 1 ? exact * 1.5 + 0.25 : exact];
        if (pick === 2) return [id, 0.5];
        return [id, exact ?? null];
      }));
      bodies.push(JSON.stringify({ ...blank, answers }));
    }
  }
  return bodies;
}

async function startServer(storeArgs: string[], tokenFile: string, seed: string): Promise<{ server: Server; port: number; stderr: () => string }> {
  const server = spawn(process.execPath, [CLI, 'serve', '--bank', 'midterm', '--seed', seed, '--practice', '--checks-per-hour', 'unlimited', '--requests-per-minute', 'unlimited', ...storeArgs, '--port', '0', '--token-file', tokenFile, '--max-attempts', 'unlimited'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(server);
  server.on('exit', () => running.delete(server));
  let err = '';
  server.stderr.on('data', (d) => { err += String(d); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start in 20 s: ${out}${err}`)), 20_000);
    server.stdout.on('data', (d) => {
      out += String(d);
      const m = /^Serving .* at http:\/\/127\.0\.0\.1:(\d+)\//m.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    server.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`the server exited (${code ?? signal}) before serving: ${out}${err}`)); });
  });
  return { server, port, stderr: () => err };
}

function kill(server: Server, signal: NodeJS.Signals): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('exit', () => resolve());
    server.kill(signal);
  });
}

/** One POST of `body`; the 201's answer, or null for anything else (an error, a cut connection). */
function post(agent: http.Agent, port: number, body: string): Promise<{ status: number; text: string } | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/submissions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(null));
      res.on('aborted', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.setTimeout(10_000, () => req.destroy());
    req.end(body);
  });
}

/**
 * Clients post until the server dies under them (bounded: 15 s); the 201s are acknowledged. The
 * kill comes `killAfterMs` after the first 201 of this server: load has started when it answers
 * (a fresh server first builds each worksheet's key, 50-200 ms cold, and would be killed mostly
 * while grading, before its first commit, if the clock started with the first request).
 */
async function loadUntilKilled(server: Server, port: number, bodies: string[], cycle: number, killAfterMs: number): Promise<{ acked: Acked[]; failed: number; other: string[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const acked: Acked[] = [];
  const other: string[] = [];
  let failed = 0;
  let dead = false;
  const started = Date.now();
  let armed: () => void = () => undefined;
  const firstAnswer = new Promise<void>((resolve) => { armed = resolve; setTimeout(resolve, 10_000); });
  const killer = firstAnswer.then(() => new Promise<void>((resolve) => setTimeout(() => { void kill(server, 'SIGKILL').then(() => { dead = true; resolve(); }); }, killAfterMs)));
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    let n = c;
    while (!dead && Date.now() - started < 15_000) {
      const body = bodies[(n += 7) % bodies.length]!;
      const res = await post(agent, port, body);
      if (res === null) { failed++; continue; }
      if (res.status !== 201) { other.push(`${res.status} ${res.text.slice(0, 200)}`); continue; }
      armed();
      const a = JSON.parse(res.text) as { id: string; attempt: number; result: { worksheet: string; student: string; score: number } };
      acked.push({ id: a.id, worksheet: a.result.worksheet, student: a.result.student, attempt: a.attempt, score: a.result.score, body, cycle });
    }
  }));
  await killer;
  agent.destroy();
  return { acked, failed, other };
}

interface Row { id: string; seq: number; worksheet: string; student: string; kind: string; attempt: number | null; score: number; max: number; submission: unknown; result: unknown }

/** Every stored row after seq `after`, a page of 1000 at a time, through the teacher's listing; each row parsed on its own. */
async function listAfter(port: number, after: number): Promise<Row[]> {
  const rows: Row[] = [];
  let path: string | null = `/api/v1/submissions?limit=1000&format=jsonl&after=${after}`;
  while (path) {
    const res: Response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status, path).toBe(200);
    const text = await res.text();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      // a half-written row would not parse, or would lack its submission or result
      rows.push(JSON.parse(line) as Row);
    }
    const link = res.headers.get('link');
    path = link ? /<([^>]+)>; rel="next"/.exec(link)![1]! : null;
  }
  return rows;
}

/** What is wrong with one stored row on its own (nothing: []), checked in plain code: thousands of rows a cycle. */
function rowProblems(r: Row): string[] {
  const problems: string[] = [];
  const s = r.submission as { format?: unknown; worksheet?: unknown; student?: unknown; answers?: unknown } | null;
  const result = r.result as { format?: unknown; worksheet?: unknown; student?: unknown; score?: unknown; max?: unknown; parts?: unknown } | null;
  if (typeof r.id !== 'string' || r.kind !== 'submission') problems.push('its id or kind');
  if (!s || typeof s !== 'object' || s.format !== 'gradsheet.submission/1' || typeof s.answers !== 'object' || s.answers === null) problems.push('its submission');
  if (!result || typeof result !== 'object' || result.format !== 'gradsheet.result/1' || !Array.isArray(result.parts) || result.parts.length === 0) problems.push('its result');
  else if (result.worksheet !== r.worksheet || result.student !== r.student || result.score !== r.score || result.max !== r.max) problems.push('its result against its record');
  if (!Number.isInteger(r.attempt) || r.attempt! < 1) problems.push(`its attempt ${r.attempt}`);
  return problems.map((p) => `row ${r.seq} (${r.id}): ${p}`);
}

/** Acknowledged ids all stored as answered (worksheet, student, attempt, score, body); no row half written; attempts per worksheet and student 1..n. */
function checkStore(rows: Row[], acked: Acked[], log: string): void {
  const byId = new Map<string, Row>();
  const seqs = new Set<number>();
  const attempts = new Map<string, number[]>();
  const problems: string[] = [];
  for (const r of rows) {
    problems.push(...rowProblems(r));
    if (byId.has(r.id)) problems.push(`id ${r.id} listed twice`);
    if (seqs.has(r.seq)) problems.push(`seq ${r.seq} listed twice`);
    byId.set(r.id, r);
    seqs.add(r.seq);
    const key = `${r.worksheet} ${r.student}`;
    attempts.set(key, [...(attempts.get(key) ?? []), r.attempt!]);
  }
  for (const [key, list] of attempts) {
    const sorted = [...list].sort((a, b) => a - b);
    const wrong = sorted.findIndex((n, i) => n !== i + 1);
    if (wrong >= 0) problems.push(`attempts of ${key}: ${sorted.length} rows, the ${wrong + 1}th is attempt ${sorted[wrong]} (…${sorted.slice(Math.max(0, wrong - 2), wrong + 3).join(', ')}…)`);
  }
  for (const a of acked) {
    const r = byId.get(a.id);
    if (!r) { problems.push(`acknowledged but not stored: ${a.id} (cycle ${a.cycle}, ${a.worksheet} ${a.student} attempt ${a.attempt})`); continue; }
    if (r.worksheet !== a.worksheet || r.student !== a.student || r.attempt !== a.attempt || r.score !== a.score) {
      problems.push(`${a.id} stored as ${r.worksheet} ${r.student} attempt ${r.attempt} score ${r.score}, answered as ${a.worksheet} ${a.student} attempt ${a.attempt} score ${a.score}`);
    }
    // the body is stored as the server re-serialised it: the same text as sent, sent as JSON.stringify wrote it
    if (JSON.stringify(r.submission) !== a.body) problems.push(`${a.id}: the stored submission is not the one sent`);
  }
  expect(problems.slice(0, 20), `${log}: ${problems.length} problems`).toEqual([]);
}

/** `cycles` kill/restart cycles on one store, checked after every restart and in full at the end. */
async function killAndRestart(storeArgs: string[], cycles: number): Promise<{ acked: number; stored: number; cut: number; delays: number[] }> {
  const seed = `durability-${randomBytes(6).toString('hex')}`;
  const bodies = makeBodies(seed);
  const tokenFile = join(tempDir('gradsheet-durability-token-'), 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const worksheets = new Set(bodies.map((b) => (JSON.parse(b) as { worksheet: string }).worksheet));
  const acked: Acked[] = [];
  const delays: number[] = [];
  const seen: Row[] = [];
  let after = 0;
  let cut = 0;
  for (let cycle = 0; cycle <= cycles; cycle++) {
    const { server, port, stderr } = await startServer(storeArgs, tokenFile, seed);
    try {
      // what the previous cycles left: the rows since the last look (one writer, so seqs commit in order)
      const fresh = (await listAfter(port, after)).filter((r) => worksheets.has(r.worksheet));
      seen.push(...fresh);
      after = Math.max(after, ...fresh.map((r) => r.seq));
      const log = `after kill ${cycle} (kills at ${delays.join(', ')} ms; seed ${seed})`;
      checkStore(seen, acked, log);
      if (cycle === cycles) {
        // the whole store once more from the start, every row of it: nothing earlier was lost since
        const all = await listAfter(port, 0);
        const ours = all.filter((r) => worksheets.has(r.worksheet));
        checkStore(ours, acked, `${log}, in full`);
        const ids = new Set(ours.map((r) => r.id));
        expect(seen.filter((r) => !ids.has(r.id)).map((r) => r.id), `${log}: rows seen after an earlier restart, gone now`).toEqual([]);
        seen.splice(0, seen.length, ...ours);
        await kill(server, 'SIGTERM');
        expect(server.exitCode, stderr()).toBe(0);
        break;
      }
      const delay = 50 + Math.floor(Math.random() * 750);
      delays.push(delay);
      const load = await loadUntilKilled(server, port, bodies, cycle, delay);
      expect(load.other, `cycle ${cycle}: answers other than 201`).toEqual([]);
      expect(server.signalCode).toBe('SIGKILL');
      acked.push(...load.acked);
      cut += load.failed;
    } finally {
      await kill(server, 'SIGKILL');
    }
  }
  return { acked: acked.length, stored: seen.length, cut, delays };
}

describe('serve survives SIGKILL under load: every acknowledged submission is stored, none half written', () => {
  it(`SQLite (--data): ${CYCLES} kills at random moments under ${CLIENTS} concurrent clients, one data folder`, async () => {
    const data = tempDir('gradsheet-durability-sqlite-');
    const r = await killAndRestart(['--data', data], CYCLES);
    console.log(`SQLite: ${r.acked} acknowledged, ${r.stored} stored, ${r.cut} requests cut, kills at ${r.delays.join(' ')} ms`);
    // enough load reached the store for the test to mean something
    expect(r.acked).toBeGreaterThan(CYCLES * 10);
    expect(r.stored).toBeGreaterThanOrEqual(r.acked);
  }, 150_000);

  it(`PostgreSQL (--database, the run's server, a fresh database): ${CYCLES} kills of gradsheet (not the database) under ${CLIENTS} concurrent clients`, async () => {
    const r = await killAndRestart(['--database', await freshDatabase(inject('postgresUrl'))], CYCLES);
    console.log(`PostgreSQL: ${r.acked} acknowledged, ${r.stored} stored, ${r.cut} requests cut, kills at ${r.delays.join(' ')} ms`);
    expect(r.acked).toBeGreaterThan(CYCLES * 10);
    expect(r.stored).toBeGreaterThanOrEqual(r.acked);
  }, 150_000);
});
