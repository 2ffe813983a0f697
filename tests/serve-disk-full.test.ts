/**
 * A full disk, for real: `gradsheet serve` with its data folder on a small tmpfs, fed submissions
 * until the disk fills. Every 201 must be in the store afterwards; once SQLite cannot write, the
 * answer is 503 with one sentence, never a 201 for something not kept.
 *
 * Mounting a tmpfs needs root (CI runs as root on these machines); elsewhere the test says so and
 * is skipped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/tmp.js';

const dir = tempDir('gradsheet-full-');
const mount = join(dir, 'small');
const TOKEN = 'teacher-token-0123456789abcdef';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = canMount();
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGKILL');
  if (mounted) execFileSync('umount', ['-l', mount]);
});

describe('a full disk', () => {
  it.skipIf(!mounted)('answers 503 with one sentence once the data folder\'s disk is full, and keeps every submission it answered 201 (needs root to mount a tmpfs)', async () => {
    writeFileSync(join(dir, 'token'), TOKEN);
    server = spawn(process.execPath, ['dist/cli.js', 'serve', '--bank', 'bptt-basics', '--seed', 'full', '--practice', '--data', join(mount, 'data'), '--port', '0', '--token-file', join(dir, 'token')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const base = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server!.stdout! }).once('line', (line) => resolve(/at (http:\/\/\S+?)\/? /.exec(line)![1]!));
      server!.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    execFileSync(process.execPath, ['dist/cli.js', 'generate', '--bank', 'bptt-basics', '--seed', 'full', '--count', '1', '--out', join(dir, 'gen')]);
    const key = JSON.parse(readFileSync(join(dir, 'gen', 'key.json'), 'utf8'));
    const v = key.variants[0];
    // a submission padded with a long string in one of its parts (an unknown part id is refused): each fills the disk faster
    const body = JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: { 'q1.a': 0.5, 'q1.b': 'x'.repeat(6000) } });
    const ok: string[] = [];
    let unavailable = '';
    for (let i = 0; i < 400 && !unavailable; i++) {
      const res = await fetch(`${base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status === 201) ok.push((await res.json()).id);
      else if (res.status === 503) unavailable = (await res.json()).detail;
      else throw new Error(`unexpected ${res.status}: ${await res.text()}`);
    }
    expect(unavailable).toMatch(/^The database \(SQLite file .*gradsheet\.sqlite\) could not record the submission: its disk is full\.$/);
    expect(ok.length).toBeGreaterThan(3);
    // still full: another one is refused the same way, never 201
    expect((await fetch(`${base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(503);
    const listed = await (await fetch(`${base}/api/v1/submissions?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(listed.submissions.map((s: { id: string }) => s.id)).toEqual(ok);
  });
});
