/**
 * The test platform itself (tests/support/lti-platform.ts), against a hand-made "tool" (a JWKS on
 * node:http and assertions signed here): the token endpoint accepts a right client assertion and
 * refuses wrong ones, scores are kept per line item and user with an older timestamp ignored, the
 * failure switches fail as set, and the launch helper's id_token carries what the redirect asked.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_TYPE, formsOf, LTI, LtiPlatform, newSigner, SCOPE, SCORE_TYPE, sessionOf, type Signer } from './support/lti-platform.js';

let platform: LtiPlatform, tool: http.Server, toolBase: string, toolKey: Signer;
let lastLaunch: { idToken?: string; state?: string } = {};

beforeAll(async () => {
  platform = await LtiPlatform.start();
  toolKey = await newSigner('tool-1');
  const jwk = { ...(await exportJWK(toolKey.publicKey)), kid: toolKey.kid, alg: 'RS256', use: 'sig' };
  tool = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/.well-known/jwks.json') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })); return; }
    if (url.pathname === '/lti/login') {
      const q = new URLSearchParams({ scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none', client_id: url.searchParams.get('client_id')!, redirect_uri: `${toolBase}/lti/launch`, login_hint: url.searchParams.get('login_hint')!, state: 'st-1', nonce: 'n-1', lti_message_hint: url.searchParams.get('lti_message_hint')! });
      res.writeHead(302, { location: `${platform.authLoginUrl}?${q}`, 'set-cookie': 'lti_state=st-1; HttpOnly' }).end();
      return;
    }
    if (url.pathname === '/lti/launch') {
      let body = '';
      req.on('data', (c) => { body += String(c); });
      req.on('end', () => {
        const f = new URLSearchParams(body);
        lastLaunch = { idToken: f.get('id_token') ?? undefined, state: f.get('state') ?? undefined };
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><meta name="gradsheet-session" content="sess&amp;1"></head><body><form action="/x" method="post"><input type="hidden" name="a" value="1&quot;"><select name="bank"><option value="midterm">Midterm<option value="other">O</select></form></body></html>');
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => tool.listen(0, '127.0.0.1', r));
  toolBase = `http://127.0.0.1:${(tool.address() as AddressInfo).port}`;
  platform.useTool(toolBase);
});
afterAll(async () => {
  await platform.close();
  await new Promise((r) => tool.close(r));
});

async function assertion(claims: Record<string, unknown> = {}, signer = toolKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const base = { iss: platform.clientId, sub: platform.clientId, aud: platform.tokenUrl, iat: now, exp: now + 300, jti: randomUUID(), ...claims };
  for (const k of Object.keys(base)) if ((base as Record<string, unknown>)[k] === undefined) delete (base as Record<string, unknown>)[k];
  return new SignJWT(base).setProtectedHeader({ alg: 'RS256', kid: signer.kid }).sign(signer.privateKey);
}
async function token(clientAssertion: string, scope = `${SCOPE.score} ${SCOPE.lineitem}`): Promise<Response> {
  return fetch(platform.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, scope }).toString() });
}
const score = (url: string, access: string, body: Record<string, unknown>) => fetch(url, { method: 'POST', headers: { 'content-type': SCORE_TYPE, authorization: `Bearer ${access}` }, body: JSON.stringify(body) });

describe('the test platform', () => {
  it('gives a token for a right assertion, refuses a reused jti, a wrong aud, iss ≠ sub, an expired one, a foreign key', async () => {
    const good = await assertion({ jti: 'j-1' });
    const ok = await token(good);
    expect(ok.status).toBe(200);
    const t = await ok.json() as { access_token: string; token_type: string; expires_in: number };
    expect(t.token_type).toBe('Bearer');
    expect(t.expires_in).toBe(3600);
    expect((await token(good)).status).toBe(401);
    expect(platform.tokenRequests.at(-1)!.problems.join()).toMatch(/jti/);
    expect((await token(await assertion({ aud: 'https://elsewhere/token' }))).status).toBe(401);
    expect((await token(await assertion({ aud: [platform.tokenUrl, 'x'] }))).status).toBe(200);
    expect((await token(await assertion({ sub: 'someone' }))).status).toBe(401);
    expect((await token(await assertion({ exp: Math.floor(Date.now() / 1000) - 60 }))).status).toBe(401);
    expect((await token(await assertion({}, await newSigner('tool-1')))).status).toBe(401);
    expect((await token(await assertion({ jti: undefined }))).status).toBe(401);
  });

  it('keeps scores per line item and user, ignores an older timestamp, checks content type and token; a query string stays out of the key', async () => {
    const access = (await (await token(await assertion())).json() as { access_token: string }).access_token;
    const li = platform.lineItemUrl(1, 7, 'foo=bar');
    const scoresUrl = `${platform.base}/api/lti/courses/1/line_items/7/scores?foo=bar`;
    const body = (given: number, ts: string) => ({ userId: 'u1', scoreGiven: given, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: ts });
    expect((await score(scoresUrl, access, body(5, '2026-01-01T10:00:00.000Z'))).status).toBe(200);
    expect((await score(scoresUrl, access, body(3, '2026-01-01T09:00:00.000Z'))).status).toBe(200);
    expect(platform.scorePosts.at(-1)!.outcome).toBe('ignored');
    expect(platform.scoreOf(li, 'u1')!.scoreGiven).toBe(5);
    expect(platform.scorePosts.at(-1)!.query).toBe('foo=bar');
    expect((await score(scoresUrl, 'nope', body(7, '2026-01-01T11:00:00.000Z'))).status).toBe(400);
    const wrongType = await fetch(scoresUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` }, body: JSON.stringify(body(7, '2026-01-01T11:00:00.000Z')) });
    expect(wrongType.status).toBe(400);
    expect(platform.scoreOf(li, 'u1')!.scoreGiven).toBe(5);
  });

  it('fails as switched: 429 with Retry-After a number of times, 400 with a message, a dropped connection', async () => {
    const access = (await (await token(await assertion())).json() as { access_token: string }).access_token;
    const url = `${platform.base}/api/lti/courses/1/line_items/8/scores`;
    const body = { userId: 'u2', scoreGiven: 1, scoreMaximum: 2, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString() };
    platform.fail('scores', { status: 429, retryAfter: 2, times: 1 });
    const r1 = await score(url, access, body);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('2');
    expect((await score(url, access, body)).status).toBe(200);
    platform.fail('scores', { status: 400, message: 'User not in course' });
    const r2 = await score(url, access, body);
    expect([r2.status, await r2.text()]).toEqual([400, 'User not in course']);
    platform.fail('scores', { drop: true });
    await expect(score(url, access, body)).rejects.toThrow();
    platform.fail('scores', null);
    platform.fail('token', { status: 503 });
    expect((await token(await assertion())).status).toBe(503);
    platform.fail('token', null);
  });

  it('creates a line item and answers its id', async () => {
    const access = (await (await token(await assertion(), SCOPE.lineitem)).json() as { access_token: string }).access_token;
    const res = await fetch(platform.lineItemsUrl(2), { method: 'POST', headers: { 'content-type': 'application/vnd.ims.lis.v2.lineitem+json', authorization: `Bearer ${access}` }, body: JSON.stringify({ label: 'Midterm', scoreMaximum: 30 }) });
    expect(res.status).toBe(201);
    const item = await res.json() as { id: string; scoreMaximum: number };
    expect(item.id).toMatch(/\/api\/lti\/courses\/2\/line_items\/\d+$/);
    expect(item.scoreMaximum).toBe(30);
  });

  it('launch: the id_token carries the redirect\'s nonce, aud, the claims; state and cookie go back; the page\'s session and forms parse', async () => {
    const r = await platform.launch(toolBase, { sub: 's-9', custom: { bank: 'midterm' }, lineitem: platform.lineItemUrl(1, 7) });
    expect(r.status).toBe(200);
    expect(r.session).toBe('sess&1');
    expect(lastLaunch.state).toBe('st-1');
    expect(r.cookie).toBe('lti_state=st-1');
    const { payload } = await jwtVerify(lastLaunch.idToken!, createLocalJWKSet(await platform.jwks()), { audience: platform.clientId, issuer: platform.issuer });
    expect(payload.nonce).toBe('n-1');
    expect(payload.sub).toBe('s-9');
    expect(payload[`${LTI}version`]).toBe('1.3.0');
    expect(payload[`${LTI}target_link_uri`]).toBe(`${toolBase}/lti/launch`);
    expect(payload[`${LTI}custom`]).toEqual({ bank: 'midterm' });
    const noSub = await platform.launch(toolBase, { sub: null, state: null });
    expect(noSub.status).toBe(200);
    expect(lastLaunch.state).toBeUndefined();
    const decoded = JSON.parse(Buffer.from(lastLaunch.idToken!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect('sub' in decoded).toBe(false);
    const [form] = formsOf('<form action="/lti/deep-link?x=1&amp;y=2" method="POST"><input type=hidden name=t value="a&amp;b"><label><input type="radio" name="bank" value="midterm"> M</label><input type="radio" name="bank" value="b2"><button>Go</button></form>');
    expect(form).toEqual({ action: '/lti/deep-link?x=1&y=2', method: 'post', fields: { t: 'a&b' }, selects: {}, radios: { bank: ['midterm', 'b2'] } });
    expect(sessionOf('<meta content="abc" name="gradsheet-session">')).toBe('abc');
  });
});
