/**
 * The LTI tables of the store through its own API, on SQLite and on the run's PostgreSQL: a score
 * queued in the same transaction as its submission (the counted attempt, last or best, only when
 * it changes, with a timestamp after every earlier one, older unsent entries superseded); nonces
 * taken once; the outbox leased to one sender at a time (two stores on one PostgreSQL); a resend
 * that would put an older score over a newer one refused; a regrade's changed score queued again.
 */
import { describe, expect, it } from 'vitest';
import { Store, type NewSubmission } from '../src/store/store.js';
import type { Passback } from '../src/store/lti.js';
import { freshStores } from './support/stores.js';

const { fresh, open } = freshStores('gradsheet-store-lti-');

const T0 = Date.parse('2026-12-08T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function sub(student: string, score: number, when: string, passback?: Passback): NewSubmission {
  const worksheet = `W-${student}`;
  return {
    worksheet, student, kind: 'submission', receivedAt: when, late: false, client: 'page',
    body: JSON.stringify({ format: 'gradsheet.submission/1', worksheet, student, answers: { 'q1.a': String(score) } }),
    result: JSON.stringify({ format: 'gradsheet.result/1', worksheet, student, score, max: 4, parts: [], errors: [] }), score, max: 4,
    ...(passback ? { passback } : {}),
  };
}

async function launch(store: Store, linkId: string, student: string, nonce: string): Promise<boolean> {
  return store.lti.launch({
    nonce, nonceExpires: at(3600), now: at(0),
    link: { id: linkId, issuer: 'https://lms.example', client_id: 'c1', deployment_id: 'd1', resource_link_id: `rl-${linkId}`, context_id: null, context_title: null, title: 'HW', bank: 'midterm', lineitem: 'https://lms.example/li/1?x=1', lineitems: null, scopes: '[]', updated_at: at(0) },
    user: { student, issuer: 'https://lms.example', deploymentId: 'd1', sub: `sub-${student}`, name: `Name ${student}`, email: null, worksheet: `W-${student}` },
  });
}

