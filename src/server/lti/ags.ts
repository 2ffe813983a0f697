/**
 * Assignment and Grade Services (IMS LTI AGS 2.0): access tokens by the client-credentials grant
 * with a JWT client assertion signed with the tool's key (RFC 7523), scores posted to a line
 * item's /scores, and a line item created where the launch gave none but allows it.
 *
 * Every call answers an Outcome: done, retry (a network error, 5xx, 429, with the platform's
 * Retry-After when it sent one), or failed (another 4xx: the platform's answer, for the teacher).
 */
import { randomUUID } from 'node:crypto';
import type { Registration } from './config.js';
import type { ToolKeys } from './keys.js';
import { AGS_SCOPE } from './launch.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

const TIMEOUT_MS = 10_000;
/** The longest wait before a failing token endpoint is asked again (the outbox's own cap). */
const TOKEN_WAIT_CAP_MS = 30_000;
/** A token is used until this long before it expires. */
const TOKEN_MARGIN_MS = 30_000;

/** The URL of a line item's scores: /scores after its path, before its query (Canvas's line items carry one). */
export function scoresUrl(lineitem: string): string {
  const u = new URL(lineitem);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/scores`;
  return u.toString();
}

/** Retry-After in milliseconds (seconds or an HTTP date), bounded to an hour; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : undefined;
}

/** What a platform answered, in one line for the teacher: status and the start of its body. */
async function answerOf(res: Response): Promise<string> {
  const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim();
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${text ? `: ${text.slice(0, 300)}` : ''}`;
}

