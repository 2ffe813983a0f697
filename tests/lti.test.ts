/**
 * gradsheet as an LTI 1.3 Advantage tool, end to end: a real `gradsheet serve --lti-config …` child
 * (dist/cli.js, SQLite in a temporary --data folder) launched from the in-process platform of
 * tests/support/lti-platform.ts. The login redirect; a learner's launch, session, submission and the
 * score passed back by AGS (client assertion, cached token, line-item URL with a query string, a
 * line item created when the launch has none); a stable worksheet code; every launch rejection, in a
 * sentence and without a stack; the tool's JWKS and key rotation; deep linking; the teacher's view;
 * two registrations sharing an issuer.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DL_ITEMS, formsOf, LTI, LtiPlatform, newSigner, ROLE, SCOPE, SCORE_TYPE, LINEITEM_TYPE, type LaunchResult } from './support/lti-platform.js';
import { answersFor, Tool } from './support/lti-tool.js';

let platform: LtiPlatform, shared: LtiPlatform, tool: Tool;
const SHARED_ISSUER = 'https://lms.example.edu';

beforeAll(async () => {
  platform = await LtiPlatform.start();
  // three registrations under one issuer (all Canvas cloud sites share theirs): b3 is kept unused until the key rotation
  shared = await LtiPlatform.start({ issuer: SHARED_ISSUER, clients: [
    { clientId: 'b1-client', deploymentIds: ['b1-dep'] },
    { clientId: 'b2-client', deploymentIds: ['b2-dep', 'b2-dep-extra'] },
    { clientId: 'b3-client', deploymentIds: ['b3-dep'] },
  ] });
  tool = await Tool.start({ platforms: [...platform.registrations(), ...shared.registrations()], args: ['--max-attempts', '10', '--counts', 'last'] });
  platform.useTool(tool.base);
  shared.useTool(tool.base);
}, 120_000);
afterAll(async () => {
  await tool?.stop('SIGTERM');
  await platform?.close();
  await shared?.close();
});

async function toolJwks(): Promise<{ keys: JWK[] }> {
  const res = await fetch(`${tool.base}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return await res.json() as { keys: JWK[] };
}

/** a refusal: 401 or 403, an HTML page or problem+json, naming what failed (`what`), without a stack trace or a session */
function expectRefused(r: LaunchResult, what: RegExp): void {
  const info = `${r.status} ${r.contentType} ${r.html.slice(0, 600)}`;
  expect([401, 403], info).toContain(r.status);
  expect(r.contentType, info).toMatch(/text\/html|application\/problem\+json/);
  const text = r.html.replace(/<[^>]*>/g, ' ');
  expect(text, info).toMatch(what);
  expect(r.html, info).not.toMatch(/\n\s*at\s+\S/);
  expect(r.html, info).not.toMatch(/\.(ts|js|mjs|cjs):\d+/);
  expect(r.session, info).toBeUndefined();
}

/** a learner launch that must succeed; returns the session token and the session */
async function learner(p: LtiPlatform, opts: Parameters<LtiPlatform['launch']>[1]) {
  const r = await p.launch(tool.base, opts);
  expect(r.status, `${r.status} ${r.html.replace(/<style>[^]*<\/style>/, "").slice(0, 900)}`).toBe(200);
  expect(r.contentType).toMatch(/text\/html/);
  expect(r.session, r.html.slice(0, 500)).toBeTruthy();
  return { r, token: r.session!, session: await tool.session(r.session!) };
}

const ratio = (a: number, b: number) => a / b;

describe('OIDC login initiation', () => {
  for (const method of ['GET', 'POST'] as const) {
    it(`${method} /lti/login redirects to the platform's auth URL with the OIDC parameters`, async () => {
      const hint = 'opaque hint/é?x=1&y=2';
      const a = await platform.login(tool.base, { sub: 'login-user', messageHint: hint, loginMethod: method });
      expect(a.status, a.body.slice(0, 300)).toBe(302);
      expect(a.location!.split('?')[0]).toBe(platform.authLoginUrl);
      const q = a.redirect!;
      expect(q.get('scope')).toBe('openid');
      expect(q.get('response_type')).toBe('id_token');
      expect(q.get('response_mode')).toBe('form_post');
      expect(q.get('prompt')).toBe('none');
      expect(q.get('client_id')).toBe(platform.clientId);
      expect(q.get('redirect_uri')).toBe(`${tool.base}/lti/launch`);
      expect(q.get('login_hint')).toBe('hint-login-user');
      expect(q.get('lti_message_hint')).toBe(hint);
      expect(q.get('state')).toBeTruthy();
      expect(q.get('nonce')).toBeTruthy();
      const b = await platform.login(tool.base, { sub: 'login-user', messageHint: hint, loginMethod: method });
      expect(b.redirect!.get('nonce')).not.toBe(q.get('nonce'));
      expect(b.redirect!.get('state')).not.toBe(q.get('state'));
    });
  }
});

