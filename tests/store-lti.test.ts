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

const SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
const LAST: Passback = { counts: 'last' };

/** A learner's launch of link `linkId` (one that takes scores unless `scopes` says otherwise). */
async function launch(store: Store, linkId: string, student: string, nonce: string, scopes = [SCORE]): Promise<boolean> {
  return store.lti.launch({
    nonce, nonceExpires: at(3600), now: at(0),
    link: { id: linkId, issuer: 'https://lms.example', client_id: 'c1', deployment_id: 'd1', resource_link_id: `rl-${linkId}`, context_id: null, context_title: null, title: 'HW', bank: 'midterm', lineitem: `https://lms.example/li/${linkId}?x=1`, lineitems: null, scopes: JSON.stringify(scopes), updated_at: at(0) },
    user: { student, issuer: 'https://lms.example', deploymentId: 'd1', sub: `sub-${student}`, name: `Name ${student}`, email: null, worksheet: `W-${student}` },
  });
}

describe.each(['sqlite', 'postgres'] as const)('the %s store\'s LTI tables', (kind) => {
  it('takes a launch nonce once, and records the link and the user with it', async () => {
    const { store } = await fresh(kind);
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(true);
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(false);
    expect(await launch(store, 'L1', 'bob', 'n-2')).toBe(true);
    // launches arriving together (one group, one transaction): the same nonce twice is still taken once
    expect(await Promise.all([launch(store, 'L1', 'carol', 'n-4'), launch(store, 'L1', 'carol', 'n-4')])).toEqual([true, false]);
    expect((await store.lti.linkUsers('L1')).map((u) => [u.student, u.sub, u.worksheet])).toEqual([['alice', 'sub-alice', 'W-alice'], ['bob', 'sub-bob', 'W-bob'], ['carol', 'sub-carol', 'W-carol']]);
    expect((await store.lti.link('L1'))?.lineitem).toBe('https://lms.example/li/L1?x=1');
    // a later launch that names no line item keeps the one known
    await store.lti.launch({ nonce: 'n-3', nonceExpires: at(3600), now: at(5), link: { ...(await store.lti.link('L1'))!, lineitem: null } });
    expect((await store.lti.link('L1'))?.lineitem).toBe('https://lms.example/li/L1?x=1');
    await store.lti.forgetNonces(at(7200));
    expect(await launch(store, 'L1', 'alice', 'n-1')).toBe(true);
  });

  it('queues the counted score (last) with each submission; unsent older entries are superseded; timestamps only grow', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'alice', 'n-1');
    const first = await store.record(sub('alice', 1, at(10), LAST), null);
    expect(first).toMatchObject({ passback: { links: 1, queued: 1 } });
    await store.record(sub('alice', 3, at(10), LAST), null); // the same millisecond
    const same = await store.record(sub('alice', 3, at(20), LAST), null); // the counted score did not change: nothing new to post
    expect(same).toMatchObject({ passback: { links: 1, queued: 0 } });
    const all = await store.lti.outbox();
    expect(all.map((e) => [e.score_given, e.status])).toEqual([[3, 'pending'], [1, 'superseded']]);
    expect(Date.parse(all[0]!.timestamp)).toBeGreaterThan(Date.parse(all[1]!.timestamp));
    // a student who never launched, and a link without the score scope, queue nothing
    expect(await store.record(sub('carol', 2, at(30), LAST), null)).toMatchObject({ passback: { links: 0, queued: 0 } });
    await launch(store, 'L9', 'dave', 'n-9', []);
    expect(await store.record(sub('dave', 2, at(30), LAST), null)).toMatchObject({ passback: { links: 0, queued: 0 } });
    expect((await store.lti.outbox()).some((e) => e.student === 'carol' || e.student === 'dave')).toBe(false);
  });

  it('queues for every link the student opened the worksheet from; a failed score does not stop the same score being queued again', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'erin', 'n-1');
    await launch(store, 'L2', 'erin', 'n-2');
    await store.record(sub('erin', 2, at(10), LAST), null);
    const entries = await store.lti.outbox();
    expect(entries.map((e) => e.link_id).sort()).toEqual(['L1', 'L2']);
    expect(await store.lti.outbox({ linkId: 'L2' })).toHaveLength(1);
    const owner = 'test-sender';
    const claimed = await store.lti.claimDue(at(11), at(60), owner, 5);
    for (const e of claimed) await store.lti.settle(e.id, owner, e.link_id === 'L1' ? { status: 'failed', error: 'HTTP 404' } : { status: 'sent', at: at(12) });
    // the same counted score again: L1's last try failed, so it is queued again there; L2 has it already
    const again = await store.record(sub('erin', 2, at(20), LAST), null);
    expect(again).toMatchObject({ passback: { links: 2, queued: 1 } });
    expect((await store.lti.outbox({ status: 'pending' })).map((e) => e.link_id)).toEqual(['L1']);
  });

  it('with counts best, queues only a better score', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'bob', 'n-1');
    const best: Passback = { counts: 'best' };
    for (const [i, score] of [2, 1, 4, 3, 4].entries()) await store.record(sub('bob', score, at(10 + i), best), null);
    const entries = await store.lti.outbox();
    expect(entries.map((e) => e.score_given)).toEqual([4, 2]);
    const attempts = await store.attempts('W-bob', 'bob');
    expect(entries[0]!.submission_id).toBe(attempts[2]!.id); // the first of equal bests
  });

  it('leases due entries to one sender at a time; settles them only by their holder; a resend of an older score is refused', async () => {
    const { store, data } = await fresh(kind);
    for (const s of ['a', 'b', 'c', 'd']) {
      await launch(store, 'L1', s, `n-${s}`);
      await store.record(sub(s, 2, at(1), LAST), null);
    }
    // two servers on one PostgreSQL claim at once (two SQLite stores in one process would only
    // wait on each other's lock: SQLite's servers are separate processes)
    const other = kind === 'postgres' ? await Store.open(data) : store;
    if (other !== store) open.push(other);
    const [one, two] = kind === 'postgres'
      ? await Promise.all([store.lti.claimDue(at(100), at(160), 'A', 3), other.lti.claimDue(at(100), at(160), 'B', 3)])
      : [await store.lti.claimDue(at(100), at(160), 'A', 3), await store.lti.claimDue(at(100), at(160), 'B', 3)];
    const ids = [...one, ...two].map((e) => e.id);
    expect(new Set(ids).size).toBe(4); // every entry claimed once, none twice
    expect(await store.lti.claimDue(at(120), at(180), 'C', 10)).toEqual([]); // held until the lease ends
    // a held entry is due when its lease ends, not before (the sender does not spin on it)
    expect(await store.lti.nextDue()).toBe(at(160));
    const held = [...one.map((e) => ({ e, owner: 'A' })), ...two.map((e) => ({ e, owner: 'B' }))];
    const [first, second, third, fourth] = held;
    // another sender's settle changes nothing
    await store.lti.settle(first!.e.id, 'C', { status: 'failed', error: 'not mine' });
    expect((await store.lti.outbox()).find((e) => e.id === first!.e.id)!.status).toBe('pending');
    await store.lti.settle(first!.e.id, first!.owner, { status: 'sent', at: at(101) });
    await store.lti.settle(second!.e.id, second!.owner, { status: 'failed', error: 'HTTP 422: user not in course' });
    await store.lti.settle(third!.e.id, third!.owner, { status: 'pending', error: 'HTTP 503', nextAt: at(200) });
    const byId = new Map((await store.lti.outbox()).map((e) => [e.id, e]));
    expect([byId.get(first!.e.id)!.status, byId.get(second!.e.id)!.status, byId.get(third!.e.id)!.status]).toEqual(['sent', 'failed', 'pending']);
    expect(byId.get(second!.e.id)!.last_error).toBe('HTTP 422: user not in course');
    expect(byId.get(third!.e.id)!.tries).toBe(1);
    // the fourth's lease (160) has run out by 199: it is claimed again; the third waits for its next try (200)
    expect((await store.lti.claimDue(at(199), at(260), 'A', 10)).map((e) => e.id)).toEqual([fourth!.e.id]);
    expect((await store.lti.claimDue(at(201), at(260), 'A', 10)).map((e) => e.id)).toEqual([third!.e.id]);
    await store.lti.releaseLeases();
    expect((await store.lti.claimDue(at(202), at(260), 'B', 10)).map((e) => e.id).sort()).toEqual([third!.e.id, fourth!.e.id].sort());
    // the failed entry can be resent, as the newest score (a timestamp of now) …
    expect(await store.lti.resend(second!.e.id, at(300), 'L-other')).toMatchObject({ ok: false, why: expect.stringMatching(/no outbox entry .* for this assignment/) });
    expect(await store.lti.resend(second!.e.id, at(300))).toEqual({ ok: true });
    expect((await store.lti.outbox()).find((e) => e.id === second!.e.id)).toMatchObject({ status: 'pending', timestamp: at(300), tries: 0 });
    const [resent] = await store.lti.claimDue(at(301), at(360), 'A', 1);
    await store.lti.settle(resent!.id, 'A', { status: 'failed', error: 'HTTP 422 again' });
    // … until a newer score for that student is queued: then it is superseded and never resent
    const student = second!.e.student;
    await store.record(sub(student, 4, at(400), LAST), null);
    const refused = await store.lti.resend(second!.e.id, at(500));
    expect(refused).toMatchObject({ ok: false, why: expect.stringMatching(/newer score/) });
    expect(await store.lti.resend(first!.e.id, at(500))).toMatchObject({ ok: false, why: expect.stringMatching(/was sent/) });
    expect(await store.lti.resend('nope', at(500))).toMatchObject({ ok: false, why: expect.stringMatching(/no outbox entry/) });
  });

  it('does not hand out a user\'s newer score while an older one is still held', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'fay', 'n-1');
    await store.record(sub('fay', 1, at(1), LAST), null);
    const [older] = await store.lti.claimDue(at(2), at(60), 'A', 1);
    await store.record(sub('fay', 3, at(3), LAST), null); // supersedes the held one
    expect(await store.lti.claimDue(at(4), at(60), 'B', 5)).toEqual([]);
    await store.lti.settle(older!.id, 'A', { status: 'sent', at: at(5) }); // left superseded
    expect((await store.lti.claimDue(at(6), at(60), 'B', 5)).map((e) => e.score_given)).toEqual([3]);
  });

  it('a regrade that changes a launched student\'s counted score queues it again; other banks\' worksheets are skipped', async () => {
    const { store } = await fresh(kind);
    await launch(store, 'L1', 'alice', 'n-1');
    await store.record(sub('alice', 1, at(10), LAST), null);
    await store.record(sub('zed', 1, at(11)), null);
    const report = await store.regrade((s) => (s.student === 'zed' ? null : { result: s.result.replace('"score":1', '"score":3'), score: 3, max: 4 }), 'test', { now: () => at(50), counts: 'last' });
    expect([report.checked, report.skipped, report.changed.length]).toEqual([1, 1, 1]);
    const entries = (await store.lti.outbox()).filter((e) => e.student === 'alice');
    expect(entries.map((e) => [e.score_given, e.status])).toEqual([[3, 'pending'], [1, 'superseded']]);
    expect(entries[0]!.timestamp).toBe(at(50));
  });
});