describe.each(['sqlite', 'postgres'] as const)('the %s store\'s LTI tables', (kind) => {
  it('takes a launch nonce once, and records the link and the user with it', async () => {
    const { store } = await fresh(kind);
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(true);
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(false);
    expect(await launch(store, 'L1', 'bob', 'n-2')).toBe(true);
    expect((await store.lti.linkUsers('L1')).map((u) => [u.student, u.sub, u.worksheet])).toEqual([['alice', 'sub-alice', 'W-alice'], ['bob', 'sub-bob', 'W-bob']]);
    expect((await store.lti.link('L1'))?.lineitem).toBe('https://lms.example/li/1?x=1');
    // a later launch that names no line item keeps the one known
    await store.lti.launch({ nonce: 'n-3', nonceExpires: at(3600), now: at(5), link: { ...(await store.lti.link('L1'))!, lineitem: null } });
    expect((await store.lti.link('L1'))?.lineitem).toBe('https://lms.example/li/1?x=1');
    await store.lti.forgetNonces(at(7200));
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(true);
  });

  it('queues the counted score (last) with each submission; unsent older entries are superseded; timestamps only grow', async () => {
    const { store } = await fresh(kind);
    const pb: Passback = { linkId: 'L1', userId: 'sub-alice', counts: 'last' };
    await store.record(sub('alice', 1, at(10), pb), null);
    await store.record(sub('alice', 3, at(10), pb), null); // the same millisecond
    await store.record(sub('alice', 3, at(20), pb), null); // the counted score did not change: nothing new to post
    const all = await store.lti.outbox();
    expect(all.map((e) => [e.score_given, e.status])).toEqual([[3, 'pending'], [1, 'superseded']]);
    expect(Date.parse(all[0]!.timestamp)).toBeGreaterThan(Date.parse(all[1]!.timestamp));
    // a submission without a passback (not launched) queues nothing
    await store.record(sub('carol', 2, at(30)), null);
    expect((await store.lti.outbox()).some((e) => e.student === 'carol')).toBe(false);
  });

  it('with counts best, queues only a better score', async () => {
    const { store } = await fresh(kind);
    const pb: Passback = { linkId: 'L1', userId: 'sub-bob', counts: 'best' };
    for (const [i, score] of [2, 1, 4, 3].entries()) await store.record(sub('bob', score, at(10 + i), pb), null);
    const entries = await store.lti.outbox();
    expect(entries.map((e) => e.score_given)).toEqual([4, 2]);
    const attempts = await store.attempts('W-bob', 'bob');
    expect(entries[0]!.submission_id).toBe(attempts[2]!.id);
  });

  it('leases due entries to one sender; settles them; a resend of an older score is refused', async () => {
    const { store, data } = await fresh(kind);
    const pb = (s: string): Passback => ({ linkId: 'L1', userId: `sub-${s}`, counts: 'last' });
    for (const s of ['a', 'b', 'c', 'd']) await store.record(sub(s, 2, at(1), pb(s)), null);
    // two servers on one PostgreSQL claim at once (two SQLite stores in one process would only
    // wait on each other's lock: SQLite's servers are separate processes)
    const other = kind === 'postgres' ? await Store.open(data) : store;
    if (other !== store) open.push(other);
    const [one, two] = kind === 'postgres' ? await Promise.all([store.lti.claimDue(at(100), at(160), 3), other.lti.claimDue(at(100), at(160), 3)]) : [await store.lti.claimDue(at(100), at(160), 3), await store.lti.claimDue(at(100), at(160), 3)];
    const ids = [...one, ...two].map((e) => e.id);
    expect(new Set(ids).size).toBe(4); // every entry claimed once, none twice
    expect(await store.lti.claimDue(at(120), at(180), 10)).toEqual([]); // held until the lease ends
    const [first, second, third] = one.length >= 3 ? one : [...one, ...two];
    await store.lti.settle(first!.id, { status: 'sent', at: at(101) });
    await store.lti.settle(second!.id, { status: 'failed', error: 'HTTP 422: user not in course' });
    await store.lti.settle(third!.id, { status: 'pending', error: 'HTTP 503', nextAt: at(200) });
    const byId = new Map((await store.lti.outbox()).map((e) => [e.id, e]));
    expect([byId.get(first!.id)!.status, byId.get(second!.id)!.status, byId.get(third!.id)!.status]).toEqual(['sent', 'failed', 'pending']);
    expect(byId.get(second!.id)!.last_error).toBe('HTTP 422: user not in course');
    expect(byId.get(third!.id)!.tries).toBe(1);
    expect((await store.lti.claimDue(at(199), at(260), 10)).map((e) => e.id)).not.toContain(third!.id);
    expect((await store.lti.claimDue(at(201), at(260), 10)).map((e) => e.id)).toContain(third!.id);
    // the failed entry can be resent …
    expect(await store.lti.resend(second!.id, at(300))).toEqual({ ok: true });
    await store.lti.settle(second!.id, { status: 'failed', error: 'HTTP 422 again' });
    // … until a newer score for that student is queued: then it is superseded and never resent
    const student = second!.student;
    await store.record(sub(student, 4, at(400), pb(student)), null);
    const refused = await store.lti.resend(second!.id, at(500));
    expect(refused.ok).toBe(false);
    expect(refused).toMatchObject({ why: expect.stringMatching(/newer score/) });
    expect(await store.lti.resend(first!.id, at(500))).toMatchObject({ ok: false, why: expect.stringMatching(/was sent/) });
    expect(await store.lti.resend('nope', at(500))).toMatchObject({ ok: false, why: expect.stringMatching(/no outbox entry/) });
  });

  it('a regrade that changes a launched student\'s counted score queues it again; other banks\' worksheets are skipped', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'alice', 'n-1');
    await store.record(sub('alice', 1, at(10), { linkId: 'L1', userId: 'sub-alice', counts: 'last' }), null);
    await store.record(sub('zed', 1, at(11)), null);
    const report = await store.regrade((s) => (s.student === 'zed' ? null : { result: s.result.replace('"score":1', '"score":3'), score: 3, max: 4 }), 'test', { now: () => at(50), counts: 'last' });
    expect([report.checked, report.skipped, report.changed.length]).toEqual([1, 1, 1]);
    const entries = (await store.lti.outbox()).filter((e) => e.student === 'alice');
    expect(entries.map((e) => [e.score_given, e.status])).toEqual([[3, 'pending'], [1, 'superseded']]);
    expect(entries[0]!.timestamp).toBe(at(50));
  });
});
