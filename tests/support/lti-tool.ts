/**
 * `gradsheet serve` as an LTI 1.3 tool, in a child process (dist/cli.js): a free port chosen first so
 * that --public-url names it, a class secret, a teacher token, lti.json, a --data folder; restarts
 * on the same folder and port (after SIGKILL or SIGTERM). Plus the student's and teacher's API calls
 * the LTI tests make (session, keys, submit, outbox).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll } from 'vitest';
import { CLI, ROOT, gradsheet, type CliResult } from './cli.js';
import { tempDir } from './tmp.js';

type Child = ChildProcessByStdio<null, Readable, Readable>;
const running = new Set<Child>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ToolOptions {
  platforms: Record<string, unknown>[];
  /** extra serve flags (policy: --max-attempts, --counts…) */
  args?: string[];
  bank?: string;
}

export class Tool {
  child?: Child;
  readonly port: number;
  readonly base: string;
  readonly dir: string;
  readonly data: string;
  readonly token = `teacher-${randomBytes(12).toString('hex')}`;
  readonly options: ToolOptions;
  stdout = '';
  stderr = '';

  private constructor(port: number, dir: string, options: ToolOptions) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.dir = dir;
    this.data = join(dir, 'data');
    this.options = options;
    writeFileSync(join(dir, 'secret'), randomBytes(24).toString('base64url'));
    writeFileSync(join(dir, 'token'), this.token);
    writeFileSync(join(dir, 'lti.json'), JSON.stringify({ platforms: options.platforms }, null, 2));
  }

  static async start(options: ToolOptions): Promise<Tool> {
    const tool = new Tool(await freePort(), tempDir('gradsheet-lti-'), options);
    await tool.restart();
    return tool;
  }

  /** starts the server (again) on the same folder and port; resolves when it says where it listens */
  async restart(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) throw new Error('the tool is still running');
    const args = [CLI, 'serve', '--bank', this.options.bank ?? 'midterm', '--secret-file', join(this.dir, 'secret'), '--data', this.data,
      '--lti-config', join(this.dir, 'lti.json'), '--public-url', this.base, '--port', String(this.port), '--token-file', join(this.dir, 'token'),
      '--checks-per-hour', 'unlimited', '--requests-per-minute', 'unlimited', ...(this.options.args ?? [])];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.on('exit', () => running.delete(child));
    child.stderr.on('data', (d) => { this.stderr += String(d); });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`gradsheet serve did not start in 20 s: ${out}${this.stderr}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += String(d);
        this.stdout += String(d);
        const m = /Serving .* at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          if (Number(m[1]) !== this.port) reject(new Error(`serve listens on ${m[1]}, not ${this.port}`)); else resolve();
        }
      });
      child.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`gradsheet serve exited (${code ?? signal}) before serving: ${out}${this.stderr}`)); });
    });
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      // a graceful stop that hangs (open keep-alive connections) ends with SIGKILL after 10 s
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => { clearTimeout(timer); resolve(); });
      c.kill(signal);
    });
  }

  /** `gradsheet lti …` on this tool's data folder */
  cli(args: string[]): CliResult {
    return gradsheet(['lti', ...args, '--data', this.data]);
  }

  teacher(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, { ...init, headers: { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) } });
  }

  async session(session: string): Promise<Session> {
    const res = await fetch(`${this.base}/api/v1/session`, { headers: { authorization: `Bearer ${session}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/v1/session: ${res.status} ${text}`);
    return JSON.parse(text) as Session;
  }

  /** the worksheet's parts with their answers, from GET /api/v1/keys/{code} */
  async parts(code: string): Promise<KeyPart[]> {
    const res = await this.teacher(`/api/v1/keys/${encodeURIComponent(code)}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/v1/keys/${code}: ${res.status} ${text}`);
    const v = JSON.parse(text) as { questions: { parts: KeyPart[] }[] };
    return v.questions.flatMap((q) => q.parts);
  }

  /** POST /api/v1/submit with the session's token */
  async submit(session: string, answers: Record<string, string>): Promise<{ status: number; body: SubmitAnswer; text: string }> {
    const res = await fetch(`${this.base}/api/v1/submit`, { method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: JSON.stringify({ answers }) });
    const text = await res.text();
    let body: SubmitAnswer;
    try { body = JSON.parse(text) as SubmitAnswer; } catch { body = {} as SubmitAnswer; }
    return { status: res.status, body, text };
  }

  async outbox(): Promise<OutboxEntry[]> {
    const res = await this.teacher('/api/v1/lti/outbox');
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/v1/lti/outbox: ${res.status} ${text}`);
    const body = JSON.parse(text) as unknown;
    if (Array.isArray(body)) return body as OutboxEntry[];
    const arr = Object.values(body as Record<string, unknown>).find(Array.isArray);
    if (!arr) throw new Error(`no array in the outbox answer: ${text}`);
    return arr as OutboxEntry[];
  }
}

export interface Session { worksheet: string; student: string; bank: string; attemptsUsed: number; maxAttempts: number | null; due: string | null; [k: string]: unknown }
export interface KeyPart { id: string; kind?: string; answer: unknown; points?: number; choices?: string[] }
export interface SubmitAnswer { attempt: number; result: { score: number; max: number; [k: string]: unknown }; [k: string]: unknown }
export interface OutboxEntry { id: string | number; status: string; userId: string; scoreGiven: number; lastError?: string | null; [k: string]: unknown }

/**
 * Answers for a worksheet with exactly `right` scalar or choice parts answered right (the first ones
 * found), every other scalar or choice part answered wrong, vector and matrix parts left blank: the
 * score is strictly between 0 and the maximum when right > 0.
 */
export function answersFor(parts: KeyPart[], right: number): Record<string, string> {
  const answers: Record<string, string> = {};
  let n = 0;
  for (const p of parts) {
    const simple = typeof p.answer === 'number' || (typeof p.answer === 'string' && Array.isArray(p.choices));
    if (simple && n < right) {
      answers[p.id] = String(p.answer);
      n += 1;
    } else if (Array.isArray(p.choices) && p.choices.length > 1) {
      answers[p.id] = p.choices.find((c) => c !== p.answer)!;
    } else if (typeof p.answer === 'number') {
      answers[p.id] = '987654.321';
    } else {
      answers[p.id] = ''; // a vector or matrix part left blank
    }
  }
  if (n < right) throw new Error(`only ${n} parts with a scalar or choice answer`);
  return answers;
}
