/**
 * An LTI 1.3 Advantage *platform* (an LMS, as far as a tool can tell) in the test process, on
 * node:http at 127.0.0.1 on a free port: its own RSA key and JWKS, an OAuth 2 token endpoint for
 * the client-credentials grant with a JWT client assertion (verified against the tool's JWKS),
 * AGS line items (create, scores: kept per line item and user, an older timestamp ignored as Canvas
 * does), switches that make the token or score endpoints fail for a while (5xx, 429 with
 * Retry-After, 400 with a message, a dropped connection), and the browser's part of a launch:
 * login initiation → redirect → id_token → form post to the tool's /lti/launch.
 * For a real browser: a course page framing the tool (framePage), the OIDC auth endpoint answering
 * with an auto-submitting form_post, and a Deep Linking return URL that keeps what is posted to it.
 *
 * Nothing here knows how the tool is built: only the LTI 1.3 / AGS / Deep Linking wire format and
 * gradsheet's documented routes (/lti/login, /lti/launch, /.well-known/jwks.json).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
export const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
export const DL_CLAIM = 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings';
export const DL_ITEMS = 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items';
export const SCOPE = {
  lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  result: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
};
export const ROLE = {
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
};
export const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
export const LINEITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

type KeyLike = CryptoKey;
export interface Signer { privateKey: KeyLike; publicKey: KeyLike; kid: string }

export async function newSigner(kid = `k-${randomBytes(6).toString('hex')}`): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicKey, kid };
}

/** How an endpoint fails while a failure is set: an HTTP answer, or the connection cut. */
export interface Failure {
  status?: number;
  /** seconds, sent as Retry-After */
  retryAfter?: number;
  /** the answer's body (text); a JSON error object is made when absent */
  message?: string;
  /** cut the connection instead of answering */
  drop?: boolean;
  /** fail only this many times, then work again (default: until cleared) */
  times?: number;
}

/** One request to the token endpoint, with what the platform found wrong with it (none: it got a token). */
export interface TokenRequest {
  at: number;
  form: Record<string, string>;
  header?: Record<string, unknown>;
  claims?: JWTPayload;
  problems: string[];
  /** the answer's status (failures set by a switch included) */
  status: number;
  scope?: string;
}

/** One request to a /scores endpoint. */
export interface ScorePost {
  at: number;
  /** the request path without the query, e.g. /api/lti/courses/1/line_items/7/scores */
  path: string;
  /** the query string without '?', '' when none */
  query: string;
  contentType: string;
  authorization: string;
  body: Record<string, unknown> | undefined;
  problems: string[];
  status: number;
  /** 'stored', 'ignored' (older than the score held), 'rejected' (problems or a failure switch) */
  outcome: 'stored' | 'ignored' | 'rejected';
}

export interface LineItemPost { at: number; path: string; query: string; contentType: string; authorization: string; body: Record<string, unknown> | undefined; problems: string[]; status: number; id?: string }

export interface HeldScore { scoreGiven: number; scoreMaximum: number; timestamp: string; activityProgress: string; gradingProgress: string; userId: string; body: Record<string, unknown> }

/** A launch a browser makes from a course page of the platform (see framePage). */
export interface BrowserLaunch {
  toolBase: string;
  options: LaunchOptions;
  /** the login_hint that names this launch */
  hint: string;
  /** the query the tool's login redirect brought to the platform's auth endpoint */
  authorize?: URLSearchParams;
  idToken?: string;
  /** what the platform found wrong with the auth request (it answers 400 then) */
  problems: string[];
}

/** A form posted to the platform's Deep Linking return URL (by the tool's auto-submitting page). */
export interface DeepLinkReturn { at: number; path: string; query: string; form: Record<string, string> }

export interface Client { clientId: string; deploymentIds: string[]; assertionAudience?: string | string[] }

