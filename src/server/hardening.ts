/**
 * The bounds and transport rules `gradsheet serve` holds every request to, kept apart from the
 * routes (app.ts): the request target and Host checked before hono sees them, the page's assets
 * hashed and compressed once at start, the audit log of teacher routes, a budget on the bytes of
 * request bodies held at once, and the client's address (X-Forwarded-For only behind a proxy).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** Loopback names a browser on the same machine sends as Host. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** The Host header's name without its port, lower case ("[::1]:8080" → "[::1]"). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.includes(':') && !h.startsWith('[') && h.indexOf(':') !== h.lastIndexOf(':')) return `[${h}]`; // a bare IPv6 address, as a flag gives it
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

function answer(res: ServerResponse, status: number, detail: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: 'about:blank', title: status === 421 ? 'Misdirected Request' : status === 408 ? 'Request Timeout' : 'Bad Request', status, detail });
  res.writeHead(status, { 'content-type': 'application/problem+json; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), connection: 'close', ...extra }).end(body);
}

/**
 * Whether a request target is one a route could answer: a path from the root, not `//…` (which a
 * URL parser reads as another host), no backslash before the query, parsed by WHATWG URL. (A bad
 * percent-escape is left to the routes: a path no route has, 404.)
 */
export function malformedTarget(url: string | undefined): string | undefined {
  if (!url || url.charCodeAt(0) !== 47 || url.startsWith('//')) return 'The request target should be a path from the root, such as /api/v1/grade.';
  const path = url.split('?')[0]!;
  if (path.includes('\\')) return 'The request path has a backslash.';
  try {
    new URL(url, 'http://localhost');
  } catch {
    return 'The request target is not a well-formed URL.';
  }
  return undefined;
}

/**
 * The listener behind a guard: a malformed target is 400 and a Host not on the allow-list 421,
 * both before the routes. `allowedHosts` undefined: any Host (a server embedded in tests).
 */
export function guard(listener: (req: IncomingMessage, res: ServerResponse) => void, allowedHosts: readonly string[] | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  const allowed = allowedHosts ? new Set(allowedHosts.map(hostName).filter(Boolean)) : undefined;
  return (req, res) => {
    const bad = malformedTarget(req.url);
    if (bad) return answer(res, 400, bad);
    if (allowed) {
      const host = req.headers.host;
      if (!host || !allowed.has(hostName(host))) return answer(res, 421, `This server answers for ${[...allowed].join(', ')}, not for the host "${(host ?? '').slice(0, 64)}" (see --allowed-hosts).`);
    }
    listener(req, res);
  };
}

/** The client's address: the socket's, or behind a trusted proxy the first of X-Forwarded-For. */
export function clientIp(req: IncomingMessage, behindProxy: boolean): string {
  const forwarded = behindProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return (first || req.socket.remoteAddress || '').slice(0, 64);
}

/** One line of the audit log: who used a teacher route, or sent a wrong token. Never answers or student data. */
export interface AuditEntry {
  route: string;
  ip: string;
  outcome: 'allowed' | 'no-token' | 'invalid-token' | 'closed';
}
export type AuditLog = (entry: AuditEntry) => void;

/** An audit log writing one JSON line each to `write` (stderr, or a file's stream). */
export const auditLog = (write: (line: string) => void): AuditLog => (e) => write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);

/**
 * The bytes of request bodies held at once, across all connections: a body that would take the
 * total over the budget is refused (503) rather than buffered, so stalled uploads cannot grow the
 * server's memory beyond it.
 */
export class BodyBudget {
  #held = 0;
  constructor(readonly max: number) {}
  take(bytes: number): boolean {
    if (this.#held + bytes > this.max) return false;
    this.#held += bytes;
    return true;
  }
  give(bytes: number): void {
    this.#held -= bytes;
  }
  get held(): number {
    return this.#held;
  }
}

/** A static asset, hashed and compressed once. */
export interface Asset {
  type: string;
  hash: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export function prepareAsset(text: string, type: string): Asset {
  const raw = Buffer.from(text, 'utf8');
  return {
    type, raw,
    hash: createHash('sha256').update(raw).digest('hex').slice(0, 16),
    gzip: gzipSync(raw, { level: 9 }),
    // quality 5, not 11: KaTeX's CSS (369 KB, its fonts inlined as base64 woff2) takes 13 ms instead
    // of 750 ms at every start, for 0.4% more bytes (263 against 262 KB)
    br: brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
  };
}

/** An asset's hashed name: app.css → app.<hash>.css. */
export const hashedName = (name: string, asset: Asset): string => name.replace(/(\.[a-z]+)$/, `.${asset.hash}$1`);

/**
 * An asset answered: brotli or gzip when the client accepts them, with its ETag; under its hashed
 * name cached for a year as immutable, under its plain name revalidated (no-cache, 304 on a match).
 */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset, immutable: boolean, extra: Record<string, string> = {}): void {
  const accept = String(req.headers['accept-encoding'] ?? '');
  const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : undefined;
  const etag = `"${asset.hash}"`;
  const headers: Record<string, string | number> = {
    'content-type': asset.type, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', etag, vary: 'accept-encoding',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache', ...extra,
  };
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  const body = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gzip : asset.raw;
  if (encoding) headers['content-encoding'] = encoding;
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
