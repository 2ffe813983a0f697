/**
 * The "Hardening serve" issue, against real `gradsheet serve` processes (dist/cli.js) where timing
 * and memory matter: a slow body is cut within --body-timeout; hundreds of stalled uploads leave
 * the server's RSS bounded and /healthz answering; a malformed target is 400; a submission full of
 * unknown part ids is 400 at once; long strings come back clipped; TLS; the start-up warnings;
 * frame-ancestors; assets hashed, cached and compressed; 401 invalid_token and the audit log.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';
import { LruCache } from '../src/lru.js';

const TOKEN = 'teacher-token-0123456789abcdef';
const SEED = 'hardening';
const dir = tempDir('gradsheet-hardening-');
writeFileSync(join(dir, 'token'), TOKEN);
const children: ChildProcess[] = [];

interface Served { child: ChildProcess; base: string; port: number; stderr: () => string }

/** `gradsheet serve` on a free port; resolves once it says where it listens */
function serve(name: string, flags: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--bank', 'bptt-basics', '--seed', SEED, '--practice', '--data', join(dir, name), '--token-file', join(dir, 'token'), '--port', '0', '--checks-per-hour', 'unlimited', '--requests-per-minute', 'unlimited', '--misses-per-hour', 'unlimited', ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '', err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /at (https?:\/\/[^/\s]+:(\d+))\//.exec(out);
      if (m) resolve({ child, base: m[1]!.replace('0.0.0.0', '127.0.0.1'), port: Number(m[2]), stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** the server's resident memory in KB (Linux) */
const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** a raw request on its own socket: the status line and the time it took, or 'closed' */
function raw(port: number, text: string): Promise<{ status: number | 'closed'; ms: number; body: string }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (b) => { got += b.toString(); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : 'closed', ms: performance.now() - start, body: got.slice(got.indexOf('\r\n\r\n') + 4) });
    });
  });
}

let main: Served, key: { variants: { code: string; student: string; questions: { parts: { id: string }[] }[] }[] };
beforeAll(async () => {
  execFileSync(process.execPath, [CLI, 'generate', '--bank', 'bptt-basics', '--seed', SEED, '--count', '1', '--out', join(dir, 'gen')], { cwd: ROOT });
  key = JSON.parse(readFileSync(join(dir, 'gen', 'key.json'), 'utf8'));
  main = await serve('main', ['--body-timeout', '2s', '--audit-log', join(dir, 'audit.jsonl'), '--frame-ancestors', 'https://canvas.example.edu']);
}, 60_000);
afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

const submission = (answers: Record<string, unknown>, worksheet = key.variants[0]!.code) => JSON.stringify({ format: 'gradsheet.submission/1', worksheet, student: key.variants[0]!.student, answers });