export interface LaunchOptions {
  sub?: string | null;
  roles?: string[];
  /** message_type claim (default LtiResourceLinkRequest) */
  messageType?: string;
  version?: string;
  clientId?: string;
  /** deployment_id in the id_token (default the client's first) */
  deploymentId?: string;
  /** lti_deployment_id sent to /lti/login (default the client's first) */
  loginDeploymentId?: string;
  resourceLink?: { id: string; title?: string } | null;
  context?: { id: string; title?: string } | null;
  custom?: Record<string, string>;
  /** AGS claim: a line item URL and/or a line items URL (omit both: no AGS claim) */
  lineitem?: string;
  lineitems?: string;
  agsScope?: string[];
  deepLinking?: { returnUrl: string; data?: string };
  /** aud: default the client id; an array gets azp = the client id unless azp is given */
  aud?: string | string[];
  azp?: string | null;
  iss?: string;
  exp?: number;
  iat?: number;
  nonce?: string;
  /** extra claims; a value of undefined removes the claim */
  claims?: Record<string, unknown>;
  /** sign with this key (its kid is used) instead of the platform's */
  signer?: Signer;
  /** change the payload after signing (the signature no longer matches) */
  tamperPayload?: boolean;
  /** the state posted back: default the tool's; null: none */
  state?: string | null;
  /** forward the cookies the tool set at login (a browser with third-party cookies allowed); default true */
  cookies?: boolean;
  loginMethod?: 'GET' | 'POST';
  messageHint?: string;
}

export interface LaunchResult {
  /** the status of POST /lti/launch (or of /lti/login when it did not redirect) */
  status: number;
  html: string;
  contentType: string;
  headers: Headers;
  /** the content of <meta name="gradsheet-session">, if present */
  session?: string;
  /** the query of the login's redirect */
  redirect?: URLSearchParams;
  location?: string;
  idToken?: string;
  state?: string | null;
  cookie?: string;
  loginStatus: number;
}

const unescapeHtml = (s: string) => s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e: string) => {
  const l = e.toLowerCase();
  if (l === 'amp') return '&';
  if (l === 'lt') return '<';
  if (l === 'gt') return '>';
  if (l === 'quot') return '"';
  if (l === 'apos' || l === '#39') return "'";
  if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
  return String.fromCodePoint(parseInt(l.slice(1), 10));
});

/** The attributes of one HTML tag's text (`<input name="a" value="b">`), values unescaped. */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const body = tag.replace(/^<\s*[a-zA-Z0-9]+/, '').replace(/\/?>$/, '');
  for (let m = re.exec(body); m; m = re.exec(body)) out[m[1]!.toLowerCase()] = unescapeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