describe('a learner launch, a submission, the score passed back', () => {
  it('launch → session → submit → the platform holds the score (AGS score content)', async () => {
    const li = platform.lineItemUrl(1, 1);
    const { token, session } = await learner(platform, { sub: 'learner-flow', lineitem: li, custom: { bank: 'midterm' } });
    expect(session.worksheet).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(session.bank).toBe('midterm');
    expect(session.student).toBeTruthy();
    expect(session.attemptsUsed).toBe(0);
    expect(session.maxAttempts).toBe(10);
    expect(session.due).toBeNull();
    const parts = await tool.parts(session.worksheet);
    const sent = await tool.submit(token, answersFor(parts, 4));
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body.attempt).toBe(1);
    const { score, max } = sent.body.result;
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(max);

    const held = await platform.waitFor(() => platform.scoreOf(li, 'learner-flow'), 20_000, 'the score of learner-flow');
    expect(ratio(held.scoreGiven, held.scoreMaximum)).toBeCloseTo(ratio(score, max), 6);
    expect(held.scoreMaximum).toBeGreaterThan(0);
    expect(held.gradingProgress).toBe('FullyGraded');
    expect(['Submitted', 'Completed']).toContain(held.activityProgress);
    expect(Math.abs(Date.parse(held.timestamp) - Date.now())).toBeLessThan(120_000);
    const post = platform.scorePosts.find((p) => p.path === '/api/lti/courses/1/line_items/1/scores' && p.outcome === 'stored')!;
    expect(post.contentType.startsWith(SCORE_TYPE)).toBe(true);
    expect(post.problems).toEqual([]);
    expect(post.query).toBe('');
    expect(post.body!.userId).toBe('learner-flow');
    expect((await tool.session(token)).attemptsUsed).toBe(1);
    // a session is a student's, not a failed teacher token: the audit log (stderr here) has no line for it
    expect(tool.stderr).not.toMatch(/invalid-token/);
    // and it opens no teacher route
    const teacherRoute = await fetch(`${tool.base}/api/v1/gradebook.csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(teacherRoute.status).toBe(401);
  }, 60_000);

  it('the client assertion: RS256 with a kid of the tool JWKS, iss = sub = client id, aud = the token URL, a jti, exp ahead; the token asked with the score scope', async () => {
    const good = platform.tokenRequests.filter((t) => t.status === 200);
    expect(good.length, JSON.stringify(platform.tokenRequests.map((t) => t.problems))).toBeGreaterThan(0);
    expect(platform.tokenRequests.flatMap((t) => t.problems)).toEqual([]);
    const kids = (await toolJwks()).keys.map((k) => k.kid);
    for (const t of good) {
      expect(t.header!.alg).toBe('RS256');
      expect(kids).toContain(t.header!.kid);
      expect(t.claims!.iss).toBe(platform.clientId);
      expect(t.claims!.sub).toBe(platform.clientId);
      expect([t.claims!.aud].flat()).toContain(platform.tokenUrl);
      expect(typeof t.claims!.jti).toBe('string');
      expect(t.claims!.exp! * 1000).toBeGreaterThan(t.at);
      expect(t.form.grant_type).toBe('client_credentials');
      expect(t.form.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(t.scope!.split(' ')).toContain(SCOPE.score);
    }
    const jtis = good.map((t) => t.claims!.jti);
    expect(new Set(jtis).size).toBe(jtis.length);
  });

  it('works without the state cookie (third-party cookies blocked): the state is checked without it', async () => {
    const { session } = await learner(platform, { sub: 'no-cookie', cookies: false });
    expect(session.worksheet).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });

  it('the token is cached: three scores, at most one new token request, one bearer token', async () => {
    const li = platform.lineItemUrl(1, 2);
    const { token, session } = await learner(platform, { sub: 'learner-cache', lineitem: li });
    const parts = await tool.parts(session.worksheet);
    const before = platform.tokenRequests.length;
    for (const [i, right] of [1, 3, 5].entries()) {
      const sent = await tool.submit(token, answersFor(parts, right));
      expect(sent.status, sent.text).toBe(201);
      expect(sent.body.attempt).toBe(i + 1);
      const want = ratio(sent.body.result.score, sent.body.result.max);
      await platform.waitFor(() => {
        const h = platform.scoreOf(li, 'learner-cache');
        return h && Math.abs(ratio(h.scoreGiven, h.scoreMaximum) - want) < 1e-9;
      }, 20_000, `score ${i + 1} of learner-cache`);
    }
    expect(platform.tokenRequests.length - before).toBeLessThanOrEqual(1);
    const posts = platform.scorePosts.filter((p) => p.path === '/api/lti/courses/1/line_items/2/scores' && p.status === 200);
    expect(posts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(posts.map((p) => p.authorization)).size).toBe(1);
  }, 90_000);

  it('a Canvas line-item URL with a query string: /scores goes before the query', async () => {
    const li = platform.lineItemUrl(1, 7, 'foo=bar');
    const { token, session } = await learner(platform, { sub: 'learner-query', lineitem: li });
    const sent = await tool.submit(token, answersFor(await tool.parts(session.worksheet), 2));
    expect(sent.status, sent.text).toBe(201);
    await platform.waitFor(() => platform.scoreOf(li, 'learner-query'), 20_000, 'the score at line item 7');
    const posts = platform.scorePosts.filter((p) => p.body?.userId === 'learner-query');
    expect(posts.map((p) => [p.path, p.query])).toContainEqual(['/api/lti/courses/1/line_items/7/scores', 'foo=bar']);
    for (const p of posts) expect(p.path).toBe('/api/lti/courses/1/line_items/7/scores');
  }, 60_000);

  it('a launch with line items but no line item: the tool creates one (scoreMaximum = the bank\'s points) and posts the score to its id', async () => {
    const { token, session } = await learner(platform, { sub: 'learner-create', lineitems: platform.lineItemsUrl(2), resourceLink: { id: 'rl-create', title: 'Midterm (created)' } });
    const sent = await tool.submit(token, answersFor(await tool.parts(session.worksheet), 3));
    expect(sent.status, sent.text).toBe(201);
    const created = await platform.waitFor(() => platform.lineItemPosts.find((p) => p.status === 201), 20_000, 'a line item created');
    expect(created.path).toBe('/api/lti/courses/2/line_items');
    expect(created.contentType.startsWith(LINEITEM_TYPE)).toBe(true);
    expect(created.problems).toEqual([]);
    expect(created.body!.scoreMaximum).toBe(sent.body.result.max);
    const held = await platform.waitFor(() => platform.scoreOf(created.id!, 'learner-create'), 20_000, 'the score at the created line item');
    expect(ratio(held.scoreGiven, held.scoreMaximum)).toBeCloseTo(ratio(sent.body.result.score, sent.body.result.max), 6);
    expect(platform.scorePosts.filter((p) => p.body?.userId === 'learner-create').map((p) => p.path)).toContain(`${new URL(created.id!).pathname}/scores`);
  }, 60_000);

  it('the worksheet code is stable across launches of the same user and differs between users', async () => {
    const a1 = await learner(platform, { sub: 'stable-a' });
    const a2 = await learner(platform, { sub: 'stable-a', resourceLink: { id: 'rl-1', title: 'Midterm' } });
    const b = await learner(platform, { sub: 'stable-b' });
    expect(a2.session.worksheet).toBe(a1.session.worksheet);
    expect(b.session.worksheet).not.toBe(a1.session.worksheet);
  });

  it('aud as an array with azp = the client id is accepted', async () => {
    const { session } = await learner(platform, { sub: 'aud-array', aud: [platform.clientId, 'https://other.example/aud'] });
    expect(session.worksheet).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });
});

describe('launch rejections: 401/403 naming what failed, never a stack', () => {
  it('signed by another key with the same kid', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'bad-sig', signer: await newSigner(platform.signer.kid) }), /signature/i);
  });
  it('a tampered payload', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'tampered', tamperPayload: true }), /signature/i);
  });
  it('a wrong audience', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'wrong-aud', aud: 'someone-else' }), /aud/i);
  });
  it('an array audience whose azp is not the client id', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'wrong-azp', aud: [platform.clientId, 'other'], azp: 'other' }), /azp|authori[sz]ed party|aud/i);
  });
  it('expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(await platform.launch(tool.base, { sub: 'expired', exp: now - 600, iat: now - 900 }), /expir|exp\b/i);
  });
  it('a replayed id_token (the nonce used twice)', async () => {
    const first = await platform.launch(tool.base, { sub: 'replay' });
    expect(first.status, first.html.slice(0, 300)).toBe(200);
    const again = await platform.postLaunch(tool.base, first.idToken, first.state, first.cookie);
    expectRefused(again, /nonce|replay|already|used|once|state/i);
  });
  it('an unknown deployment id', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'dep', deploymentId: 'dep-unknown' }), /deployment/i);
  });
  for (const mt of ['LtiSubmissionReviewRequest', 'garbage']) {
    it(`message type ${mt}`, async () => {
      expectRefused(await platform.launch(tool.base, { sub: 'mt', messageType: mt, resourceLink: { id: 'rl-1' } }), /message.?type|message/i);
    });
  }
  it('version 1.1.0', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'ver', version: '1.1.0' }), /version/i);
  });
  it('no state', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'nostate', state: null }), /state/i);
  });
  it('a forged state', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'forged', state: `forged-${Date.now()}`, cookies: false }), /state/i);
  });
  it('a tampered state (one character changed)', async () => {
    const login = await platform.login(tool.base, { sub: 'tampered-state' });
    const real = login.redirect!.get('state')!;
    const i = Math.floor(real.length / 2);
    const forged = real.slice(0, i) + (real[i] === 'A' ? 'B' : 'A') + real.slice(i + 1);
    const claims = platform.claimsFor({ sub: 'tampered-state' }, login.redirect!.get('nonce')!, platform.clientId);
    claims[`${LTI}target_link_uri`] = login.targetLinkUri;
    const r = await platform.postLaunch(tool.base, await platform.sign(claims), forged);
    expectRefused(r, /state/i);
  });
  it('no sub', async () => {
    expectRefused(await platform.launch(tool.base, { sub: null }), /sub|subject|claim/i);
  });
  it('no resource_link in a resource-link launch', async () => {
    expectRefused(await platform.launch(tool.base, { sub: 'nolink', resourceLink: null }), /resource.?link|claim/i);
  });
});

describe('the tool\'s keys', () => {
  it('GET /.well-known/jwks.json: public RSA keys with a kid, no private members', async () => {
    const { keys } = await toolJwks();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k.kty).toBe('RSA');
      expect(typeof k.kid).toBe('string');
      expect(k.n).toBeTruthy();
      expect(k.e).toBeTruthy();
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(k, secret).not.toHaveProperty(secret);
    }
  });
});

describe('deep linking', () => {
  it('an instructor picks the bank; the answer auto-posts a signed LtiDeepLinkingResponse to the return URL', async () => {
    const returnUrl = `${platform.base}/courses/1/deep_linking_response?modal=true`;
    const r = await platform.launch(tool.base, { sub: 'teacher-dl', roles: [ROLE.instructor], messageType: 'LtiDeepLinkingRequest', resourceLink: null, deepLinking: { returnUrl, data: 'opaque-data-123' } });
    expect(r.status, r.html.slice(0, 500)).toBe(200);
    expect(r.contentType).toMatch(/text\/html/);
    const form = formsOf(r.html).find((f) => new URL(f.action || '.', tool.base).pathname === '/lti/deep-link');
    expect(form, r.html.slice(0, 2000)).toBeDefined();
    const banks = [...(form!.selects.bank ?? []), ...(form!.radios.bank ?? [])];
    expect(banks).toContain('midterm');
    const cookie = [r.cookie, r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')].filter(Boolean).join('; ');
    const res = await fetch(new URL(form!.action, tool.base), {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams({ ...form!.fields, bank: 'midterm' }).toString(),
    });
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(200);
    const back = formsOf(html).find((f) => f.action === returnUrl);
    expect(back, html.slice(0, 2000)).toBeDefined();
    expect(back!.method).toBe('post');
    const jwt = back!.fields.JWT;
    expect(jwt).toBeTruthy();
    expect(html).toMatch(/submit\s*\(/i);
    const { payload, protectedHeader } = await jwtVerify(jwt!, createLocalJWKSet(await toolJwks()), { issuer: platform.clientId, audience: platform.issuer, algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload[`${LTI}message_type`]).toBe('LtiDeepLinkingResponse');
    expect(payload[`${LTI}version`]).toBe('1.3.0');
    expect(payload[`${LTI}deployment_id`]).toBe(platform.deploymentId);
    expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/data']).toBe('opaque-data-123');
    const items = payload[DL_ITEMS] as { type: string; custom?: Record<string, string>; lineItem?: { scoreMaximum: number } }[];
    expect(items).toHaveLength(1);
    expect(items[0]!.type).toBe('ltiResourceLink');
    expect(items[0]!.custom?.bank).toBe('midterm');
    expect(items[0]!.lineItem?.scoreMaximum).toBeGreaterThan(0);
  });

  it('a learner sending a deep-linking request is refused (403)', async () => {
    const r = await platform.launch(tool.base, { sub: 'learner-dl', roles: [ROLE.learner], messageType: 'LtiDeepLinkingRequest', resourceLink: null, deepLinking: { returnUrl: `${platform.base}/dl`, data: 'x' } });
    expect(r.status, r.html.slice(0, 300)).toBe(403);
    expectRefused(r, /\w+/);
  });
});

describe('the instructor\'s view', () => {
  it('an instructor resource-link launch shows the teacher view, not a worksheet', async () => {
    const r = await platform.launch(tool.base, { sub: 'teacher-1', roles: [ROLE.instructor], lineitem: platform.lineItemUrl(1, 1) });
    expect(r.status, r.html.slice(0, 500)).toBe(200);
    expect(r.contentType).toMatch(/text\/html/);
    expect(r.html).toMatch(/submission|gradebook/i);
    expect(r.html).not.toMatch(/data-part=/);
  });
});

describe('what a session may do', () => {
  const sessionOfPage = (html: string) => /name="session" value="([^"]+)"/.exec(html)?.[1];

  it('a launched student\'s worksheet opens, checks and submits only through their session (not by code and id); an instructor\'s session submits nothing', async () => {
    const { token, session } = await learner(platform, { sub: 'guarded', lineitem: platform.lineItemUrl(21, 1) });
    const body = JSON.stringify({ format: 'gradsheet.submission/1', worksheet: session.worksheet, student: session.student, answers: {} });
    for (const path of ['/api/v1/submissions', '/api/v1/grade']) {
      const res = await fetch(`${tool.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status, path).toBe(403);
      expect((await res.json()).detail).toMatch(/launched from a course/);
    }
    const open = await fetch(`${tool.base}/api/v1/worksheets/${session.worksheet}?student=${session.student}`);
    expect(open.status).toBe(403);
    // the teacher's token still may (bulk grading, the key)
    expect((await tool.teacher('/api/v1/grade', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    expect((await tool.session(token)).attemptsUsed).toBe(0);
    const teacher = await platform.launch(tool.base, { sub: 'guard-teacher', roles: [ROLE.instructor], lineitem: platform.lineItemUrl(21, 1) });
    const instructor = sessionOfPage(teacher.html)!;
    expect(instructor).toBeTruthy();
    const submitted = await fetch(`${tool.base}/api/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${instructor}` }, body: JSON.stringify({ answers: {} }) });
    expect(submitted.status).toBe(403);
  }, 60_000);

  it('an instructor\'s session reads and resends only its own link\'s outbox; the teacher token reads all', async () => {
    const a = await learner(platform, { sub: 'outbox-a', lineitem: platform.lineItemUrl(22, 1), resourceLink: { id: 'rl-outbox-a' } });
    const b = await learner(platform, { sub: 'outbox-b', lineitem: platform.lineItemUrl(23, 1), resourceLink: { id: 'rl-outbox-b' } });
    for (const l of [a, b]) expect((await tool.submit(l.token, answersFor(await tool.parts(l.session.worksheet), 1))).status).toBe(201);
    const teacherA = sessionOfPage((await platform.launch(tool.base, { sub: 'outbox-teacher', roles: [ROLE.instructor], lineitem: platform.lineItemUrl(22, 1), resourceLink: { id: 'rl-outbox-a' } })).html)!;
    const mine = await (await fetch(`${tool.base}/api/v1/lti/outbox`, { headers: { authorization: `Bearer ${teacherA}` } })).json() as { outbox: { id: string; userId: string; linkId: string }[] };
    expect(mine.outbox.map((e) => e.userId)).toEqual(['outbox-a']);
    const all = await (await tool.teacher('/api/v1/lti/outbox')).json() as { outbox: { id: string; userId: string }[] };
    const other = all.outbox.find((e) => e.userId === 'outbox-b')!;
    expect(other).toBeTruthy();
    const resend = await fetch(`${tool.base}/api/v1/lti/outbox/${other.id}/resend`, { method: 'POST', headers: { authorization: `Bearer ${teacherA}` } });
    expect(resend.status).toBe(404);
    const learnerLook = await fetch(`${tool.base}/api/v1/lti/outbox`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(learnerLook.status).toBe(403);
  }, 60_000);

  it('the page may be framed by the origin the launch returns to (Canvas\'s issuer is not the school\'s site)', async () => {
    const r = await learner(platform, { sub: 'framed', claims: { [`${LTI}launch_presentation`]: { return_url: 'https://school.example.edu/courses/7/assignments/3', document_target: 'iframe' } } });
    const csp = r.r.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors [^;]*https:\/\/school\.example\.edu/);
    expect(csp).toMatch(new RegExp(`frame-ancestors [^;]*${new URL(platform.base).origin.replace(/[.]/g, '\\.')}`));
  });

  it('a platform whose key set cannot be read: 503 with a sentence, not a refused launch', async () => {
    const down = await LtiPlatform.start({ issuer: 'https://keys-down.example' });
    try {
      const t = await Tool.start({ platforms: down.registrations() });
      try {
        down.useTool(t.base);
        down.jwksStatus = 500;
        const r = await down.launch(t.base, { sub: 'x' });
        expect(r.status, r.html.slice(0, 300)).toBe(503);
        expect(r.html).toMatch(/keys could not be read/);
        down.jwksStatus = 200;
        const ok = await down.launch(t.base, { sub: 'y' });
        expect(ok.status).toBe(200);
      } finally {
        await t.stop('SIGTERM');
      }
    } finally {
      await down.close();
    }
  }, 60_000);
});

