/**
 * The grader as an answer oracle, and what `serve` does about it (issue "Hardening serve"): the
 * bisection attack on one numeric part of a midterm practice variant, run against a server without
 * limits (it recovers the answer: the attack works) and with them (429 long before); the limits
 * kept in the store across a restart; one 404 for a wrong student and an unknown code; no grading
 * without the student; the sign hint an opt-in; practice sets served only with --practice.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { answerKey, generateKeyVariants, parseBank, practiceSecret, practiceStudents } from '../src/index.js';
import { Grader } from '../src/grade/grade.js';
import { assignmentSchema, type AssignmentPolicy } from '../src/problems/assignment.js';
import type { KeyPart, KeyVariant } from '../src/problems/key.js';
import { createHandler } from '../src/server/app.js';
import { DEFAULT_LIMITS, Throttle, type Limits } from '../src/server/throttle.js';
import { Store } from '../src/store/store.js';
import { CLI, ROOT } from './support/cli.js';
import { freshDatabase } from './support/postgres.js';
import { tempDir } from './support/tmp.js';

const dir = tempDir('gradsheet-oracle-');
const assetsDir = 'templates/serve';
const assets = { pageHtml: readFileSync(join(assetsDir, 'page.html'), 'utf8'), appJs: readFileSync(join(assetsDir, 'app.js'), 'utf8'), appCss: readFileSync(join(assetsDir, 'app.css'), 'utf8') };
const midterm = parseBank(JSON.parse(readFileSync('question-banks/midterm.json', 'utf8')));
const variants = generateKeyVariants(midterm, practiceSecret('oracle'), practiceStudents(2).map((id) => ({ id, name: id })));
const key = answerKey(midterm, variants, { practice: true });
const v = variants[0]!;

const TOKEN = 'teacher-token-0123456789abcdef';

interface Running { base: string; clock: { now: Date }; close(): Promise<void> }
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** A server on the key, its limits counted in a store in `data` (when given), with a clock the test moves. */
async function start(o: { limits?: Limits | null; data?: string; policy?: Partial<AssignmentPolicy>; clock?: { now: Date }; behindProxy?: boolean } = {}): Promise<Running> {
  const store = o.data ? await Store.open({ data: o.data }) : undefined;
  const throttle = o.limits === null ? undefined : new Throttle(o.limits ?? DEFAULT_LIMITS, store);
  const clock = o.clock ?? { now: new Date('2026-12-10T12:00:00Z') };
  const server: Server = createServer(createHandler({ grader: Grader.fromKey(key), token: TOKEN, assets, store, throttle, policy: assignmentSchema.parse(o.policy ?? {}), now: () => clock.now, ...(o.behindProxy ? { bounds: { behindProxy: true } } : {}) }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const r: Running = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clock,
    close: async () => {
      await new Promise<void>((res) => server.close(() => res()));
      await throttle?.close();
      await store?.close();
    },
  };
  running.push(r);
  return r;
}

const OMIT = Symbol('no student');
const check = (r: Running, answers: Record<string, unknown>, student: unknown = v.student, worksheet = v.code) =>
  fetch(`${r.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet, ...(student === OMIT ? {} : { student }), answers }) });

/** The part attacked: a number with a relative tolerance, not tiny (as most midterm parts are). */
const target: KeyPart = v.questions.flatMap((q) => q.parts).find((p) => p.kind === 'number' && typeof p.answer === 'number' && Math.abs(p.answer) > 1e-3 && Math.abs(p.answer) < 1e3 && p.tolerance !== undefined && 'rtol' in p.tolerance && p.tolerance.rtol >= 0.005)!;
const exact = target.answer as number;

/**
 * The attack of the issue, knowing nothing of the answer but the published tolerance: scan
 * magnitudes on a grid finer than the accepted interval (the sign hint tests ±x at once) until one
 * is accepted, then bisect both edges of the accepted interval; its middle is the answer. Stops at
 * the first answer that is not 200.
 */
async function bisectionAttack(r: Running): Promise<{ requests: number; estimate: number | null; refused: Response | null }> {
  const rtol = (target.tolerance as { rtol: number }).rtol;
  let requests = 0;
  let refused: Response | null = null;
  /** 'in' when x is accepted, 'flip' when -x would be (the sign hint), 'out' otherwise; null once refused */
  const probe = async (x: number): Promise<'in' | 'flip' | 'out' | null> => {
    requests++;
    const res = await check(r, { [target.id]: x });
    if (res.status !== 200) {
      refused = res;
      return null;
    }
    const part = ((await res.json()) as { parts: { id: string; status: string; feedback: string }[] }).parts.find((p) => p.id === target.id)!;
    return part.status === 'correct' ? 'in' : /sign is wrong/.test(part.feedback) ? 'flip' : 'out';
  };
  let hit: number | null = null;
  const ratio = 1 + 1.9 * rtol;
  for (let m = 1e-4; m < 1e4 && hit === null; m *= ratio) {
    const said = await probe(m);
    if (said === null) return { requests, estimate: null, refused };
    if (said === 'in') hit = m;
    else if (said === 'flip') hit = -m;
  }
  if (hit === null) return { requests, estimate: null, refused };
  // an edge between an accepted value and one outside, to a millionth of the answer
  const edge = async (outside: number): Promise<number | null> => {
    let inside = hit!;
    while (Math.abs(inside - outside) > Math.abs(hit!) * 1e-6) {
      const mid = (inside + outside) / 2;
      const said = await probe(mid);
      if (said === null) return null;
      if (said === 'in') inside = mid;
      else outside = mid;
    }
    return (inside + outside) / 2;
  };
  const low = await edge(hit * (1 - 3 * rtol));
  if (low === null) return { requests, estimate: null, refused };
  const high = await edge(hit * (1 + 3 * rtol));
  if (high === null) return { requests, estimate: null, refused };
  return { requests, estimate: (low + high) / 2, refused };
}

const fourFigures = (x: number) => Number(x.toPrecision(4));

describe('the answer oracle', () => {
  it('recovers an answer to 4 significant figures from a server without limits (the attack works)', async () => {
    const r = await start({ limits: null });
    const out = await bisectionAttack(r);
    expect(out.refused).toBeNull();
    expect(out.estimate).not.toBeNull();
    expect(fourFigures(out.estimate!)).toBe(fourFigures(exact));
    // what it took: far more than a worksheet code's checks in an hour
    expect(out.requests).toBeGreaterThan(10 * DEFAULT_LIMITS.checksPerHour!);
  }, 60_000);

  it('is stopped by 429, with Retry-After and a sentence, after the code\'s checks for the hour', async () => {
    const r = await start({ data: join(dir, 'attack') });
    const out = await bisectionAttack(r);
    expect(out.estimate).toBeNull();
    expect(out.requests).toBe(DEFAULT_LIMITS.checksPerHour! + 1);
    const res = out.refused!;
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retry = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retry) && retry > 0 && retry <= 3600).toBe(true);
    expect((await res.json()).detail).toMatch(/^This worksheet has been checked 30 times this hour, its limit; try again in \d+ (minutes|seconds?)\.$/);
    // the other student's worksheet is not held up
    expect((await check(r, {}, variants[1]!.student, variants[1]!.code)).status).toBe(200);
    // a new hour, new checks
    r.clock.now = new Date('2026-12-10T13:00:01Z');
    expect((await check(r, { [target.id]: 1 })).status).toBe(200);
  }, 60_000);

  it('keeps the limits across a restart on the same data folder', async () => {
    const data = join(dir, 'restart');
    const clock = { now: new Date('2026-12-10T12:00:00Z') };
    const first = await start({ data, clock, limits: { ...DEFAULT_LIMITS, checksPerHour: 5 } });
    for (let i = 0; i < 5; i++) expect((await check(first, { [target.id]: i })).status).toBe(200);
    expect((await check(first, { [target.id]: 9 })).status).toBe(429);
    await running.splice(0).pop()!.close();
    const second = await start({ data, clock, limits: { ...DEFAULT_LIMITS, checksPerHour: 5 } });
    expect((await check(second, { [target.id]: 9 })).status).toBe(429);
  });

  it('limits the grading requests of one address, and not the teacher\'s batch grading', async () => {
    const r = await start({ limits: { checksPerHour: null, requestsPerMinute: 3, missesPerHour: null } });
    for (let i = 0; i < 3; i++) expect((await check(r, {})).status).toBe(200);
    const res = await check(r, {}, variants[1]!.student, variants[1]!.code);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await res.json()).detail).toMatch(/This address has sent 3 grading requests this minute/);
    // the teacher's token is not limited: batch grading, and a single check
    const batch = JSON.stringify([{ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: {} }]);
    const teacher = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${r.base}/api/v1/grade`, { method: 'POST', headers: teacher, body: batch })).status).toBe(200);
    expect((await fetch(`${r.base}/api/v1/grade`, { method: 'POST', headers: teacher, body: JSON.parse(batch).map(JSON.stringify)[0] })).status).toBe(200);
  });
});