/** The session token of a launch page: <meta name="gradsheet-session" content="…">. */
export function sessionOf(html: string): string | undefined {
  for (const m of html.matchAll(/<meta\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    if (a.name === 'gradsheet-session' && a.content) return a.content;
  }
  return undefined;
}

export interface ParsedForm { action: string; method: string; fields: Record<string, string>; selects: Record<string, string[]>; radios: Record<string, string[]> }

/** The forms of a page: action, method, the input fields with values (hidden, text…), the options of selects and radios. */
export function formsOf(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const open = attributes(/^<form\b[^>]*>/i.exec(m[0])![0]);
    const inner = m[1]!;
    const fields: Record<string, string> = {};
    const radios: Record<string, string[]> = {};
    for (const i of inner.matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(i[0]);
      if (!a.name) continue;
      const type = (a.type ?? 'text').toLowerCase();
      if (type === 'radio' || type === 'checkbox') { (radios[a.name] ??= []).push(a.value ?? 'on'); continue; }
      if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset') continue;
      fields[a.name] = a.value ?? '';
    }
    for (const t of inner.matchAll(/<textarea\b[^>]*>([\s\S]*?)<\/textarea>/gi)) {
      const a = attributes(/^<textarea\b[^>]*>/i.exec(t[0])![0]);
      if (a.name) fields[a.name] = unescapeHtml(t[1]!);
    }
    const selects: Record<string, string[]> = {};
    for (const s of inner.matchAll(/<select\b[^>]*>([\s\S]*?)<\/select>/gi)) {
      const a = attributes(/^<select\b[^>]*>/i.exec(s[0])![0]);
      if (!a.name) continue;
      selects[a.name] = [...s[1]!.matchAll(/<option\b[^>]*>([\s\S]*?)(?=<option\b|$)/gi)].map((o) => {
        const oa = attributes(/^<option\b[^>]*>/i.exec(o[0])![0]);
        return oa.value ?? unescapeHtml(o[1]!.replace(/<\/option>[\s\S]*/i, '').trim());
      });
    }
    forms.push({ action: open.action ?? '', method: (open.method ?? 'get').toLowerCase(), fields, selects, radios });
  }
  return forms;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class LtiPlatform {
  readonly server: http.Server;
  readonly base: string;
  readonly issuer: string;
  readonly clients: Client[];
  signer!: Signer;
  /** the tool's JWKS URL, for verifying client assertions (set with useTool) */
  toolJwksUrl?: string;
  readonly tokenRequests: TokenRequest[] = [];
  readonly scorePosts: ScorePost[] = [];
  readonly lineItemPosts: LineItemPost[] = [];
  /** line item URL (without query) → user → the score held */
  readonly scores = new Map<string, Map<string, HeldScore>>();
  readonly lineItems = new Map<string, Record<string, unknown>>();
  /** login_hint → the launches browsers make from the platform's pages */
  readonly browserLaunches = new Map<string, BrowserLaunch>();
  readonly deepLinkReturns: DeepLinkReturn[] = [];
  private readonly tokens = new Map<string, { clientId: string; scope: string; expires: number }>();
  private readonly jtis = new Set<string>();
  private readonly failures: { token?: Failure; scores?: Failure; lineitems?: Failure } = {};
  private nextLineItem = 100;

  private constructor(server: http.Server, base: string, issuer: string, clients: Client[]) {
    this.server = server;
    this.base = base;
    this.issuer = issuer;
    this.clients = clients;
  }

  /**
   * A platform listening on 127.0.0.1:0. `issuer` defaults to its base URL; `clients` to one client
   * with one deployment (several clients share the issuer, as all Canvas cloud sites do).
   */
  static async start(options: { issuer?: string; clients?: Client[] } = {}): Promise<LtiPlatform> {
    let self: LtiPlatform | undefined;
    const server = http.createServer((req, res) => {
      if (!self) { res.statusCode = 503; res.end(); return; }
      self.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) { res.statusCode = 500; res.end(String(e)); } else res.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tag = randomBytes(4).toString('hex');
    const clients = options.clients ?? [{ clientId: `client-${tag}`, deploymentIds: [`dep-${tag}`] }];
    self = new LtiPlatform(server, base, options.issuer ?? base, clients);
    self.signer = await newSigner();
    return self;
  }

  get clientId(): string { return this.clients[0]!.clientId; }
  get deploymentId(): string { return this.clients[0]!.deploymentIds[0]!; }
  get tokenUrl(): string { return `${this.base}/login/oauth2/token`; }
  get authLoginUrl(): string { return `${this.base}/api/lti/authorize_redirect`; }
  get jwksUrl(): string { return `${this.base}/api/lti/security/jwks`; }
  /** a Canvas-like line item URL: /api/lti/courses/C/line_items/N[?query] */
  lineItemUrl(course: number | string, item: number | string, query = ''): string {
    return `${this.base}/api/lti/courses/${course}/line_items/${item}${query ? `?${query}` : ''}`;
  }
  lineItemsUrl(course: number | string): string { return `${this.base}/api/lti/courses/${course}/line_items`; }

  /** This platform's entries for lti.json (one per client). */
  registrations(extra: Partial<Record<string, unknown>> = {}): Record<string, unknown>[] {
    return this.clients.map((c) => ({
      issuer: this.issuer, clientId: c.clientId, deploymentIds: c.deploymentIds,
      authLoginUrl: this.authLoginUrl, accessTokenUrl: this.tokenUrl, jwksUrl: this.jwksUrl,
      ...(c.assertionAudience !== undefined ? { assertionAudience: c.assertionAudience } : {}),
      ...extra,
    }));
  }

  useTool(toolBase: string): void { this.toolJwksUrl = `${toolBase.replace(/\/$/, '')}/.well-known/jwks.json`; }

  /** Make an endpoint fail (until cleared with null, or `times` times). */
  /** the status the platform's JWKS answers with (200: its keys; else a plain-text error) */
  jwksStatus = 200;

  fail(endpoint: 'token' | 'scores' | 'lineitems', failure: Failure | null): void {
    if (failure) this.failures[endpoint] = { ...failure }; else delete this.failures[endpoint];
  }

  /** the score held for a user on a line item URL (its query ignored) */
  scoreOf(lineItem: string, userId: string): HeldScore | undefined {
    return this.scores.get(lineItem.replace(/\?.*$/, '').replace(/^https?:\/\/[^/]+/, ''))?.get(userId);
  }

  /** Waits until `probe` returns a value other than undefined/false (polling every 100 ms); throws after `ms`. */
  async waitFor<T>(probe: () => T | undefined | false, ms = 20_000, what = 'the condition'): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; token requests: ${JSON.stringify(this.tokenRequests.map((t) => [t.status, t.problems]))}; score posts: ${JSON.stringify(this.scorePosts.map((p) => [p.path, p.query, p.status, p.outcome, p.problems, p.body?.scoreGiven]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const jwk = await exportJWK(this.signer.publicKey);
    return { keys: [{ ...jwk, kid: this.signer.kid, alg: 'RS256', use: 'sig' }] };
  }

  /**
   * A course page of the platform's own origin that frames the tool as an LMS does: its iframe opens
   * the tool's login initiation (GET /lti/login, login_hint naming this launch), the tool redirects
   * the frame to the platform's auth endpoint, which answers an auto-submitting form posting
   * id_token and state to the tool's /lti/launch. The browser does every step itself.
   * `top`: the page sends the whole window to the login instead (a launch in a new window).
   */
  framePage(toolBase: string, o: LaunchOptions = {}, view: { height?: number; top?: boolean } = {}): string {
    const hint = `browser-${randomUUID()}`;
    this.browserLaunches.set(hint, { toolBase: toolBase.replace(/\/$/, ''), options: o, hint, problems: [] });
    return `${this.base}/lms/course-page?hint=${encodeURIComponent(hint)}&height=${view.height ?? 900}${view.top ? '&top=1' : ''}`;
  }

  /** the Deep Linking return URL a browser's Deep Linking launch names (its posts are kept in deepLinkReturns) */
  get deepLinkReturnUrl(): string { return `${this.base}/lms/deep_linking_response`; }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ---- the endpoints ------------------------------------------------------------------------

  private failing(endpoint: 'token' | 'scores' | 'lineitems', res: http.ServerResponse, req: http.IncomingMessage): number | undefined {
    const f = this.failures[endpoint];
    if (!f) return undefined;
    if (f.times !== undefined) {
      if (f.times <= 0) { delete this.failures[endpoint]; return undefined; }
      f.times -= 1;
    }
    if (f.drop) { req.socket.destroy(); return 0; }
    const status = f.status ?? 503;
    const headers: Record<string, string> = {};
    if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
    if (f.message !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      res.writeHead(status, headers).end(f.message);
    } else {
      headers['content-type'] = 'application/json';
      res.writeHead(status, headers).end(JSON.stringify({ errors: [{ message: `the platform is failing on purpose (${status})` }] }));
    }
    return status;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    if (req.method === 'GET' && path === new URL(this.jwksUrl).pathname) {
      if (this.jwksStatus !== 200) return void res.writeHead(this.jwksStatus, { 'content-type': 'text/plain' }).end('the key service is down');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await this.jwks()));
      return;
    }
    if (req.method === 'POST' && path === new URL(this.tokenUrl).pathname) return this.token(req, res);
    if (req.method === 'GET' && path === '/lms/course-page') return this.coursePage(res, url);
    if (req.method === 'GET' && path === new URL(this.authLoginUrl).pathname) return this.authorize(res, url);
    if (req.method === 'POST' && path === new URL(this.deepLinkReturnUrl).pathname) {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      this.deepLinkReturns.push({ at: Date.now(), path, query: url.search.replace(/^\?/, ''), form });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Item added</title><link rel="icon" href="data:,"></head><body><main><h1>The course received the item</h1></main></body></html>');
      return;
    }
    const items = /^\/api\/lti\/courses\/([^/]+)\/line_items$/.exec(path);
    if (items && req.method === 'POST') return this.createLineItem(req, res, url, items[1]!);
    const scores = /^(\/api\/lti\/courses\/[^/]+\/line_items\/[^/]+)\/scores$/.exec(path);
    if (scores && req.method === 'POST') return this.score(req, res, url, scores[1]!);
    const item = /^\/api\/lti\/courses\/[^/]+\/line_items\/[^/]+$/.exec(path);
    if (item && req.method === 'GET') {
      const li = this.lineItems.get(path);
      res.writeHead(li ? 200 : 404, { 'content-type': LINEITEM_TYPE }).end(JSON.stringify(li ?? { error: 'no such line item' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${req.method} ${path}`);
  }

  private async token(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    const form = Object.fromEntries(new URLSearchParams(text));
    const record: TokenRequest = { at: Date.now(), form, problems: [], status: 0, scope: form.scope };
    this.tokenRequests.push(record);
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/x-www-form-urlencoded')) record.problems.push(`content-type ${ct}`);
    if (form.grant_type !== 'client_credentials') record.problems.push(`grant_type ${form.grant_type}`);
    if (form.client_assertion_type !== ASSERTION_TYPE) record.problems.push(`client_assertion_type ${form.client_assertion_type}`);
    if (!form.scope) record.problems.push('no scope');
    let clientId: string | undefined;
    if (!form.client_assertion) record.problems.push('no client_assertion');
    else {
      try {
        record.header = decodeProtectedHeader(form.client_assertion) as Record<string, unknown>;
        if (!this.toolJwksUrl) throw new Error('the platform does not know the tool (useTool)');
        const jwks = await (await fetch(this.toolJwksUrl)).json() as { keys: JWK[] };
        const { payload, protectedHeader } = await jwtVerify(form.client_assertion, createLocalJWKSet(jwks), { algorithms: ['RS256'] });
        record.claims = payload;
        if (!protectedHeader.kid) record.problems.push('no kid in the header');
        const client = this.clients.find((c) => c.clientId === payload.iss);
        if (!client) record.problems.push(`iss ${String(payload.iss)} is no client`);
        if (payload.sub !== payload.iss) record.problems.push(`sub ${String(payload.sub)} is not iss ${String(payload.iss)}`);
        const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        const want = client?.assertionAudience ?? this.tokenUrl;
        for (const w of Array.isArray(want) ? want : [want]) if (!auds.includes(w)) record.problems.push(`aud ${JSON.stringify(payload.aud)} lacks ${w}`);
        if (!payload.jti) record.problems.push('no jti');
        else if (this.jtis.has(payload.jti)) record.problems.push(`jti ${payload.jti} reused`);
        else this.jtis.add(payload.jti);
        if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) record.problems.push(`exp ${String(payload.exp)} not in the future`);
        if (typeof payload.iat === 'number' && payload.iat * 1000 > Date.now() + 60_000) record.problems.push(`iat ${payload.iat} in the future`);
        clientId = client?.clientId;
      } catch (e) {
        record.problems.push(`assertion: ${(e as Error).message}`);
      }
    }
    const failed = this.failing('token', res, req);
    if (failed !== undefined) { record.status = failed; return; }
    if (record.problems.length > 0) {
      record.status = 401;
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: record.problems.join('; ') }));
      return;
    }
    const access = `at-${randomBytes(16).toString('hex')}`;
    this.tokens.set(access, { clientId: clientId!, scope: form.scope!, expires: Date.now() + 3600_000 });
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: access, token_type: 'Bearer', expires_in: 3600, scope: form.scope }));
  }

  private checkBearer(req: http.IncomingMessage, scope: string, problems: string[]): void {
    const auth = String(req.headers.authorization ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const t = m ? this.tokens.get(m[1]!) : undefined;
    if (!t) problems.push(`bearer token not valid (${auth || 'none'})`);
    else if (t.expires < Date.now()) problems.push('bearer token expired');
    else if (!t.scope.split(' ').includes(scope)) problems.push(`token scope "${t.scope}" lacks ${scope}`);
  }

  private async createLineItem(req: http.IncomingMessage, res: http.ServerResponse, url: URL, course: string): Promise<void> {
    const text = await readBody(req);
    let body: Record<string, unknown> | undefined;
    const problems: string[] = [];
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { problems.push(`body is not JSON: ${text.slice(0, 100)}`); }
    const contentType = String(req.headers['content-type'] ?? '');
    const record: LineItemPost = { at: Date.now(), path: url.pathname, query: url.search.replace(/^\?/, ''), contentType, authorization: String(req.headers.authorization ?? ''), body, problems, status: 0 };
    this.lineItemPosts.push(record);
    if (!contentType.startsWith(LINEITEM_TYPE)) problems.push(`content-type ${contentType}`);
    this.checkBearer(req, SCOPE.lineitem, problems);
    if (body && (typeof body.scoreMaximum !== 'number' || !(body.scoreMaximum > 0))) problems.push(`scoreMaximum ${String(body.scoreMaximum)}`);
    if (body && typeof body.label !== 'string') problems.push('no label');
    const failed = this.failing('lineitems', res, req);
    if (failed !== undefined) { record.status = failed; return; }
    if (problems.length > 0) {
      record.status = 400;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: problems }));
      return;
    }
    const id = this.lineItemUrl(course, this.nextLineItem++);
    const item = { ...body, id };
    this.lineItems.set(new URL(id).pathname, item);
    record.id = id;
    record.status = 201;
    res.writeHead(201, { 'content-type': LINEITEM_TYPE }).end(JSON.stringify(item));
  }

  private async score(req: http.IncomingMessage, res: http.ServerResponse, url: URL, lineItemPath: string): Promise<void> {
    const text = await readBody(req);
    let body: Record<string, unknown> | undefined;
    const problems: string[] = [];
    try { body = JSON.parse(text) as Record<string, unknown>; } catch { problems.push(`body is not JSON: ${text.slice(0, 100)}`); }
    const contentType = String(req.headers['content-type'] ?? '');
    const record: ScorePost = { at: Date.now(), path: url.pathname, query: url.search.replace(/^\?/, ''), contentType, authorization: String(req.headers.authorization ?? ''), body, problems, status: 0, outcome: 'rejected' };
    this.scorePosts.push(record);
    if (!contentType.startsWith(SCORE_TYPE)) problems.push(`content-type ${contentType}`);
    this.checkBearer(req, SCOPE.score, problems);
    if (body) {
      if (typeof body.userId !== 'string' || !body.userId) problems.push(`userId ${String(body.userId)}`);
      if (typeof body.scoreGiven !== 'number') problems.push(`scoreGiven ${String(body.scoreGiven)}`);
      if (typeof body.scoreMaximum !== 'number') problems.push(`scoreMaximum ${String(body.scoreMaximum)}`);
      if (typeof body.activityProgress !== 'string' || !['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'].includes(body.activityProgress)) problems.push(`activityProgress ${String(body.activityProgress)}`);
      if (body.gradingProgress !== 'FullyGraded') problems.push(`gradingProgress ${String(body.gradingProgress)}`);
      if (typeof body.timestamp !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(body.timestamp) || Number.isNaN(Date.parse(body.timestamp))) problems.push(`timestamp ${String(body.timestamp)}`);
    }
    const failed = this.failing('scores', res, req);
    if (failed !== undefined) { record.status = failed; return; }
    if (problems.length > 0) {
      record.status = 400;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: problems }));
      return;
    }
    const b = body!;
    const users = this.scores.get(lineItemPath) ?? new Map<string, HeldScore>();
    this.scores.set(lineItemPath, users);
    const held = users.get(b.userId as string);
    if (held && Date.parse(held.timestamp) > Date.parse(b.timestamp as string)) {
      record.outcome = 'ignored'; // like Canvas: an older score does not replace a newer one
    } else {
      users.set(b.userId as string, { scoreGiven: b.scoreGiven as number, scoreMaximum: b.scoreMaximum as number, timestamp: b.timestamp as string, activityProgress: b.activityProgress as string, gradingProgress: b.gradingProgress as string, userId: b.userId as string, body: b });
      record.outcome = 'stored';
    }
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resultUrl: `${this.base}${lineItemPath}/results/${encodeURIComponent(b.userId as string)}` }));
  }

  // ---- the platform's pages, for a browser ------------------------------------------------

  private coursePage(res: http.ServerResponse, url: URL): void {
    const launch = this.browserLaunches.get(url.searchParams.get('hint') ?? '');
    if (!launch) { res.writeHead(404, { 'content-type': 'text/plain' }).end('no such launch'); return; }
    const o = launch.options;
    const clientId = o.clientId ?? this.clientId;
    const client = this.clients.find((c) => c.clientId === clientId) ?? this.clients[0]!;
    const params = new URLSearchParams({
      iss: o.iss ?? this.issuer, login_hint: launch.hint, target_link_uri: `${launch.toolBase}/lti/launch`,
      lti_message_hint: o.messageHint ?? `msg-${randomUUID()}`, client_id: clientId, lti_deployment_id: o.loginDeploymentId ?? client.deploymentIds[0]!,
    });
    const login = `${launch.toolBase}/lti/login?${params}`;
    const height = Math.max(100, Number(url.searchParams.get('height')) || 900);
    const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const body = url.searchParams.get('top')
      ? `<p>Opening the tool…</p><script>location.href = ${JSON.stringify(login)};</script>`
      : `<iframe id="tool" name="tool" title="gradsheet assignment" src="${attr(login)}" style="width:100%;height:${height}px;border:0" allow="clipboard-write"></iframe>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Deep Learning — Course</title><link rel="icon" href="data:,">
<style>body{margin:0;font:14px system-ui,sans-serif}header{background:#2d3b45;color:#fff;padding:.6rem 1rem}main{padding:0}</style></head>
<body><header>Test LMS · Deep Learning</header><main>${body}</main></body></html>`);
  }

  /** The OIDC auth endpoint (response_mode form_post): an auto-submitting form with the id_token. */
  private async authorize(res: http.ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    const launch = this.browserLaunches.get(q.get('login_hint') ?? '');
    if (!launch) { res.writeHead(400, { 'content-type': 'text/plain' }).end(`unknown login_hint ${q.get('login_hint')}`); return; }
    launch.authorize = q;
    const o = launch.options;
    const clientId = q.get('client_id') ?? '';
    const want: Record<string, string> = { scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none', redirect_uri: `${launch.toolBase}/lti/launch` };
    for (const [k, v] of Object.entries(want)) if (q.get(k) !== v) launch.problems.push(`${k} ${q.get(k)}, not ${v}`);
    if (!this.clients.some((c) => c.clientId === clientId)) launch.problems.push(`client_id ${clientId}`);
    for (const k of ['nonce', 'state']) if (!q.get(k)) launch.problems.push(`no ${k}`);
    if (launch.problems.length > 0) { res.writeHead(400, { 'content-type': 'text/plain' }).end(launch.problems.join('; ')); return; }
    const claims = this.claimsFor(o, q.get('nonce')!, clientId);
    claims[`${LTI}target_link_uri`] = `${launch.toolBase}/lti/launch`;
    launch.idToken = await this.sign(claims, o.signer);
    const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Launching…</title><link rel="icon" href="data:,"></head>
<body><form method="post" action="${attr(q.get('redirect_uri')!)}"><input type="hidden" name="id_token" value="${attr(launch.idToken)}"><input type="hidden" name="state" value="${attr(q.get('state')!)}"><noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit();</script></body></html>`);
  }

  // ---- the browser's part of a launch -------------------------------------------------------

  /** The id_token payload a launch with these options carries (before nonce and aud are finalised). */
  claimsFor(o: LaunchOptions, nonce: string, clientId: string): Record<string, unknown> {
    const client = this.clients.find((c) => c.clientId === clientId) ?? this.clients[0]!;
    const now = Math.floor(Date.now() / 1000);
    const messageType = o.messageType ?? 'LtiResourceLinkRequest';
    const claims: Record<string, unknown> = {
      iss: o.iss ?? this.issuer,
      aud: o.aud ?? clientId,
      sub: o.sub === undefined ? 'user-1' : o.sub ?? undefined,
      iat: o.iat ?? now,
      exp: o.exp ?? now + 300,
      nonce: o.nonce ?? nonce,
      name: 'Ada Lovelace',
      email: 'ada@example.edu',
      [`${LTI}message_type`]: messageType,
      [`${LTI}version`]: o.version ?? '1.3.0',
      [`${LTI}deployment_id`]: o.deploymentId ?? client.deploymentIds[0],
      [`${LTI}target_link_uri`]: undefined,
      [`${LTI}roles`]: o.roles ?? [ROLE.learner],
    };
    if (Array.isArray(claims.aud) && o.azp !== null) claims.azp = o.azp ?? clientId;
    else if (o.azp) claims.azp = o.azp;
    if (o.resourceLink !== null && (o.resourceLink || messageType === 'LtiResourceLinkRequest')) claims[`${LTI}resource_link`] = o.resourceLink ?? { id: 'rl-1', title: 'Midterm' };
    if (o.context !== null) claims[`${LTI}context`] = o.context ?? { id: 'course-1', title: 'Deep Learning' };
    if (o.custom) claims[`${LTI}custom`] = o.custom;
    if (o.lineitem || o.lineitems) {
      claims[AGS_CLAIM] = {
        scope: o.agsScope ?? [SCOPE.lineitem, SCOPE.score, SCOPE.result],
        ...(o.lineitems ? { lineitems: o.lineitems } : {}),
        ...(o.lineitem ? { lineitem: o.lineitem } : {}),
      };
    }
    if (o.deepLinking) {
      claims[DL_CLAIM] = {
        deep_link_return_url: o.deepLinking.returnUrl,
        accept_types: ['ltiResourceLink'],
        accept_presentation_document_targets: ['iframe', 'window'],
        ...(o.deepLinking.data !== undefined ? { data: o.deepLinking.data } : {}),
      };
    }
    for (const [k, v] of Object.entries(o.claims ?? {})) claims[k] = v;
    for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
    return claims;
  }

  async sign(claims: Record<string, unknown>, signer: Signer = this.signer): Promise<string> {
    return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: signer.kid }).sign(signer.privateKey);
  }

  /** Steps 1-2 of a launch: the login initiation and the tool's redirect. */
  async login(toolBase: string, o: LaunchOptions = {}): Promise<{ status: number; location?: string; redirect?: URLSearchParams; cookie?: string; body: string; targetLinkUri: string }> {
    const clientId = o.clientId ?? this.clientId;
    const client = this.clients.find((c) => c.clientId === clientId) ?? this.clients[0]!;
    const targetLinkUri = `${toolBase}/lti/launch`;
    const params = new URLSearchParams({
      iss: o.iss ?? this.issuer, login_hint: `hint-${o.sub ?? 'user-1'}`, target_link_uri: targetLinkUri,
      lti_message_hint: o.messageHint ?? `msg hint/${randomUUID()}?a=1&b=2`, client_id: clientId,
      lti_deployment_id: o.loginDeploymentId ?? client.deploymentIds[0]!,
    });
    const res = o.loginMethod === 'POST'
      ? await fetch(`${toolBase}/lti/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() })
      : await fetch(`${toolBase}/lti/login?${params}`, { redirect: 'manual' });
    const body = await res.text();
    const location = res.headers.get('location') ?? undefined;
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') || undefined;
    return { status: res.status, location, redirect: location ? new URL(location, toolBase).searchParams : undefined, cookie, body, targetLinkUri };
  }

  /** POST id_token and state to the tool's /lti/launch, as the auto-submitting form of a platform does. */
  async postLaunch(toolBase: string, idToken: string | undefined, state: string | null | undefined, cookie?: string): Promise<LaunchResult> {
    const form = new URLSearchParams();
    if (idToken !== undefined) form.set('id_token', idToken);
    if (state !== null && state !== undefined) form.set('state', state);
    const res = await fetch(`${toolBase}/lti/launch`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base, ...(cookie ? { cookie } : {}) },
      body: form.toString(),
    });
    const html = await res.text();
    return { status: res.status, html, contentType: res.headers.get('content-type') ?? '', headers: res.headers, session: sessionOf(html), idToken, state, cookie, loginStatus: 302 };
  }

  /** A whole launch: login → redirect → id_token (from the redirect's nonce) → POST /lti/launch. */
  async launch(toolBase: string, o: LaunchOptions = {}): Promise<LaunchResult> {
    const login = await this.login(toolBase, o);
    if (login.status < 300 || login.status >= 400 || !login.redirect) {
      return { status: login.status, html: login.body, contentType: '', headers: new Headers(), loginStatus: login.status, location: login.location };
    }
    const q = login.redirect;
    const clientId = o.clientId ?? q.get('client_id') ?? this.clientId;
    const claims = this.claimsFor(o, q.get('nonce') ?? '', clientId);
    claims[`${LTI}target_link_uri`] = login.targetLinkUri;
    if (o.claims && `${LTI}target_link_uri` in o.claims) {
      const v = o.claims[`${LTI}target_link_uri`];
      if (v === undefined) delete claims[`${LTI}target_link_uri`]; else claims[`${LTI}target_link_uri`] = v;
    }
    let idToken = await this.sign(claims, o.signer);
    if (o.tamperPayload) {
      const [h, , s] = idToken.split('.');
      const changed = { ...claims, sub: `${String(claims.sub)}-evil`, [`${LTI}roles`]: [ROLE.instructor] };
      idToken = `${h}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${s}`;
    }
    const state = o.state === undefined ? q.get('state') : o.state;
    const r = await this.postLaunch(toolBase, idToken, state, o.cookies === false ? undefined : login.cookie);
    return { ...r, redirect: q, location: login.location, loginStatus: login.status };
  }
}