describe('two registrations sharing one issuer', () => {
  it('each client launches with its own deployments; a deployment of the other client is refused; scores use the launch\'s client', async () => {
    const li = shared.lineItemUrl(5, 1);
    const one = await learner(shared, { clientId: 'b1-client', sub: 'shared-user', lineitem: li });
    const two = await learner(shared, { clientId: 'b2-client', sub: 'shared-user-2', deploymentId: 'b2-dep-extra', loginDeploymentId: 'b2-dep-extra', lineitem: shared.lineItemUrl(6, 1) });
    expect(one.session.worksheet).not.toBe(two.session.worksheet);
    expectRefused(await shared.launch(tool.base, { clientId: 'b2-client', sub: 'shared-x', deploymentId: 'b1-dep' }), /deployment/i);
    const sent = await tool.submit(two.token, answersFor(await tool.parts(two.session.worksheet), 2));
    expect(sent.status, sent.text).toBe(201);
    await shared.waitFor(() => shared.scoreOf(shared.lineItemUrl(6, 1), 'shared-user-2'), 20_000, 'the b2 score');
    const asked = shared.tokenRequests.filter((t) => t.status === 200);
    expect(asked.map((t) => t.claims!.iss)).toContain('b2-client');
    expect(shared.tokenRequests.flatMap((t) => t.problems)).toEqual([]);
  }, 60_000);

  it('the platform\'s new signing key (unknown kid) is fetched from its JWKS', async () => {
    shared.signer = await newSigner();
    await learner(shared, { clientId: 'b1-client', sub: 'after-platform-rotation' });
  });
});

