import { createWriteStream, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { assignmentSchema, describePolicy, type AssignmentPolicy } from '../problems/assignment.js';
import { BODY_TIMEOUT_MS, createHandler, type Bounds } from '../server/app.js';
import { LOOPBACK_HOSTS, auditLog, isLoopback } from '../server/hardening.js';
import { DEFAULT_LIMITS, Throttle, type Limits } from '../server/throttle.js';
import { issueSentence } from '../validation.js';
import { packageDir } from './files.js';
import { readJson, readText } from './io.js';
import { KEY_OPTIONS, loadGrader, withPinnedBank, type LoadedGrader } from './key-source.js';
import { Registrations } from '../server/lti/config.js';
import { LtiTool, type LtiBank } from '../server/lti/tool.js';
import type { Store } from '../store/store.js';
import type { Bank } from '../problems/bank.js';
import { defaultBankNames } from './files.js';
import { titleText } from '../render/typeset.js';
import { STORE_OPTIONS, openStore } from './store-options.js';

/** serve's flags that override the bank's assignment policy */
const POLICY_OPTIONS = {
  'max-attempts': { type: 'string' },
  counts: { type: 'string' },
  due: { type: 'string' },
  late: { type: 'string' },
  'feedback-before-due': { type: 'string' },
  'reveal-answers': { type: 'string' },
  'record-checks': { type: 'boolean' },
  hints: { type: 'string' },
} as const;

/** serve's flags for its bounds and transport */
const HARDENING_OPTIONS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'behind-proxy': { type: 'boolean' },
  'allowed-hosts': { type: 'string' },
  'frame-ancestors': { type: 'string' },
  'audit-log': { type: 'string' },
  'body-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
} as const;

export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const MAX_CONNECTIONS = 512;

/** A duration as a flag gives it: 10s, 500ms, or a number of seconds. */
export function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) : NaN;
  if (!(ms >= 100 && ms <= 600_000)) throw new GradsheetError('usage', `${flag} should be a duration from 100ms to 600s (10s, 500ms), not "${text}".`);
  return ms;
}

/** frame-ancestors sources: 'none', 'self', or origins such as https://canvas.example.edu; nothing that could end the directive. */
export function frameAncestors(text: string): string {
  const sources = text.trim().split(/\s+/);
  const ok = (t: string) => t === "'self'" || /^(https?:\/\/)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?$/i.test(t) || /^https?:$/.test(t);
  if (!(sources.length === 1 && sources[0] === "'none'") && !sources.every(ok)) throw new GradsheetError('usage', `--frame-ancestors should be 'none', or origins such as https://canvas.example.edu (and 'self'), separated by spaces, not "${text.slice(0, 80)}".`);
  return sources.join(' ');
}

type HardeningValues = { [K in keyof typeof HARDENING_OPTIONS]?: K extends 'behind-proxy' ? boolean : string };

/**
 * The server's bounds and transport from the flags: TLS, Host allow-list, frame-ancestors, audit
 * log, body timeout and connection cap; and the warnings to print at start (beyond loopback
 * without TLS or a proxy, a Host header not checked).
 */
export async function hardeningFrom(values: HardeningValues, host: string): Promise<{ bounds: Bounds; tls?: { cert: string; key: string }; maxConnections: number; warnings: string[] }> {
  const warnings: string[] = [];
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new GradsheetError('usage', '--tls-cert and --tls-key go together: the certificate and its private key.');
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: await readText(values['tls-cert']), key: await readText(values['tls-key']) } : undefined;
  const loopback = isLoopback(host);
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (!loopback && !tls && !values['behind-proxy']) warnings.push(`Warning: listening on ${host}, beyond this machine, without TLS: tokens and answers cross the network in clear. Use --tls-cert and --tls-key, or --behind-proxy behind an HTTPS proxy.`);
  let allowedHosts: string[] | undefined;
  if (values['allowed-hosts'] !== undefined) allowedHosts = values['allowed-hosts'].split(',').map((h) => h.trim()).filter(Boolean);
  else if (loopback) allowedHosts = [...LOOPBACK_HOSTS, host];
  else if (!wildcard) allowedHosts = [host];
  else warnings.push(`Warning: listening on ${host} answers any Host header; name the server's host names with --allowed-hosts.`);
  const maxConnections = values['max-connections'] === undefined ? MAX_CONNECTIONS : Number(values['max-connections']);
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new GradsheetError('usage', `--max-connections should be a whole number of at least 1, not "${values['max-connections']}".`);
  let audit;
  if (values['audit-log']) {
    const stream = createWriteStream(values['audit-log'], { flags: 'a' });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', (e) => reject(new GradsheetError('usage', `Cannot write the audit log ${values['audit-log']}: ${e.message}.`))));
    audit = auditLog((line) => stream.write(line));
  } else {
    audit = auditLog((line) => process.stderr.write(line));
  }
  const bounds: Bounds = {
    bodyTimeoutMs: values['body-timeout'] === undefined ? BODY_TIMEOUT_MS : durationMs(values['body-timeout'], '--body-timeout'),
    frameAncestors: values['frame-ancestors'] === undefined ? "'none'" : frameAncestors(values['frame-ancestors']),
    behindProxy: values['behind-proxy'] ?? false,
    audit,
    ...(allowedHosts ? { allowedHosts } : {}),
  };
  return { bounds, ...(tls ? { tls } : {}), maxConnections, warnings };
}

