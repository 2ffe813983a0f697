/**
 * LTI 1.3 core launch: the OIDC third-party login initiation and the validation of the id_token a
 * platform posts back (IMS LTI 1.3 §5.1, IMS Security Framework §5.1.3). Every failure is a
 * GradsheetError with one sentence naming what failed: 401 when the token does not prove the
 * launch (signature, issuer, audience, times, nonce, state, message, claims), 403 when a valid
 * platform asks for what it is not registered for (a deployment) or a role may not do.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { GradsheetError } from '../../errors.js';
import type { Registration, Registrations } from './config.js';
import type { ToolKeys } from './keys.js';

export const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
export const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
export const DL_CLAIM = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
export const AGS_SCOPE = { lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem', score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score' } as const;

/** Clock skew allowed on exp and iat. */
export const SKEW_S = 60;
/** How long a login's state is accepted (the platform's round trip). */
export const STATE_LIFETIME_S = 600;
/** The oldest id_token taken (by iat), whatever its exp: a nonce is remembered this long. */
export const MAX_ID_TOKEN_AGE_S = 3600;

/** A launch, validated. */
export interface Launch {
  registration: Registration;
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  deploymentId: string;
  sub: string | null;
  nonce: string;
  roles: string[];
  instructor: boolean;
  name: string | null;
  email: string | null;
  context: { id: string; title: string | null } | null;
  resourceLink: { id: string; title: string | null } | null;
  custom: Record<string, unknown>;
  targetLinkUri: string;
  ags: { lineitem: string | null; lineitems: string | null; scopes: string[] } | null;
  deepLinking: { returnUrl: string; data: string | null; acceptTypes: string[]; title: string | null } | null;
  /** when the id_token expires (seconds) */
  exp: number;
  /** the origins the launch names (its return URLs), which may frame the tool's page */
  origins: string[];
}

/** What a login initiation may carry (GET query or POST form). */
export interface LoginParams {
  iss?: string;
  login_hint?: string;
  target_link_uri?: string;
  lti_message_hint?: string;
  client_id?: string;
  lti_deployment_id?: string;
}