describe('key rotation (gradsheet lti rotate-key)', () => {
  it('the JWKS keeps the old key and adds the new one; new client assertions use the new kid', async () => {
    const before = (await toolJwks()).keys.map((k) => k.kid!);
    await tool.stop('SIGTERM');
    const rotated = tool.cli(['rotate-key']);
    expect(rotated.code, rotated.stderr).toBe(0);
    await tool.restart();
    const after = (await toolJwks()).keys.map((k) => k.kid!);
    for (const kid of before) expect(after).toContain(kid);
    const added = after.filter((k) => !before.includes(k));
    expect(added).toHaveLength(1);
    // b3 never asked for a token: its first assertion is made after the rotation
    const li = shared.lineItemUrl(7, 1);
    const { token, session } = await learner(shared, { clientId: 'b3-client', sub: 'after-rotation', lineitem: li });
    const sent = await tool.submit(token, answersFor(await tool.parts(session.worksheet), 2));
    expect(sent.status, sent.text).toBe(201);
    await shared.waitFor(() => shared.scoreOf(li, 'after-rotation'), 20_000, 'the score after the rotation');
    const b3 = shared.tokenRequests.filter((t) => t.claims?.iss === 'b3-client' && t.status === 200);
    expect(b3.length).toBeGreaterThan(0);
    for (const t of b3) expect(decodeProtectedHeader(t.form.client_assertion!).kid).toBe(added[0]);
  }, 90_000);
});