/** The Node server, HTTP or HTTPS, with its timeouts and connection cap: nothing a client does holds it for long. */
export function boundedServer(handler: (req: IncomingMessage, res: ServerResponse) => void, o: { tls?: { cert: string; key: string }; maxConnections: number; bodyTimeoutMs: number }): Server {
  const options = {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS + o.bodyTimeoutMs),
    keepAliveTimeout: 5000,
    // how often Node looks for requests over those timeouts (its default, 30 s, would double them)
    connectionsCheckingInterval: 1000,
  };
  const server: Server = o.tls ? createTlsServer({ ...options, cert: o.tls.cert, key: o.tls.key }, handler) : createServer(options, handler);
  server.headersTimeout = options.headersTimeout;
  server.requestTimeout = options.requestTimeout;
  server.keepAliveTimeout = options.keepAliveTimeout;
  server.maxConnections = o.maxConnections;
  return server;
}

/** The bank's policy with the flags given over it; a bad value is one sentence naming the flag. */
export function policyFrom(base: AssignmentPolicy | undefined, values: { [K in keyof typeof POLICY_OPTIONS]?: K extends 'record-checks' ? boolean : string }): AssignmentPolicy {
  const merged: Record<string, unknown> = { ...(base ?? {}) };
  const flag: Record<string, string> = {};
  const set = (key: string, name: string, value: unknown) => {
    merged[key] = value;
    flag[key] = name;
  };
  const attempts = values['max-attempts'];
  if (attempts !== undefined) {
    if (attempts === 'unlimited') {
      delete merged.maxAttempts;
    } else {
      set('maxAttempts', '--max-attempts', /^\d+$/.test(attempts) ? Number(attempts) : attempts);
    }
  }
  if (values.counts !== undefined) set('counts', '--counts', values.counts);
  if (values.due !== undefined) {
    if (values.due === 'none') delete merged.due;
    else set('due', '--due', values.due);
  }
  if (values.late !== undefined) set('late', '--late', values.late);
  if (values['feedback-before-due'] !== undefined) set('feedbackBeforeDue', '--feedback-before-due', values['feedback-before-due']);
  if (values['reveal-answers'] !== undefined) set('revealAnswers', '--reveal-answers', values['reveal-answers']);
  if (values['record-checks'] !== undefined) set('recordChecks', '--record-checks', values['record-checks']);
  if (values.hints !== undefined) set('hints', '--hints', values.hints);
  const parsed = assignmentSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const where = flag[key] ?? `the bank's assignment.${key}`;
    throw new GradsheetError('usage', `${where} ${issueSentence(issue, merged[key])}${key === 'maxAttempts' ? ' (or unlimited)' : key === 'due' ? ' (or none)' : ''}.`.replace(/\.\.$/, '.'));
  }
  return parsed.data;
}

/** serve's grading limits (throttle.ts) and the practice acknowledgement */
const LIMIT_OPTIONS = {
  'checks-per-hour': { type: 'string' },
  'requests-per-minute': { type: 'string' },
  'misses-per-hour': { type: 'string' },
  practice: { type: 'boolean', default: false },
} as const;

/** The grading limits from the flags: a whole number, or unlimited; a bad value is one sentence naming the flag. */
export function limitsFrom(values: { 'checks-per-hour'?: string; 'requests-per-minute'?: string; 'misses-per-hour'?: string }): Limits {
  const read = (flag: keyof typeof values, fallback: number | null): number | null => {
    const v = values[flag];
    if (v === undefined) return fallback;
    if (v === 'unlimited') return null;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new GradsheetError('usage', `--${flag} should be a whole number from 1 (or unlimited), not "${v.slice(0, 20)}".`);
    return Number(v);
  };
  return { checksPerHour: read('checks-per-hour', DEFAULT_LIMITS.checksPerHour), requestsPerMinute: read('requests-per-minute', DEFAULT_LIMITS.requestsPerMinute), missesPerHour: read('misses-per-hour', DEFAULT_LIMITS.missesPerHour) };
}

