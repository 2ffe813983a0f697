/**
 * A score is never lost: gradsheet's durable LTI outbox against a platform that fails. The token
 * endpoint down (503) across a SIGKILL and restart of `gradsheet serve`; a 429 whose Retry-After is
 * honoured; a 400 from the scores endpoint marked failed with the platform's words (GET
 * /api/v1/lti/outbox, `gradsheet lti outbox`) and sent again with `--resend` once the platform is
 * fixed; two submissions with the first's send delayed: the platform ends with the second's score,
 * and a resend of an older score never replaces a newer one.
 *
 * Each test has its own platform (tests/support/lti-platform.ts) and its own tool (a child
 * process, SQLite in a temporary --data folder). The server's backoff is capped but not fixed
 * here: the waits are generous.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LtiPlatform, type ScorePost } from './support/lti-platform.js';
import { answersFor, Tool, type OutboxEntry } from './support/lti-tool.js';

const open: { platform?: LtiPlatform; tool?: Tool }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.tool?.stop('SIGKILL');
    await o.platform?.close();
  }
});

async function setup(args: string[] = []): Promise<{ platform: LtiPlatform; tool: Tool }> {
  const platform = await LtiPlatform.start();
  const entry: { platform?: LtiPlatform; tool?: Tool } = { platform };
  open.push(entry);
  const tool = await Tool.start({ platforms: platform.registrations(), args: ['--max-attempts', '10', '--counts', 'last', ...args] });
  entry.tool = tool;
  platform.useTool(tool.base);
  return { platform, tool };
}

async function learner(platform: LtiPlatform, tool: Tool, sub: string, lineitem: string) {
  const r = await platform.launch(tool.base, { sub, lineitem });
  expect(r.status, `${r.status} ${r.html.slice(0, 500)}`).toBe(200);
  expect(r.session).toBeTruthy();
  const session = await tool.session(r.session!);
  return { token: r.session!, session, parts: await tool.parts(session.worksheet) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ratioOf = (p: { scoreGiven: unknown; scoreMaximum: unknown }) => (p.scoreGiven as number) / (p.scoreMaximum as number);
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

async function waitOutbox(tool: Tool, probe: (entries: OutboxEntry[]) => boolean, ms: number, what: string): Promise<OutboxEntry[]> {
  const end = Date.now() + ms;
  let last: OutboxEntry[] = [];
  for (;;) {
    last = await tool.outbox();
    if (probe(last)) return last;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; outbox: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

describe('the LTI outbox', () => {
  it('while the token endpoint is down, scores waiting for it ask for a token together, not each on its own; all arrive once it is back', async () => {
    const { platform, tool } = await setup();
    platform.fail('token', { status: 503 });
    // one resource link, one line item: five students' scores
    const li = platform.lineItemUrl(30, 1);
    const learners = await Promise.all(['w1', 'w2', 'w3', 'w4', 'w5'].map((sub) => learner(platform, tool, sub, li)));
    for (const l of learners) expect((await tool.submit(l.token, answersFor(l.parts, 2))).status).toBe(201);
    await sleep(7000);
    const asked = platform.tokenRequests.length;
    // 5 scores, each on its own backoff (tries at about 0, 1, 2, 4 s) would ask ~20 times in 7 s; together, ~5
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(8);
    platform.fail('token', null);
    for (const sub of ['w1', 'w2', 'w3', 'w4', 'w5']) await platform.waitFor(() => platform.scoreOf(li, sub), 45_000, `the score of ${sub}`);
  }, 90_000);

  it('the token endpoint down (503), gradsheet killed and restarted while it is down: the score arrives once the platform is back', async () => {
    const { platform, tool } = await setup();
    const li = platform.lineItemUrl(1, 1);
    platform.fail('token', { status: 503 });
    const { token, parts } = await learner(platform, tool, 'down-user', li);
    const sent = await tool.submit(token, answersFor(parts, 3));
    expect(sent.status, sent.text).toBe(201);
    const want = sent.body.result.score / sent.body.result.max;
    await platform.waitFor(() => platform.tokenRequests.length >= 1, 30_000, 'a token request');
    const pending = await tool.outbox();
    const mine = pending.filter((e) => e.userId === 'down-user');
    expect(mine.length, JSON.stringify(pending)).toBeGreaterThan(0);
    expect(mine.map((e) => e.status)).toContain('pending');
    expect(mine.map((e) => e.status)).not.toContain('failed');
    expect(platform.scorePosts).toEqual([]);

    await tool.stop('SIGKILL');
    await tool.restart();
    const asked = platform.tokenRequests.length;
    // still down after the restart: the tool asks again (it remembered the score), and nothing is failed
    await platform.waitFor(() => platform.tokenRequests.length > asked, 60_000, 'a token request after the restart');
    expect((await tool.outbox()).filter((e) => e.userId === 'down-user').map((e) => e.status)).not.toContain('failed');

    platform.fail('token', null);
    const held = await platform.waitFor(() => platform.scoreOf(li, 'down-user'), 90_000, 'the score after the platform came back');
    expect(ratioOf(held)).toBeCloseTo(want, 9);
    await waitOutbox(tool, (es) => es.some((e) => e.userId === 'down-user' && e.status === 'sent'), 10_000, 'the entry sent');
  }, 180_000);

  it('429 with Retry-After: the next try waits at least that long, then the score arrives', async () => {
    const { platform, tool } = await setup();
    const li = platform.lineItemUrl(1, 2);
    platform.fail('scores', { status: 429, retryAfter: 3, times: 1 });
    const { token, parts } = await learner(platform, tool, 'busy-user', li);
    const sent = await tool.submit(token, answersFor(parts, 2));
    expect(sent.status, sent.text).toBe(201);
    const held = await platform.waitFor(() => platform.scoreOf(li, 'busy-user'), 45_000, 'the score after the 429');
    expect(ratioOf(held)).toBeCloseTo(sent.body.result.score / sent.body.result.max, 9);
    const posts = platform.scorePosts.filter((p) => p.body?.userId === 'busy-user');
    expect(posts[0]!.status).toBe(429);
    const next = posts.find((p, i) => i > 0)!;
    expect(next.at - posts[0]!.at).toBeGreaterThanOrEqual(2_900);
    expect((await tool.outbox()).filter((e) => e.userId === 'busy-user').map((e) => e.status)).toContain('sent');
  }, 90_000);

  it('a 400 from the scores endpoint: failed, the platform\'s answer shown (API and CLI), not retried; --resend sends it once the platform is fixed', async () => {
    const { platform, tool } = await setup();
    const li = platform.lineItemUrl(1, 3);
    const said = 'User refused-user is not enrolled in course 1 (Incorrect score received)';
    platform.fail('scores', { status: 400, message: said });
    const { token, parts } = await learner(platform, tool, 'refused-user', li);
    const sent = await tool.submit(token, answersFor(parts, 4));
    expect(sent.status, sent.text).toBe(201);
    const want = sent.body.result.score / sent.body.result.max;
    const entries = await waitOutbox(tool, (es) => es.some((e) => e.userId === 'refused-user' && e.status === 'failed'), 30_000, 'the entry failed');
    const failed = entries.find((e) => e.userId === 'refused-user' && e.status === 'failed')!;
    expect(String(failed.lastError)).toContain('not enrolled in course 1');
    expect(failed.scoreGiven).toBeGreaterThan(0);

    // not retried: the number of posts stays put
    const tries = platform.scorePosts.filter((p) => p.body?.userId === 'refused-user').length;
    await sleep(4_000);
    expect(platform.scorePosts.filter((p) => p.body?.userId === 'refused-user').length).toBe(tries);

    const listed = tool.cli(['outbox']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(String(failed.id));
    expect(listed.stdout).toContain('not enrolled in course 1');
    expect(listed.stdout).toMatch(/failed/i);

    platform.fail('scores', null);
    const resent = tool.cli(['outbox', '--resend', String(failed.id)]);
    expect(resent.code, resent.stderr + resent.stdout).toBe(0);
    // whether the running server notices at once is not fixed: give it a while, then restart it
    let held = await platform.waitFor(() => platform.scoreOf(li, 'refused-user'), 15_000, 'the resent score').catch(() => undefined);
    if (!held) {
      await tool.stop('SIGTERM');
      await tool.restart();
      held = await platform.waitFor(() => platform.scoreOf(li, 'refused-user'), 60_000, 'the resent score after a restart');
    }
    expect(ratioOf(held)).toBeCloseTo(want, 9);
    await waitOutbox(tool, (es) => es.some((e) => String(e.id) === String(failed.id) && e.status === 'sent'), 10_000, 'the resent entry sent');
  }, 150_000);

  it('two submissions (counts last), the first\'s send delayed and retried: the platform ends with the second\'s score', async () => {
    const { platform, tool } = await setup();
    const li = platform.lineItemUrl(1, 4);
    platform.fail('scores', { status: 503 });
    const { token, parts } = await learner(platform, tool, 'twice-user', li);
    const first = await tool.submit(token, answersFor(parts, 6));
    expect(first.status, first.text).toBe(201);
    await platform.waitFor(() => platform.scorePosts.some((p) => p.body?.userId === 'twice-user'), 30_000, 'the first score tried');
    const second = await tool.submit(token, answersFor(parts, 2));
    expect(second.status, second.text).toBe(201);
    expect(second.body.attempt).toBe(2);
    const r1 = first.body.result.score / first.body.result.max, r2 = second.body.result.score / second.body.result.max;
    expect(r2).toBeLessThan(r1); // so that "last" is not "best"
    await sleep(1_000);
    platform.fail('scores', null);
    await platform.waitFor(() => { const h = platform.scoreOf(li, 'twice-user'); return h && close(ratioOf(h), r2); }, 60_000, 'the second score held');
    await sleep(4_000);
    expect(ratioOf(platform.scoreOf(li, 'twice-user')!)).toBeCloseTo(r2, 9);
    expectNeverOlderOverNewer(platform.scorePosts.filter((p) => p.body?.userId === 'twice-user'), r1, r2);
    const mine = (await tool.outbox()).filter((e) => e.userId === 'twice-user');
    expect(mine.map((e) => e.status)).not.toContain('failed');
    expect(mine.map((e) => e.status)).not.toContain('pending');
    expect(mine.filter((e) => e.status === 'sent').some((e) => close(ratioOf(e as never), r2) || close(e.scoreGiven, second.body.result.score))).toBe(true);
  }, 120_000);

  it('a resend of an older failed score never replaces the newer score the platform holds', async () => {
    const { platform, tool } = await setup();
    const li = platform.lineItemUrl(1, 5);
    platform.fail('scores', { status: 400, message: 'Temporarily not gradable' });
    const { token, parts } = await learner(platform, tool, 'older-user', li);
    const first = await tool.submit(token, answersFor(parts, 6));
    expect(first.status, first.text).toBe(201);
    const entries = await waitOutbox(tool, (es) => es.some((e) => e.userId === 'older-user' && e.status === 'failed'), 30_000, 'the first entry failed');
    const old = entries.find((e) => e.userId === 'older-user' && e.status === 'failed')!;
    platform.fail('scores', null);
    const second = await tool.submit(token, answersFor(parts, 2));
    expect(second.status, second.text).toBe(201);
    const r1 = first.body.result.score / first.body.result.max, r2 = second.body.result.score / second.body.result.max;
    expect(r2).toBeLessThan(r1);
    await platform.waitFor(() => { const h = platform.scoreOf(li, 'older-user'); return h && close(ratioOf(h), r2); }, 30_000, 'the second score held');
    tool.cli(['outbox', '--resend', String(old.id)]); // refusing is as good as sending it with its own (older) timestamp
    await tool.stop('SIGTERM');
    await tool.restart();
    await sleep(6_000);
    expect(ratioOf(platform.scoreOf(li, 'older-user')!)).toBeCloseTo(r2, 9);
    expectNeverOlderOverNewer(platform.scorePosts.filter((p) => p.body?.userId === 'older-user'), r1, r2);
  }, 120_000);
});

/** no post of the older score (r1) carries a timestamp newer than a post of the newer score (r2) */
function expectNeverOlderOverNewer(posts: ScorePost[], r1: number, r2: number): void {
  const newer = posts.filter((p) => p.body && close(ratioOf(p.body as never), r2)).map((p) => Date.parse(p.body!.timestamp as string));
  const older = posts.filter((p) => p.body && close(ratioOf(p.body as never), r1)).map((p) => Date.parse(p.body!.timestamp as string));
  expect(newer.length).toBeGreaterThan(0);
  for (const t of older) expect(t).toBeLessThan(Math.min(...newer));
}
