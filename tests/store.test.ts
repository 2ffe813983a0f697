/**
 * The store of submissions through its own API, on SQLite and on a real PostgreSQL server (the
 * run's, tests/support/postgres-setup.ts; a fresh database per test): migrations on open, attempt
 * numbers, the attempt limit under concurrent arrivals (group commit; on PostgreSQL also from two
 * stores at once, as two servers behind a load balancer), listing and paging, the gradebook of
 * counted attempts, regrades that keep the old results.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { gradebookCsv, storedJson } from '../src/store/export.js';
import { Store, type NewSubmission } from '../src/store/store.js';
import { freshStores } from './support/stores.js';
import { tempDir } from './support/tmp.js';

const { fresh, open } = freshStores('gradsheet-store-');
const dir = tempDir('gradsheet-store-files-');

function result(student: string, worksheet: string, score: number, max = 4) {
  return JSON.stringify({ format: 'gradsheet.result/1', worksheet, student, score, max, parts: [{ id: 'q1.a', status: score === max ? 'correct' : 'incorrect', score, max, feedback: '' }], errors: [] });
}
function sub(student: string, score: number, extra: Partial<NewSubmission> = {}): NewSubmission {
  const worksheet = extra.worksheet ?? `W${student}`;
  return {
    worksheet, student, kind: 'submission', receivedAt: new Date().toISOString(), late: false, client: 'api',
    body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet, student, answers: { 'q1.a': score } }), result: result(student, worksheet, score), score, max: 4, ...extra,
  };
}

describe.each(['sqlite', 'postgres'] as const)('the %s store', (kind) => {
  it('creates and migrates its database on open, and opens it again as it is', async () => {
    const { store, data } = await fresh(kind);
    expect(await store.migrations()).toEqual(['0001-submissions', '0002-pinned-banks', '0003-throttle', '0004-lti']);
    await store.record(sub('alice', 1), null);
    await store.close();
    open.pop();
    const again = await Store.open(data);
    open.push(again);
    expect(await again.migrations()).toEqual(['0001-submissions', '0002-pinned-banks', '0003-throttle', '0004-lti']);
    expect((await again.list({ limit: 10 })).map((s) => s.student)).toEqual(['alice']);
    if (kind === 'postgres') return;
    // a real SQLite file in WAL mode
    const tables = execFileSync('node', ['-e', `const D=require('better-sqlite3');const d=new D(${JSON.stringify(join(data.data!, 'gradsheet.sqlite'))},{readonly:true});console.log(JSON.stringify([d.pragma('journal_mode',{simple:true}),d.prepare("select name from sqlite_master where type='table' order by name").all().map(r=>r.name)]))`], { encoding: 'utf8' });
    expect(JSON.parse(tables)).toEqual(['wal', expect.arrayContaining(['submissions', 'result_history', 'regrades', 'gradsheet_migrations'])]);
  });

  it('numbers attempts per worksheet and student; checks are no attempts', async () => {
    const { store } = await fresh(kind);
    const a1 = await store.record(sub('alice', 1), null);
    const b1 = await store.record(sub('bob', 2), null);
    const check = await store.record(sub('alice', 3, { kind: 'check' }), null);
    const a2 = await store.record(sub('alice', 4), null);
    expect([a1, b1, check, a2].map((o) => ('attempt' in o ? o.attempt : o))).toEqual([1, 1, null, 2]);
    expect((await store.attempts('Walice', 'alice')).map((s) => [s.attempt, s.score])).toEqual([[1, 1], [2, 4]]);
  });

  it('refuses an attempt over the limit, also when many arrive at once, and records exactly the limit', async () => {
    const { store } = await fresh(kind);
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => store.record(sub('carol', i % 5), 3)));
    const recorded = outcomes.filter((o) => 'id' in o);
    expect(recorded.map((o) => ('attempt' in o ? o.attempt : 0)).sort()).toEqual([1, 2, 3]);
    expect(outcomes.filter((o) => 'refused' in o)).toHaveLength(37);
    expect(outcomes.find((o) => 'refused' in o)).toEqual({ refused: 'attempts', used: 3 });
    expect(await store.attempts('Wcarol', 'carol')).toHaveLength(3);
  });

  it('takes hundreds of concurrent submissions from many students, each numbered without gaps', async () => {
    const { store } = await fresh(kind);
    const students = Array.from({ length: 30 }, (_, i) => `s${i}`);
    await Promise.all(Array.from({ length: 600 }, (_, i) => store.record(sub(students[i % 30]!, i % 5), null)));
    for (const s of students) expect((await store.attempts(`W${s}`, s)).map((r) => r.attempt)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('lists in order of arrival, filtered, a page at a time', async () => {
    const { store } = await fresh(kind);
    for (let i = 0; i < 7; i++) await store.record(sub(i % 2 ? 'bob' : 'alice', i), null);
    const page1 = await store.list({ limit: 3 });
    const page2 = await store.list({ limit: 3, after: page1[2]!.seq });
    const page3 = await store.list({ limit: 3, after: page2[2]!.seq });
    expect([...page1, ...page2, ...page3].map((s) => s.score)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await store.list({ limit: 10, student: 'bob' })).map((s) => s.score)).toEqual([1, 3, 5]);
    expect(await store.list({ limit: 10, since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
    // one line of JSON each, with the submission and result spliced in as objects
    const line = storedJson(page1[0]!);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ format: 'gradsheet.stored/1', student: 'alice', attempt: 1, late: false, submission: { answers: { 'q1.a': 0 } }, result: { score: 0 } });
  });

  it('writes the gradebook of the counted attempt per student: the last, or the best', async () => {
    const { store } = await fresh(kind);
    await store.record(sub('alice', 3), null);
    await store.record(sub('alice', 1), null);
    await store.record(sub('bob', 2, { late: true }), null);
    await store.record(sub('alice', 4, { kind: 'check' }), null);
    const rows = (csv: string) => csv.trimEnd().split('\r\n').map((l) => l.split(','));
    const last = rows(await gradebookCsv(store, 'last'));
    expect(last[0]).toEqual(['student', 'worksheet', 'score', 'max', 'percent', 'q1.a', 'counted', 'source', 'attempt', 'attempts', 'late', 'received_at']);
    expect(last.slice(1).map((r) => [r[0], r[2], r[8], r[9], r[10]])).toEqual([['alice', '1', '2', '2', 'false'], ['bob', '2', '1', '1', 'true']]);
    const best = rows(await gradebookCsv(store, 'best'));
    expect(best.slice(1).map((r) => [r[0], r[2], r[4], r[8]])).toEqual([['alice', '3', '75', '1'], ['bob', '2', '50', '1']]);
  });

  it('regrades: reports each change, replaces the result and keeps the old one; a dry run changes nothing', async () => {
    const { store } = await fresh(kind);
    const a = await store.record(sub('alice', 1), null);
    await store.record(sub('bob', 4), null);
    // the new marking: every score of 1 becomes 2
    const remark = (s: { student: string; worksheet: string; score: number }) => {
      const score = s.score === 1 ? 2 : s.score;
      return { result: result(s.student, s.worksheet, score), score, max: 4 };
    };
    const dry = await store.regrade(remark, 'test bank', { dryRun: true });
    expect(dry).toMatchObject({ regrade: null, checked: 2, dryRun: true, changed: [{ student: 'alice', before: { score: 1 }, after: { score: 2 }, parts: [{ id: 'q1.a', before: 'incorrect 1', after: 'incorrect 2' }] }] });
    expect((await store.list({ limit: 5 }))[0]!.score).toBe(1);

    const done = await store.regrade(remark, 'test bank');
    expect(done.regrade).toMatch(/^[0-9a-f-]{36}$/);
    expect(done.changed).toHaveLength(1);
    const id = 'id' in a ? a.id : '';
    const now = (await store.get(id))!;
    expect([now.score, now.regradeId, JSON.parse(now.result).score]).toEqual([2, done.regrade, 2]);
    const history = await store.history(id);
    expect(history).toHaveLength(1);
    expect([history[0]!.score, history[0]!.regradeId, JSON.parse(history[0]!.result).score]).toEqual([1, done.regrade, 1]);
    // bob's unchanged result was not touched
    expect((await store.list({ limit: 5, student: 'bob' }))[0]!.regradeId).toBeNull();
    // nothing left to change
    expect((await store.regrade(remark, 'test bank')).changed).toEqual([]);
  });

  it.runIf(kind === 'sqlite')('copies its write-ahead log into the database file on a thread of its own (commits never stop for it)', async () => {
    const { store, data } = await fresh(kind);
    const file = join(data.data!, 'gradsheet.sqlite');
    const before = statSync(file).size;
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.record(sub(`c${i % 10}`, i % 4), null)));
    // the committing connection never checkpoints; the checkpointer does, within a second
    const deadline = Date.now() + 5000;
    while (statSync(file).size <= before + 100_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(statSync(file).size).toBeGreaterThan(before + 100_000);
  });

  it.runIf(kind === 'postgres')('numbers attempts without gaps when two stores (two servers) record for the same students at once', async () => {
    const { store, data } = await fresh(kind);
    const other = await Store.open(data);
    open.push(other);
    const students = ['p', 'q', 'r'];
    const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? store : other).record(sub(students[i % 3]!, i % 4), null)));
    expect(outcomes.every((o) => 'id' in o)).toBe(true);
    for (const s of students) expect((await store.attempts(`W${s}`, s)).map((r) => r.attempt)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // over the limit, from either: exactly the limit is recorded
    const more = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? store : other).record(sub('p', 1), 50)));
    expect(more.filter((o) => 'id' in o)).toHaveLength(10);
  });
});

describe('opening a store', () => {
  it('says in one sentence that its folder cannot be used', async () => {
    const file = join(dir, 'a-file');
    mkdirSync(join(file, 'gradsheet.sqlite'), { recursive: true }); // a folder where the database file should be
    await expect(Store.open({ data: file })).rejects.toThrow(/^The database \(SQLite file .*gradsheet\.sqlite\) could not be opened: .+\.$/);
  });

  it('refuses a --database that is not a PostgreSQL URL, and both places at once', async () => {
    await expect(Store.open({ database: 'mysql://x' })).rejects.toThrow('--database should be a PostgreSQL URL (postgres://user@host:port/name), not "mysql://x".');
    await expect(Store.open({ database: 'postgres://x/y', data: 'd' })).rejects.toThrow('Give either --data DIR (SQLite) or --database postgres://… (PostgreSQL), not both.');
  });

  it('says in one sentence that a PostgreSQL server cannot be reached', async () => {
    const url = new URL(inject('postgresUrl'));
    url.port = '1'; // nothing listens there
    await expect(Store.open({ database: url.href })).rejects.toThrow(/^The database \(PostgreSQL 127\.0\.0\.1:1\/gradsheet\) could not be migrated: it cannot be reached\.$/);
  });
});