/**
 * A practice key or bank with --seed has public answers: anyone with the seed (and a small one is
 * found from one code) rebuilds them. Serving one needs --practice, which says so; the sentence otherwise.
 */
export function practiceRefusal(practice: boolean, acknowledged: boolean, source: string): string | null {
  if (!practice || acknowledged) return null;
  return `${source} is a practice set: its answers are public (anyone with the seed can rebuild them), so serve it only for practice, with --practice.`;
}

/** `gradsheet serve (--key key.json | --bank B --secret-file F | --bank B --seed S) [--data DIR | --database URL] [policy flags] [--port P] [--host H] [--token-file T] [--reveal]` */
export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, ...STORE_OPTIONS, ...POLICY_OPTIONS, ...HARDENING_OPTIONS, ...LIMIT_OPTIONS, ...LTI_OPTIONS, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, 'token-file': { type: 'string' } }, strict: true });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GradsheetError('usage', `--port should be a port number from 0 to 65535, not "${values.port}".`);
  // the grader before the store, so a mistyped bank or key says so before a database is opened
  const unpinned = await loadGrader(values, 'serve');
  const { bank, practice } = unpinned;
  const refusal = practiceRefusal(practice, values.practice, values.seed !== undefined ? `Bank ${bank?.id ?? values.bank} with --seed ${values.seed}` : `The answer key ${values.key ?? ''}`);
  if (refusal) throw new GradsheetError('usage', refusal);
  const policy = policyFrom(bank?.assignment, values);
  const registrations = values['lti-config'] ? Registrations.parse(await readJson(values['lti-config']), values['lti-config']) : undefined;
  if (registrations && !bank) throw new GradsheetError('usage', 'serve --lti-config needs --bank with --secret-file: each launched student is issued their own worksheet code, which an answer key (--key) cannot do.');
  if (values['public-url'] !== undefined && !registrations) throw new GradsheetError('usage', '--public-url is the address platforms reach this server at, for LTI: give it with --lti-config.');
  const limits = limitsFrom(values);
  const token = values['token-file'] ? (await readText(values['token-file'])).trim() : process.env.GRADSHEET_TOKEN?.trim();
  if (token !== undefined && token.length < 16) throw new GradsheetError('usage', 'The teacher token is too short; use at least 16 random characters (e.g. `openssl rand -hex 24`).');
  const hardening = await hardeningFrom(values, values.host);
  // the host platforms reach this server by is one it answers
  if (values['public-url'] && URL.canParse(values['public-url']) && hardening.bounds.allowedHosts) {
    const publicHost = new URL(values['public-url']).hostname;
    if (!hardening.bounds.allowedHosts.includes(publicHost)) hardening.bounds.allowedHosts = [...hardening.bounds.allowedHosts, publicHost];
  }
  if (values.reveal) hardening.warnings.push('Warning: --reveal states the right answer of every part to anyone who checks a worksheet, even an empty one: start it only for practice.');
  const dir = join(packageDir(), 'templates', 'serve');
  const assets = { pageHtml: readFileSync(join(dir, 'page.html'), 'utf8'), appJs: readFileSync(join(dir, 'app.js'), 'utf8'), appCss: readFileSync(join(dir, 'app.css'), 'utf8') };
  const store = await openStore(values);
  let loaded;
  try {
    loaded = await withPinnedBank(unpinned, store);
  } catch (e) {
    await store.close();
    throw e;
  }
  const { grader, title } = loaded;
  // a regrade marks against the bank or key as it is on disk then
  const reload = async () => {
    const fresh = await withPinnedBank(await loadGrader(values, 'serve'), store);
    return { grader: fresh.grader, against: fresh.against };
  };
  const throttle = new Throttle(limits, store);
  let lti: LtiTool | undefined;
  if (registrations) {
    try {
      lti = await ltiTool({ values, registrations, store, loaded, policyOf: (b) => policyFrom(b.assignment, values), port, bounds: hardening.bounds, tls: hardening.tls !== undefined });
      await lti.start();
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  const server = boundedServer(createHandler({ grader, token, assets, store, policy, reload, throttle, bounds: hardening.bounds, ...(lti ? { lti } : {}) }), { ...hardening, bodyTimeoutMs: hardening.bounds.bodyTimeoutMs! });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new GradsheetError('usage', e.code === 'EADDRINUSE' ? `Port ${port} is in use; choose another with --port.` : `Cannot listen on ${values.host}:${port}: ${e.message}.`)));
      server.listen(port, values.host, resolve);
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  for (const warning of hardening.warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`Serving ${title} at ${hardening.tls ? 'https' : 'http'}://${values.host.includes(':') ? `[${values.host}]` : values.host}:${actual}/ (teacher routes ${token ? 'need the token' : 'closed: no token'}; Ctrl-C stops)\n`);
  process.stdout.write(`Submissions are kept in the ${store.where}; ${describePolicy(policy)}.\n`);
  process.stdout.write(`Grading limits: ${describeLimits(limits)}.\n`);
  if (lti) process.stdout.write(`LTI 1.3: ${registrations!.all.length} registration${registrations!.all.length === 1 ? '' : 's'}; login ${lti.publicUrl}/lti/login, launch ${lti.publicUrl}/lti/launch, keys ${lti.publicUrl}/.well-known/jwks.json; banks offered: ${[...lti.banks.keys()].join(', ')}.\n`);
  if (practice) process.stdout.write('Practice set: its answers are public (anyone with the seed can rebuild them); nothing graded here should count.\n');
  if (loaded.drawnWith) process.stdout.write(`The bank changed since its worksheets were drawn (${loaded.drawnWith.pinnedAt}): they are drawn as then, and graded with the bank's tolerances and points as they are now.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await lti?.stop().catch(() => undefined);
  await throttle.close().catch(() => undefined);
  await store.close();
  return 0;
}

/** serve's LTI flags */
const LTI_OPTIONS = {
  'lti-config': { type: 'string' },
  'public-url': { type: 'string' },
  'lti-banks': { type: 'string' },
} as const;

/**
 * The LTI tool of a serve: the banks it offers for Deep Linking (the served bank first, then
 * --lti-banks or else every default bank), each drawn as the store pinned it, with the served
 * secret and the policy flags over each bank's own policy.
 */
async function ltiTool(o: { values: { 'public-url'?: string; 'lti-banks'?: string; host: string; 'secret-file'?: string; seed?: string; reveal?: boolean }; registrations: Registrations; store: Store; loaded: LoadedGrader; policyOf: (b: Bank) => AssignmentPolicy; port: number; bounds: Bounds; tls: boolean }): Promise<LtiTool> {
  const served = o.loaded.bank!;
  let publicUrl = o.values['public-url'];
  if (publicUrl === undefined) {
    const host = o.values.host.includes(':') ? `[${o.values.host}]` : o.values.host;
    publicUrl = `${o.tls ? 'https' : 'http'}://${host}:${o.port}`;
  } else if (!/^https?:\/\/[^/?#\s]+\/?$/.test(publicUrl)) {
    // the pages and the page's script name their routes from the root: a path would need every one prefixed
    throw new GradsheetError('usage', `--public-url should be the server's address as platforms reach it, with no path, like https://gradsheet.example.edu, not "${publicUrl.slice(0, 80)}".`);
  }
  publicUrl = publicUrl.replace(/\/+$/, '');
  const names = o.values['lti-banks'] !== undefined ? o.values['lti-banks'].split(',').map((n) => n.trim()).filter(Boolean) : defaultBankNames();
  const banks = new Map<string, LtiBank>();
  const add = async (bank: Bank, loaded: LoadedGrader) => {
    if (banks.has(bank.id)) return;
    const pinned = await withPinnedBank(loaded, o.store);
    const probe = pinned.grader.variant(pinned.grader.codeFor('gradsheet-probe'), 'gradsheet-probe');
    // a platform refuses a line item of 0 points: a bank whose points cannot be counted is not offered
    if ('error' in probe) throw new GradsheetError('invalid-input', `Bank ${bank.id} cannot be offered over LTI: ${probe.error}`);
    banks.set(bank.id, {
      id: bank.id, title: titleText(bank.title), grader: pinned.grader, policy: o.policyOf(bank),
      points: probe.variant.questions.reduce((sum, q) => sum + q.parts.reduce((t, p) => t + p.points, 0), 0),
      questions: bank.questions.length,
    });
  };
  await add(served, o.loaded);
  for (const name of names) {
    const loaded = await loadGrader({ ...o.values, bank: name }, 'serve');
    await add(loaded.bank!, loaded);
  }
  return new LtiTool({ store: o.store, registrations: o.registrations, publicUrl, banks, defaultBank: served.id, ...(o.bounds.frameAncestors ? { frameAncestors: o.bounds.frameAncestors } : {}) });
}

/** The limits in one phrase, for the start-up message. */
function describeLimits(l: Limits): string {
  const one = (n: number | null, what: string) => (n === null ? `${what} unlimited` : `${n} ${what}`);
  return `${one(l.checksPerHour, 'checks per worksheet code per hour')}, ${one(l.requestsPerMinute, 'grading requests per address per minute')}, ${one(l.missesPerHour, 'unknown codes per address per hour')} (the teacher's token is not limited)`;
}
