/**
 * The tool's keys. An RSA key pair (RS256) signs what the tool sends platforms (client assertions,
 * Deep Linking responses); it is generated on first start into the store, named by its JWK
 * thumbprint (`kid`), and published at /.well-known/jwks.json. `gradsheet lti rotate-key` adds a
 * new key and retires the old one, which stays published for KEY_RETENTION_MS: past the life of
 * every token it signed. An HMAC secret, also kept in the store, signs the tool's own short-lived
 * tokens (login states, sessions, the Deep Linking form), so any server on the store checks them.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import type { Store } from '../../store/store.js';

/** The longest life of a token the tool signs with its RSA key (client assertions, Deep Linking responses). */
export const SIGNED_TOKEN_LIFETIME_S = 300;
/** How long a retired key stays published: every token it signed has expired by then, with a minute of clock skew and the servers' key cache. */
export const KEY_RETENTION_MS = (SIGNED_TOKEN_LIFETIME_S + 60) * 1000 + 2 * 60_000;
/** How long a server uses the keys it read before reading them again (a rotation by the CLI reaches running servers). */
const KEY_CACHE_MS = 5000;

interface LoadedKeys {
  signing: { kid: string; key: CryptoKey };
  published: JWK[];
  at: number;
}

/** A new key pair as stored: private and public JWK (JSON) and its kid. */
export async function newKeyPair(): Promise<{ kid: string; privateJwk: string; publicJwk: string }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const priv = await exportJWK(privateKey);
  return { kid, privateJwk: JSON.stringify({ ...priv, kid, alg: 'RS256', use: 'sig' }), publicJwk: JSON.stringify({ ...pub, kid, alg: 'RS256', use: 'sig' }) };
}

/** Rotates the tool's key: a new one signs from now on; the old ones are published until their tokens have expired. */
export async function rotateKey(store: Store, now = new Date()): Promise<{ kid: string; retired: string[] }> {
  const before = (await store.lti.keys()).filter((k) => k.retiredAt === null).map((k) => k.kid);
  const pair = await newKeyPair();
  await store.lti.addKey(pair, now.toISOString(), true);
  return { kid: pair.kid, retired: before };
}

export class ToolKeys {
  readonly #store: Store;
  readonly #now: () => Date;
  #loaded: Promise<LoadedKeys> | undefined;
  #hmac: Promise<CryptoKey> | undefined;

  constructor(store: Store, now: () => Date) {
    this.#store = store;
    this.#now = now;
  }

  /** Makes the first key and the HMAC secret, when the store has none yet. */
  async init(): Promise<void> {
    if ((await this.#store.lti.keys()).every((k) => k.retiredAt !== null)) await this.#store.lti.addKey(await newKeyPair(), this.#now().toISOString(), false);
    await this.#secret();
  }

  async #keys(): Promise<LoadedKeys> {
    const held = this.#loaded;
    if (held) {
      const k = await held.catch(() => undefined);
      if (k && Date.now() - k.at < KEY_CACHE_MS) return k;
    }
    const next = this.#read();
    this.#loaded = next;
    return next;
  }

  async #read(): Promise<LoadedKeys> {
    let rows = await this.#store.lti.keys();
    if (!rows.some((k) => k.retiredAt === null)) {
      await this.init();
      rows = await this.#store.lti.keys();
    }
    const current = rows.find((k) => k.retiredAt === null)!;
    const now = this.#now().getTime();
    const published = rows.filter((k) => k.retiredAt === null || now - Date.parse(k.retiredAt) < KEY_RETENTION_MS).map((k) => JSON.parse(k.publicJwk) as JWK);
    return { signing: { kid: current.kid, key: (await importJWK(JSON.parse(current.privateJwk) as JWK, 'RS256')) as CryptoKey }, published, at: Date.now() };
  }

  /** The public keys to publish (the JWKS). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.#keys()).published };
  }

  /** Signs claims with the current RSA key (RS256, its kid in the header), for `lifetimeS` seconds. */
  async sign(claims: JWTPayload, lifetimeS = SIGNED_TOKEN_LIFETIME_S): Promise<string> {
    const { signing } = await this.#keys();
    const now = Math.floor(this.#now().getTime() / 1000);
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + Math.min(lifetimeS, SIGNED_TOKEN_LIFETIME_S)).sign(signing.key);
  }

  #secret(): Promise<CryptoKey> {
    // imported once as a CryptoKey: given raw bytes, jose imports them again at every token (a third of its time)
    this.#hmac ??= this.#store.lti.setting('hmac-secret', () => randomBytes(32).toString('base64url'))
      .then((s) => globalThis.crypto.subtle.importKey('raw', Buffer.from(s, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));
    this.#hmac.catch(() => {
      this.#hmac = undefined;
    });
    return this.#hmac;
  }

  /** A token of the tool's own (HS256): `purpose` is its audience, so a state is never taken for a session. */
  async own(purpose: string, claims: JWTPayload, lifetimeS: number): Promise<string> {
    const now = Math.floor(this.#now().getTime() / 1000);
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('gradsheet').setAudience(`gradsheet/${purpose}`).setIssuedAt(now).setExpirationTime(now + lifetimeS).sign(await this.#secret());
  }

  /** The claims of one of the tool's own tokens, or null when it is not one, was altered, or has expired. */
  async verifyOwn<T extends JWTPayload>(purpose: string, token: string): Promise<T | null> {
    try {
      const { payload } = await jwtVerify(token, await this.#secret(), { issuer: 'gradsheet', audience: `gradsheet/${purpose}`, algorithms: ['HS256'], currentDate: this.#now() });
      return payload as T;
    } catch {
      return null;
    }
  }
}