const unauth = (sentence: string) => new GradsheetError('unauthenticated', sentence);
const forbidden = (sentence: string) => new GradsheetError('forbidden', sentence);
const short = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Roles that open the teacher view and may pick a bank (LIS context roles, and administrators). */
const TEACHING = /(?:membership#(?:Instructor|ContentDeveloper|Administrator)|membership\/Instructor#TeachingAssistant|(?:institution|system)\/person#Administrator)$/;
export const isInstructor = (roles: readonly string[]): boolean => roles.some((r) => TEACHING.test(r) || r === 'Instructor' || r === 'Administrator');

export class LaunchValidator {
  readonly #registrations: Registrations;
  readonly #keys: ToolKeys;
  readonly #now: () => Date;
  readonly #redirectUri: string;
  // one remote key set per platform JWKS URL: cached, fetched again for a kid it does not hold
  readonly #jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  readonly #reloaded = new Map<string, number>();

  constructor(registrations: Registrations, keys: ToolKeys, redirectUri: string, now: () => Date) {
    this.#registrations = registrations;
    this.#keys = keys;
    this.#redirectUri = redirectUri;
    this.#now = now;
  }

  /**
   * The redirect for a login initiation: to the platform's authorization URL with the OIDC
   * parameters, a fresh nonce and a state that binds them (signed, short-lived: no cookie needed).
   */
  async login(p: LoginParams): Promise<string> {
    const missing = (['iss', 'login_hint', 'target_link_uri'] as const).filter((k) => !p[k]);
    if (missing.length) throw new GradsheetError('invalid-input', `The login initiation has no ${missing.join(', ')}: the platform should send iss, login_hint and target_link_uri.`);
    const found = this.#registrations.find(p.iss!, p.client_id || undefined, p.lti_deployment_id || undefined);
    if ('error' in found) throw forbidden(found.error);
    if (p.lti_deployment_id && !found.deploymentIds.includes(p.lti_deployment_id)) throw forbidden(`The deployment ${short(p.lti_deployment_id, 80)} is not registered for client ${short(found.clientId, 80)} of ${short(found.issuer)}.`);
    const nonce = randomBytes(18).toString('base64url');
    const state = await this.#keys.own('state', { pis: found.issuer, cid: found.clientId, non: nonce, tlu: p.target_link_uri, ...(p.lti_deployment_id ? { dep: p.lti_deployment_id } : {}) }, STATE_LIFETIME_S);
    const auth = new URL(found.authLoginUrl);
    const params: Record<string, string> = {
      scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none', client_id: found.clientId,
      redirect_uri: this.#redirectUri, login_hint: p.login_hint!, state, nonce,
      ...(p.lti_message_hint !== undefined ? { lti_message_hint: p.lti_message_hint } : {}),
    };
    for (const [k, v] of Object.entries(params)) auth.searchParams.set(k, v);
    return auth.toString();
  }

  #keySet(url: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.#jwks.get(url);
    if (!set) this.#jwks.set(url, (set = createRemoteJWKSet(new URL(url), { cooldownDuration: 5000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 })));
    return set;
  }

  /** Validates a launch's id_token and state; the nonce is still to be recorded (once) by the caller. */
  async validate(form: { id_token?: string; state?: string }): Promise<Launch> {
    if (!form.id_token) throw unauth('The launch has no id_token: the platform should post id_token and state.');
    if (!form.state) throw unauth('The launch has no state: start it again from the course (the login sets one).');
    const state = await this.#keys.verifyOwn<{ pis: string; cid: string; non: string; tlu: string } & Record<string, unknown>>('state', form.state);
    if (!state) throw unauth('The launch\'s state was not issued by this tool, was altered, or is older than 10 minutes: start it again from the course.');
    let header, unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(form.id_token);
      unverified = decodeJwt(form.id_token);
    } catch {
      throw unauth('The id_token is not a JSON Web Token.');
    }
    if (header.alg !== 'RS256') throw unauth(`The id_token is signed with ${String(header.alg).slice(0, 20)}; LTI 1.3 launches are signed with RS256.`);
    const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
    if (!iss) throw unauth('The id_token has no issuer (iss).');
    const aud = unverified.aud, azp = typeof unverified.azp === 'string' ? unverified.azp : undefined;
    const audiences = Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : typeof aud === 'string' ? [aud] : [];
    if (audiences.length === 0) throw unauth('The id_token has no audience (aud).');
    if (audiences.length > 1 && azp === undefined) throw unauth('The id_token has several audiences and no authorized party (azp) naming this tool\'s client id.');
    if (azp !== undefined && !audiences.includes(azp)) throw unauth(`The id_token's authorized party (azp) ${short(azp, 80)} is not among its audiences.`);
    const clientId = azp ?? audiences[0]!;
    const found = this.#registrations.find(iss, clientId);
    if ('error' in found) throw unauth(`The id_token's audience is not a client id of this tool: ${found.error}`);
    if (iss !== state.pis || clientId !== state.cid) throw unauth(`The id_token is from ${short(iss)} for client ${short(clientId, 80)}, but the login (its state) was for ${short(String(state.pis))}, client ${short(String(state.cid), 80)}.`);
    let payload: JWTPayload;
    const verify = () => jwtVerify(form.id_token!, this.#keySet(found.jwksUrl), { issuer: found.issuer, audience: found.clientId, algorithms: ['RS256'], clockTolerance: SKEW_S, currentDate: this.#now(), requiredClaims: ['exp', 'iat', 'nonce'] });
    try {
      ({ payload } = await verify());
    } catch (e) {
      // a kid the cached key set does not hold, inside its cool-down: the platform rotated its key;
      // the set is read again (at most once a second per platform), and the token checked once more
      const set = this.#keySet(found.jwksUrl);
      const last = this.#reloaded.get(found.jwksUrl) ?? 0;
      if (!(e instanceof errors.JWKSNoMatchingKey) || Date.now() - last < 1000) throw this.#why(e, found);
      this.#reloaded.set(found.jwksUrl, Date.now());
      try {
        await set.reload();
        ({ payload } = await verify());
      } catch (again) {
        throw this.#why(again, found);
      }
    }
    const now = this.#now().getTime() / 1000;
    if (payload.iat! > now + SKEW_S) throw unauth('The id_token was issued in the future (its iat is ahead of this server\'s clock by more than a minute).');
    if (payload.iat! < now - MAX_ID_TOKEN_AGE_S) throw unauth('The id_token was issued more than an hour ago.');
    if (payload.nonce !== state.non) throw unauth('The id_token\'s nonce is not the one this tool sent at login: the launch does not belong to this login.');
    const launch = this.#claims(payload, found);
    if (typeof state.dep === 'string' && state.dep !== launch.deploymentId) throw unauth(`The launch's deployment ${short(launch.deploymentId, 80)} is not the one its login named (${short(state.dep, 80)}).`);
    return launch;
  }

  /** One sentence for what jose found wrong. */
  #why(e: unknown, r: Registration): GradsheetError {
    if (e instanceof errors.JWTExpired) return unauth(`The id_token has expired (exp ${new Date(Number((e.payload as JWTPayload).exp) * 1000).toISOString()}).`);
    if (e instanceof errors.JWTClaimValidationFailed) {
      if (e.claim === 'aud') return unauth(`The id_token's audience is not this tool's client id ${short(r.clientId, 80)}.`);
      if (e.claim === 'iss') return unauth(`The id_token's issuer is not ${short(r.issuer)}.`);
      if (e.reason === 'missing') return unauth(`The id_token has no ${e.claim} claim.`);
      return unauth(`The id_token's ${e.claim} claim is not valid: ${e.message}.`);
    }
    if (e instanceof errors.JWSSignatureVerificationFailed) return unauth('The id_token\'s signature does not verify against the platform\'s keys.');
    if (e instanceof errors.JWKSNoMatchingKey) return unauth(`The platform's key set (${short(r.jwksUrl)}) has no key for the id_token's kid.`);
    if (e instanceof errors.JWKSMultipleMatchingKeys) return unauth('The platform\'s key set has several keys that match the id_token\'s header, and none verifies it.');
    // the key set could not be fetched or read: a timeout, a network error, an answer other than 200
    // with a JSON key set (jose's generic error), which is the platform's trouble, not the launch's
    if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || (e instanceof errors.JOSEError && e.code === 'ERR_JOSE_GENERIC') || !(e instanceof errors.JOSEError)) {
      return new GradsheetError('unavailable', `The platform's keys could not be read from ${short(r.jwksUrl)}; try the launch again in a moment.`);
    }
    return unauth(`The id_token is not valid (${e.code}).`);
  }

  #claims(p: JWTPayload, r: Registration): Launch {
    const claim = (name: string): unknown => p[`${CLAIM}${name}`];
    const messageType = claim('message_type');
    if (messageType !== 'LtiResourceLinkRequest' && messageType !== 'LtiDeepLinkingRequest') {
      throw unauth(`The launch's message type ${typeof messageType === 'string' ? `"${short(messageType, 60)}"` : '(missing)'} is not one this tool takes (LtiResourceLinkRequest, LtiDeepLinkingRequest).`);
    }
    const version = claim('version');
    if (version !== '1.3.0') throw unauth(`The launch's LTI version is ${typeof version === 'string' ? `"${short(version, 20)}"` : 'missing'}, not 1.3.0.`);
    const deploymentId = claim('deployment_id');
    if (typeof deploymentId !== 'string' || !deploymentId) throw unauth('The launch has no deployment_id claim.');
    if (!r.deploymentIds.includes(deploymentId)) throw forbidden(`The deployment ${short(deploymentId, 80)} is not registered for client ${short(r.clientId, 80)} of ${short(r.issuer)}.`);
    const roles = claim('roles');
    if (!Array.isArray(roles) || !roles.every((x) => typeof x === 'string')) throw unauth('The launch has no roles claim (an array of role URIs).');
    const targetLinkUri = claim('target_link_uri');
    if (typeof targetLinkUri !== 'string') throw unauth('The launch has no target_link_uri claim.');
    const sub = typeof p.sub === 'string' && p.sub !== '' ? p.sub : null;
    const rl = claim('resource_link') as { id?: unknown; title?: unknown } | undefined;
    let resourceLink: Launch['resourceLink'] = null;
    if (messageType === 'LtiResourceLinkRequest') {
      if (!rl || typeof rl.id !== 'string' || !rl.id) throw unauth('The launch has no resource_link claim with an id.');
      if (!sub) throw unauth('The launch has no sub (the user\'s id): anonymous launches cannot be graded.');
      resourceLink = { id: rl.id, title: typeof rl.title === 'string' ? rl.title : null };
    }
    const ctx = claim('context') as { id?: unknown; title?: unknown } | undefined;
    const agsClaim = p[AGS_CLAIM] as { scope?: unknown; lineitem?: unknown; lineitems?: unknown } | undefined;
    // a service URL that is not an absolute http(s) URL is taken as absent (nothing could be sent to it)
    const serviceUrl = (u: unknown): string | null => (typeof u === 'string' && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol) ? u : null);
    const ags = agsClaim && typeof agsClaim === 'object' ? {
      lineitem: serviceUrl(agsClaim.lineitem),
      lineitems: serviceUrl(agsClaim.lineitems),
      scopes: Array.isArray(agsClaim.scope) ? agsClaim.scope.filter((s): s is string => typeof s === 'string') : [],
    } : null;
    let deepLinking: Launch['deepLinking'] = null;
    if (messageType === 'LtiDeepLinkingRequest') {
      const s = p[`${DL_CLAIM}deep_linking_settings`] as { deep_link_return_url?: unknown; data?: unknown; accept_types?: unknown; title?: unknown } | undefined;
      if (!s || typeof s.deep_link_return_url !== 'string' || !/^https?:\/\//.test(s.deep_link_return_url)) throw unauth('The Deep Linking request has no deep_linking_settings with a deep_link_return_url.');
      const acceptTypes = Array.isArray(s.accept_types) ? s.accept_types.filter((t): t is string => typeof t === 'string') : [];
      if (acceptTypes.length > 0 && !acceptTypes.includes('ltiResourceLink')) throw forbidden('The platform accepts no LTI resource links here (accept_types), which is what this tool offers.');
      deepLinking = { returnUrl: s.deep_link_return_url, data: typeof s.data === 'string' ? s.data : null, acceptTypes, title: typeof s.title === 'string' ? s.title : null };
    }
    // where the launch came from, for the page's frame-ancestors (Canvas's issuer is not the school's site)
    const presentation = claim('launch_presentation') as { return_url?: unknown } | undefined;
    const origins = [presentation?.return_url, deepLinking?.returnUrl].flatMap((u) => (typeof u === 'string' && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol) ? [new URL(u).origin] : []));
    const custom = claim('custom');
    const name = typeof p.name === 'string' ? p.name : [p.given_name, p.family_name].filter((x) => typeof x === 'string').join(' ') || null;
    return {
      registration: r, messageType, deploymentId, sub, nonce: String(p.nonce), roles: roles as string[], instructor: isInstructor(roles as string[]), name,
      email: typeof p.email === 'string' ? p.email : null,
      context: ctx && typeof ctx.id === 'string' ? { id: ctx.id, title: typeof ctx.title === 'string' ? ctx.title : null } : null,
      resourceLink, custom: custom && typeof custom === 'object' && !Array.isArray(custom) ? custom as Record<string, unknown> : {}, targetLinkUri, ags, deepLinking,
      exp: Number(p.exp), origins,
    };
  }
}

/** gradsheet's student id for an LTI identity: stable across launches, one per (issuer, deployment, sub). */
export function ltiStudent(issuer: string, deploymentId: string, sub: string): string {
  return `lti-${createHash('sha256').update(JSON.stringify([issuer, deploymentId, sub])).digest('hex').slice(0, 20)}`;
}

/** The id of a resource link: one per (issuer, client id, deployment, resource link id). */
export function linkId(issuer: string, clientId: string, deploymentId: string, resourceLinkId: string): string {
  return createHash('sha256').update(JSON.stringify([issuer, clientId, deploymentId, resourceLinkId])).digest('hex').slice(0, 24);
}