describe('behind a trusted proxy', () => {
  it('limits each student\'s address as X-Forwarded-For gives it, not the proxy\'s, and ignores the header otherwise', async () => {
    const limits = { checksPerHour: null, requestsPerMinute: 2, missesPerHour: null };
    const from = (r: Running, ip: string) => fetch(`${r.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `${ip}, 10.0.0.1` }, body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: {} }) });
    const proxied = await start({ limits, behindProxy: true });
    const statuses = [];
    for (const ip of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.2', '203.0.113.1']) statuses.push((await from(proxied, ip)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // not behind a proxy: the header is anyone's to send, so the socket's address counts
    const direct = await start({ limits });
    const plain = [];
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) plain.push((await from(direct, ip)).status);
    expect(plain).toEqual([200, 200, 429]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('limits in the %s store', (kind) => {
  it('adds hits atomically, and two servers on one database see each other\'s after a flush', async () => {
    const where = kind === 'sqlite' ? { data: join(dir, 'both') } : { database: await freshDatabase(inject('postgresUrl')) };
    const a = await Store.open(where), b = await Store.open(where);
    try {
      const w = { kind: 'code', key: 'K7P2-9XQ4', windowStart: '2026-12-10T12:00:00.000Z' };
      expect(await a.addThrottleHits([{ ...w, hits: 3 }])).toEqual([3]);
      expect(await b.addThrottleHits([{ ...w, hits: 2 }, { ...w, key: 'other', hits: 1 }])).toEqual([5, 1]);
      expect(await a.throttleHits([w, { ...w, kind: 'client' }])).toEqual([5, 0]);
      // windows older than a day are forgotten
      expect(await a.addThrottleHits([{ ...w, windowStart: '2026-12-12T12:00:00.000Z', hits: 1 }], '2026-12-11T12:00:00.000Z')).toEqual([1]);
      expect(await b.throttleHits([w])).toEqual([0]);
      // two throttles (two servers), limit 4 per hour: what one counted, the other refuses after a flush
      const at = new Date('2026-12-12T12:30:00Z');
      const limits = { checksPerHour: 4, requestsPerMinute: null, missesPerHour: null };
      const one = new Throttle(limits, a), two = new Throttle(limits, b);
      for (let i = 0; i < 4; i++) await one.count('code', 'SAME-CODE', at);
      await one.flush();
      await expect(two.check('code', 'SAME-CODE', at)).rejects.toThrow(/checked 4 times this hour/);
      await one.close();
      await two.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('worksheet codes and students', () => {
  it('answers a wrong student and an unknown code with the same 404 and the same body', async () => {
    const r = await start();
    const wrong = await check(r, {}, 'practice-2', v.code);
    const unknown = await check(r, {}, 'practice-2', 'ZZZZ-ZZZZ');
    expect(wrong.status).toBe(404);
    expect(unknown.status).toBe(404);
    const [a, b] = [await wrong.text(), await unknown.text()];
    expect(a).toBe(b);
    expect(JSON.parse(a).detail).toBe('There is no worksheet with this code for student "practice-2".');
    // the student's own attempts list: the same
    const listWrong = await fetch(`${r.base}/api/v1/worksheets/${v.code}/submissions?student=practice-2`);
    const listUnknown = await fetch(`${r.base}/api/v1/worksheets/ZZZZ-ZZZZ/submissions?student=practice-2`);
    expect([listWrong.status, listUnknown.status]).toEqual([404, 404]);
  });

  it('opens a worksheet only with the student it was issued to: a wrong student and an unknown code are the same 404, no student a 400; the teacher opens any', async () => {
    const r = await start();
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${r.base}/api/v1/worksheets/${path}`, { headers });
    const mine = await get(`${v.code}?student=${encodeURIComponent(v.student)}`);
    expect(mine.status).toBe(200);
    expect((await mine.json()).code).toBe(v.code);
    const wrong = await get(`${v.code}?student=practice-2`), unknown = await get('ZZZZ-ZZZZ?student=practice-2'), malformed = await get('nonsense?student=practice-2');
    expect([wrong.status, unknown.status, malformed.status]).toEqual([404, 404, 404]);
    const bodies = [await wrong.text(), await unknown.text()];
    expect(bodies[0]).toBe(bodies[1]);
    const none = await get(v.code);
    expect(none.status).toBe(400);
    expect((await none.json()).detail).toBe('Say whose worksheet to open: ?student=<your student id> (each code was issued to one student).');
    expect((await get(v.code, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('refuses to grade a submission that names no student', async () => {
    const r = await start();
    for (const student of [OMIT, '', '   ']) {
      const res = await check(r, { [target.id]: exact }, student);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).not.toMatch(/"status":"correct"/);
    }
  });

  it('throttles an address that keeps asking for codes that do not exist', async () => {
    const r = await start({ limits: { checksPerHour: null, requestsPerMinute: null, missesPerHour: 3 } });
    for (let i = 0; i < 3; i++) expect((await check(r, {}, 'practice-2', v.code)).status).toBe(404);
    const res = await check(r, {}, v.student, v.code);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await fetch(`${r.base}/api/v1/worksheets/${v.code}`)).status).toBe(429);
  });
});

describe('hints', () => {
  const flipped = async (policy: Partial<AssignmentPolicy>) => {
    const r = await start({ limits: null, policy });
    const res = await check(r, { [target.id]: -exact });
    return ((await res.json()) as { parts: { id: string; feedback: string }[] }).parts.find((p) => p.id === target.id)!.feedback;
  };

  it('gives the sign hint on a self-check server, not on an assignment that counts, and as the teacher says', async () => {
    expect(await flipped({})).toMatch(/sign is wrong/);
    expect(await flipped({ maxAttempts: 3 })).not.toMatch(/sign/);
    expect(await flipped({ due: '2026-12-20T23:59:00+01:00' })).not.toMatch(/sign/);
    expect(await flipped({ hints: 'off' })).not.toMatch(/sign/);
    expect(await flipped({ maxAttempts: 3, hints: 'on' })).toMatch(/sign is wrong/);
  });
});

describe('serve on a practice set', () => {
  it('refuses --seed without --practice in one sentence, and with it says the answers are public', async () => {
    const data = join(dir, 'cli');
    const refused = spawnSync(process.execPath, [CLI, 'serve', '--bank', 'bptt-basics', '--seed', '1', '--data', data, '--port', '0'], { cwd: ROOT, encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/practice set: its answers are public .*--practice\.$/m);
    const child = spawn(process.execPath, [CLI, 'serve', '--bank', 'bptt-basics', '--seed', '1', '--practice', '--data', data, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += String(d);
        if (/Practice set/.test(out)) resolve();
      });
      child.on('exit', (c) => reject(new Error(`serve exited with ${c}`)));
      setTimeout(() => reject(new Error(`no warning: ${out}`)), 20_000);
    });
    child.kill('SIGTERM');
    expect(out).toMatch(/its answers are public \(anyone with the seed can rebuild them\)/);
  }, 30_000);

  it('refuses a practice key without --practice; generate --seed marks its key so', async () => {
    const out = join(dir, 'gen');
    const gen = spawnSync(process.execPath, [CLI, 'generate', '--bank', 'bptt-basics', '--seed', '7', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(gen.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'key.json'), 'utf8')).practice).toBe(true);
    const refused = spawnSync(process.execPath, [CLI, 'serve', '--key', join(out, 'key.json'), '--data', join(dir, 'cli-key'), '--port', '0'], { cwd: ROOT, encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/practice set: its answers are public/);
  });
});

// the key of a class set (a roster and a secret) is no practice key
it('a key drawn from a secret is not marked practice', () => {
  expect(answerKey(midterm, variants as KeyVariant[]).practice).toBeUndefined();
});