async function failure<T>(res: Response, what: string, now: number): Promise<Outcome<T>> {
  const retry = res.status >= 500 || res.status === 429 || res.status === 408;
  const after = retryAfterMs(res.headers.get('retry-after'), now);
  return { ok: false, retry, error: `${what}: ${await answerOf(res)}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
}

function networkFailure<T>(e: unknown, what: string, url: string): Outcome<T> {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = err.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
  return { ok: false, retry: true, error: `${what}: ${url.slice(0, 200)} could not be reached (${String(why).slice(0, 160)})` };
}

export class AgsClient {
  readonly #keys: ToolKeys;
  readonly #now: () => Date;
  readonly #tokens = new Map<string, { token: string; until: number }>();
  /** per registration: its token endpoint's consecutive failures and when it may be asked again */
  readonly #breakers = new Map<string, { failures: number; until: number; error: string }>();

  constructor(keys: ToolKeys, now: () => Date) {
    this.#keys = keys;
    this.#now = now;
  }

  /** An access token for `scopes`, from the cache while it is valid. */
  async token(r: Registration, scopes: readonly string[]): Promise<Outcome<string>> {
    const key = JSON.stringify([r.issuer, r.clientId, [...scopes].sort()]);
    const cached = this.#tokens.get(key);
    if (cached && cached.until > Date.now()) return { ok: true, value: cached.token };
    // a token endpoint that just failed is asked again once its wait is over, not once per waiting score
    const breaker = this.#breakers.get(`${r.issuer}\n${r.clientId}`);
    if (breaker && breaker.until > Date.now()) return { ok: false, retry: true, error: breaker.error, retryAfterMs: breaker.until - Date.now() };
    const got = await this.#askToken(r, scopes);
    if (got.ok) {
      this.#breakers.delete(`${r.issuer}\n${r.clientId}`);
      this.#tokens.set(key, { token: got.value.token, until: Date.now() + Math.max(0, got.value.lifeMs - TOKEN_MARGIN_MS) });
      return { ok: true, value: got.value.token };
    }
    const failures = (breaker?.failures ?? 0) + 1;
    const wait = Math.max(got.retryAfterMs ?? 0, Math.min(TOKEN_WAIT_CAP_MS, 1000 * 2 ** (failures - 1)));
    this.#breakers.set(`${r.issuer}\n${r.clientId}`, { failures, until: Date.now() + wait, error: got.error });
    return { ...got, retryAfterMs: wait };
  }

  /** One token request: the token and its life, or why not (always retried: the score is not at fault, and a registration may be mended). */
  async #askToken(r: Registration, scopes: readonly string[]): Promise<Outcome<{ token: string; lifeMs: number }>> {
    const assertion = await this.#keys.sign({ iss: r.clientId, sub: r.clientId, aud: r.assertionAudience ?? r.accessTokenUrl, jti: randomUUID() });
    const form = new URLSearchParams({
      grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: scopes.join(' '),
    });
    let res: Response;
    try {
      res = await fetch(r.accessTokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    } catch (e) {
      return networkFailure(e, 'The platform\'s token endpoint', r.accessTokenUrl);
    }
    if (!res.ok) {
      const f = await failure<string>(res, 'The platform\'s token endpoint refused the client assertion', Date.now());
      return { ...f, retry: true } as Outcome<{ token: string; lifeMs: number }>;
    }
    const body = await res.json().catch(() => null) as { access_token?: unknown; expires_in?: unknown } | null;
    if (!body || typeof body.access_token !== 'string') return { ok: false, retry: true, error: 'The platform\'s token endpoint answered without an access_token.' };
    return { ok: true, value: { token: body.access_token, lifeMs: typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000 } };
  }

  /** Forgets a token the platform no longer takes (a 401 from a service). */
  forget(r: Registration): void {
    for (const key of this.#tokens.keys()) if (key.startsWith(JSON.stringify([r.issuer, r.clientId]).slice(0, -1))) this.#tokens.delete(key);
  }

  /** Posts one score (application/vnd.ims.lis.v1.score+json) to the line item's /scores. */
  async postScore(r: Registration, lineitem: string, score: { userId: string; scoreGiven: number; scoreMaximum: number; timestamp: string }): Promise<Outcome<void>> {
    const token = await this.token(r, [AGS_SCOPE.score]);
    if (!token.ok) return token;
    const url = scoresUrl(lineitem);
    const body = JSON.stringify({ ...score, activityProgress: 'Completed', gradingProgress: 'FullyGraded' });
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/vnd.ims.lis.v1.score+json', authorization: `Bearer ${token.value}` }, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    } catch (e) {
      return networkFailure(e, 'The platform\'s score service', url);
    }
    if (res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      return { ok: true, value: undefined };
    }
    if (res.status === 401) this.forget(r);
    const f = await failure<void>(res, 'The platform refused the score', Date.now());
    // an expired or revoked token: a new one is asked for at the next try
    return res.status === 401 ? { ...f, retry: true } as Outcome<void> : f;
  }

  /**
   * The line item of a resource link, created in `lineitems` when the platform has none for it yet
   * (one tagged gradsheet for this resource link is looked up first, so a crash between creating and
   * recording it does not create a second).
   */
  async ensureLineitem(r: Registration, lineitems: string, item: { resourceLinkId: string; label: string; scoreMaximum: number; resourceId: string }): Promise<Outcome<string>> {
    const token = await this.token(r, [AGS_SCOPE.lineitem]);
    if (!token.ok) return token;
    const list = new URL(lineitems);
    list.searchParams.set('resource_link_id', item.resourceLinkId);
    list.searchParams.set('tag', 'gradsheet');
    try {
      const res = await fetch(list, { headers: { accept: 'application/vnd.ims.lis.v2.lineitemcontainer+json', authorization: `Bearer ${token.value}` }, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      if (res.ok) {
        const found = (await res.json().catch(() => [])) as { id?: unknown; resourceLinkId?: unknown; tag?: unknown }[];
        const mine = Array.isArray(found) ? found.find((l) => typeof l.id === 'string' && l.resourceLinkId === item.resourceLinkId && l.tag === 'gradsheet') : undefined;
        if (mine) return { ok: true, value: mine.id as string };
      } else {
        await res.arrayBuffer().catch(() => undefined);
      }
    } catch (e) {
      return networkFailure(e, 'The platform\'s line item service', lineitems);
    }
    let res: Response;
    try {
      res = await fetch(lineitems, {
        method: 'POST', headers: { 'content-type': 'application/vnd.ims.lis.v2.lineitem+json', accept: 'application/vnd.ims.lis.v2.lineitem+json', authorization: `Bearer ${token.value}` },
        body: JSON.stringify({ scoreMaximum: item.scoreMaximum, label: item.label, resourceLinkId: item.resourceLinkId, resourceId: item.resourceId, tag: 'gradsheet' }), signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual',
      });
    } catch (e) {
      return networkFailure(e, 'The platform\'s line item service', lineitems);
    }
    if (!res.ok) {
      if (res.status === 401) this.forget(r);
      const f = await failure<string>(res, 'The platform refused to create the line item', Date.now());
      return res.status === 401 ? { ...f, retry: true } as Outcome<string> : f;
    }
    const created = (await res.json().catch(() => null)) as { id?: unknown } | null;
    if (!created || typeof created.id !== 'string') return { ok: false, retry: true, error: 'The platform created a line item but answered without its id.' };
    return { ok: true, value: created.id };
  }
}