describe('bounded requests', () => {
  it('cuts a body sent one byte a second within the body timeout (408, connection closed)', async () => {
    const start = performance.now();
    const result = await new Promise<{ status: string; ms: number }>((resolve) => {
      const socket = net.connect(main.port, '127.0.0.1', () => {
        socket.write(`POST /api/v1/grade HTTP/1.1\r\nHost: 127.0.0.1:${main.port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`);
      });
      const drip = setInterval(() => socket.writable && socket.write(' '), 1000);
      let got = '';
      socket.on('data', (b) => { got += b.toString(); });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ status: got.split('\r\n')[0]!, ms: performance.now() - start });
      });
    });
    expect(result.status).toBe('HTTP/1.1 408 Request Timeout');
    // the body timeout is 2 s; closed well before the 30 s request timeout (or Node's 300 s)
    expect(result.ms).toBeGreaterThan(1800);
    expect(result.ms).toBeLessThan(6000);
  }, 20_000);

  it('keeps its memory bounded under 400 stalled uploads, and still answers /healthz', async () => {
    const pid = main.child.pid!;
    await fetch(`${main.base}/healthz`);
    const before = rssKb(pid);
    const sockets: net.Socket[] = [];
    const chunk = Buffer.alloc(16 << 10, 0x20);
    await Promise.all(Array.from({ length: 400 }, (_, i) => new Promise<void>((resolve) => {
      const socket = net.connect(main.port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.on('connect', () => {
        // half declare a body just under the limit and send most of it; half stream a megabyte
        // without a length (the old server kept all of either until the client gave up)
        const chunked = i % 2 === 1;
        socket.write(`POST /api/v1/grade HTTP/1.1\r\nHost: 127.0.0.1:${main.port}\r\ncontent-type: application/json\r\n${chunked ? 'transfer-encoding: chunked' : 'content-length: 60000'}\r\n\r\n`);
        let sent = 0;
        const goal = chunked ? 1 << 20 : 56 << 10;
        const pump = () => {
          while (sent < goal && !socket.destroyed) {
            sent += chunk.length;
            const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
            if (!ok) return void socket.once('drain', pump);
          }
          resolve();
        };
        pump();
      });
    })));
    await new Promise((r) => setTimeout(r, 300));
    const during = rssKb(pid);
    const health = await fetch(`${main.base}/healthz`, { signal: AbortSignal.timeout(3000) });
    expect(health.status).toBe(200);
    for (const s of sockets) s.destroy();
    // 400 × up to 1 MB would be ~200–400 MB held; each body is cut at 64 KiB and the bytes of bodies
    // held at once are budgeted
    console.log(`RSS before ${before} KB, during ${during} KB`);
    expect(during - before).toBeLessThan(80 * 1024);
  }, 60_000);

  it('answers //[ and other malformed targets with 400, never 500', async () => {
    for (const target of ['//[', '//evil.example/x', '/a\\b']) {
      const r = await raw(main.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${main.port}\r\nconnection: close\r\n\r\n`);
      expect(r.status, target).toBe(400);
    }
  });

  it('refuses a submission of 75,000 unknown part ids with 400 before grading it, naming the first few', async () => {
    const answers = Object.fromEntries(Array.from({ length: 75_000 }, (_, i) => [`x${i}`, 1]));
    const body = submission(answers);
    expect(body.length).toBeGreaterThan(700_000);
    // a student's body that size is over the single-submission limit
    expect((await fetch(`${main.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(413);
    // a teacher's (who may send more) is refused before the marking work: one sentence, not 11 MB
    const start = performance.now();
    const res = await fetch(`${main.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    const text = await res.text();
    const ms = performance.now() - start;
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(1000);
    expect(JSON.parse(text).detail).toMatch(/^Worksheet \S+ has no part "x0", "x1", "x2" \(nor 74997 more of the ids sent\); its parts are q1\.\w to q\d\.\w\.$/);
    expect(ms).toBeLessThan(1500);
    // one unknown id among right ones: still refused, as one sentence
    const one = await fetch(`${main.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: submission({ 'q1.a': 1, 'q9.z': 2 }) });
    expect(one.status).toBe(400);
    expect((await one.json()).detail).toMatch(/has no part "q9\.z";/);
  }, 30_000);

  it('echoes a long worksheet code clipped to 64 characters, in an error and in a batch result', async () => {
    const long = 'K'.repeat(60_000);
    const res = await fetch(`${main.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: submission({}, long) });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(600);
    expect(JSON.parse(text).detail).toContain(`"${'K'.repeat(63)}…"`);
    const batch = await fetch(`${main.base}/api/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: `[${submission({}, long)}]` });
    const btext = await batch.text();
    expect(batch.status).toBe(200);
    expect(btext.length).toBeLessThan(1000);
    expect(JSON.parse(btext)[0].worksheet).toHaveLength(64);
  });
});

describe('transport and headers', () => {
  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const tls = await serve('tls', ['--tls-cert', join(dir, 'c.pem'), '--tls-key', join(dir, 'k.pem')]);
    expect(tls.base).toMatch(/^https:\/\//);
    const ca = readFileSync(join(dir, 'c.pem'));
    const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      https.get(`${tls.base}/healthz`, { ca, checkServerIdentity: () => undefined }, (res) => {
        let body = '';
        res.on('data', (b) => { body += b; });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      }).on('error', reject);
    });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body).status).toBe('ok');
    expect(tls.stderr()).not.toMatch(/Warning/);
  }, 30_000);

  it('warns on stderr when listening beyond loopback without TLS or a proxy, and when --reveal hands out answers', async () => {
    const open = await serve('open', ['--host', '0.0.0.0', '--reveal']);
    await new Promise((r) => setTimeout(r, 200));
    expect(open.stderr()).toMatch(/Warning: listening on 0\.0\.0\.0, beyond this machine, without TLS/);
    expect(open.stderr()).toMatch(/Warning: --reveal states the right answer of every part/);
    const proxied = await serve('proxied', ['--host', '0.0.0.0', '--behind-proxy', '--allowed-hosts', 'grades.example.edu']);
    await new Promise((r) => setTimeout(r, 200));
    expect(proxied.stderr()).not.toMatch(/Warning/);
    // the allow-list holds: only grades.example.edu
    expect((await fetch(`${proxied.base}/healthz`)).status).toBe(421);
    const named = await raw(proxied.port, 'GET /healthz HTTP/1.1\r\nHost: grades.example.edu\r\nconnection: close\r\n\r\n');
    expect(named.status).toBe(200);
  }, 30_000);

  it('answers a Host not on the allow-list with 421 (loopback names by default)', async () => {
    expect((await raw(main.port, `GET /healthz HTTP/1.1\r\nHost: evil.example\r\nconnection: close\r\n\r\n`)).status).toBe(421);
    expect((await raw(main.port, `GET /healthz HTTP/1.1\r\nHost: localhost:${main.port}\r\nconnection: close\r\n\r\n`)).status).toBe(200);
  });

  it('sets frame-ancestors from --frame-ancestors, and refuses a value that could end the directive', async () => {
    const res = await fetch(`${main.base}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors https:\/\/canvas\.example\.edu$/);
    const bad = gradsheet(['serve', '--bank', 'bptt-basics', '--seed', SEED, '--practice', '--data', join(dir, 'bad'), '--frame-ancestors', "https://a.example; script-src *"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--frame-ancestors should be 'none', or origins/);
  });

  it('links assets by content hash, cached as immutable, gzip- and brotli-compressed, revalidated by ETag under their plain names', async () => {
    const page = await (await fetch(`${main.base}/`)).text();
    const href = /href="(\/assets\/katex\.[0-9a-f]{16}\.css)"/.exec(page)![1]!;
    const hashed = await fetch(`${main.base}${href}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(hashed.headers.get('vary')).toBe('accept-encoding');
    // fetch decodes for us: read it raw to see the encoding and the size on the wire
    const wire = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve) => {
      const socket = net.connect(main.port, '127.0.0.1', () => socket.write(`GET ${href} HTTP/1.1\r\nHost: 127.0.0.1\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n`));
      const chunks: Buffer[] = [];
      socket.on('data', (b) => chunks.push(b));
      socket.on('close', () => {
        const all = Buffer.concat(chunks);
        const split = all.indexOf('\r\n\r\n');
        resolve({ encoding: /content-encoding: (\w+)/i.exec(all.subarray(0, split).toString())?.[1], body: all.subarray(split + 4) });
      });
    });
    expect(wire.encoding).toBe('gzip');
    const plain = await (await fetch(`${main.base}/assets/katex.css`, { headers: { 'accept-encoding': 'identity' } })).text();
    expect(gunzipSync(wire.body).toString()).toBe(plain);
    const br = await fetch(`${main.base}/assets/app.css`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toBe('no-cache');
    const etag = br.headers.get('etag')!;
    expect((await fetch(`${main.base}/assets/app.css`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers a wrong token with 401 invalid_token, and writes teacher routes and failed tokens to the audit log, never the token', async () => {
    const wrong = await fetch(`${main.base}/api/v1/gradebook.csv`, { headers: { authorization: 'Bearer wrong-token-00000000000000' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="gradsheet", error="invalid_token"');
    expect((await fetch(`${main.base}/api/v1/gradebook.csv`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const log = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    const lines = log.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ route: 'GET /api/v1/gradebook.csv', ip: '127.0.0.1', outcome: 'invalid-token' }));
    expect(lines).toContainEqual(expect.objectContaining({ route: 'GET /api/v1/gradebook.csv', outcome: 'allowed' }));
    for (const l of lines) expect(Object.keys(l).sort()).toEqual(['ip', 'outcome', 'route', 'time']);
    expect(log).not.toContain('wrong-token');
    expect(log).not.toContain(TOKEN);
  });
});

describe('the caches', () => {
  it('evict the least recently used entry once their estimated bytes are over the bound', () => {
    const cache = new LruCache<string, string>(10, (v) => v.length);
    cache.set('a', 'xxxx');
    cache.set('b', 'xxxx');
    expect(cache.get('a')).toBe('xxxx'); // a is now the newest
    cache.set('c', 'xxxx'); // 12 bytes: b, the least recently used, goes
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.bytes, cache.size]).toEqual(['xxxx', 'xxxx', 8, 2]);
    cache.set('huge', 'x'.repeat(11)); // larger than the whole bound: not kept, nothing evicted for it
    expect([cache.get('huge'), cache.size]).toEqual([undefined, 2]);
    cache.set('a', 'xxxxxxxx'); // replacing an entry counts its new size: c goes
    expect([cache.get('c'), cache.bytes]).toEqual([undefined, 8]);
  });
});
