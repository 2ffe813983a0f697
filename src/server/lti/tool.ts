/**
 * gradsheet as an LTI 1.3 Advantage tool (`serve --lti-config lti.json`): the routes a platform
 * and a launched browser use, and the sender of scores. The core grading, recording and the page
 * are the server's own (app.ts); a launch only decides whose worksheet is opened, and a session
 * token in the page (not a cookie: LMS iframes block third-party cookies) carries that to the API.
 *
 *   GET|POST /lti/login             OIDC third-party login initiation → 302 to the platform
 *   POST     /lti/launch            id_token + state → the student's page, the teacher view, or the bank picker
 *   POST     /lti/deep-link         the instructor's bank → auto-submitting LtiDeepLinkingResponse
 *   GET      /.well-known/jwks.json the tool's public keys
 *   POST     /lti/teacher/gradebook.csv, /lti/teacher/key   a resource link's gradebook and key (instructor session)
 *   GET      /api/v1/lti/outbox     the scores sent, waiting and failed (teacher token or instructor session)
 *   POST     /api/v1/lti/outbox/{id}/resend
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { GradsheetError, HTTP_STATUS, isGradsheetError } from '../../errors.js';
import type { Grader } from '../../grade/grade.js';
import type { AssignmentPolicy } from '../../problems/assignment.js';
import { describePolicy } from '../../problems/assignment.js';
import { gradebookCsv } from '../../store/export.js';
import type { Store } from '../../store/store.js';
import { AgsClient } from './ags.js';
import type { Registrations } from './config.js';
import { ToolKeys } from './keys.js';
import { AGS_SCOPE, CLAIM, DL_CLAIM, LaunchValidator, SKEW_S, STATE_LIFETIME_S, linkId, ltiStudent, type Launch, type LoginParams } from './launch.js';
import { OutboxSender, type SenderOptions } from './outbox.js';
import { autoSubmitPage, deepLinkPage, errorPage, teacherPage, type HtmlPage, type TeacherRow } from './pages.js';

/** A bank the tool offers: its grader (the store's pinned draw) and policy. */
export interface LtiBank {
  id: string;
  title: string;
  points: number;
  questions: number;
  grader: Grader;
  policy: AssignmentPolicy;
}

/** What a session token (the page's `gradsheet-session`) says: whose worksheet, in which link. */
export interface LtiSession {
  /** the resource link (lti_links.id) */
  lnk: string;
  /** gradsheet's student id */
  stu: string;
  /** the worksheet code */
  ws: string;
  bank: string;
  /** the platform's user id */
  sub: string;
  role: 'learner' | 'instructor';
}

/** A session lasts a working day: a student may keep a worksheet open for hours. */
export const SESSION_LIFETIME_S = 8 * 3600;

export interface LtiOptions {
  store: Store;
  registrations: Registrations;
  /** the tool's public base URL (https://gradsheet.example.edu), without a trailing slash */
  publicUrl: string;
  banks: ReadonlyMap<string, LtiBank>;
  /** the bank a resource link opens when its launch names none (custom parameter `bank`) */
  defaultBank: string;
  /** frame-ancestors of the LTI pages: the server's, or else the platforms' origins */
  frameAncestors?: string;
  now?: () => Date;
  sender?: Omit<SenderOptions, 'label'>;
}

/** What the tool needs of the server it runs in. */
export interface LtiHost {
  readForm(c: Context): Promise<URLSearchParams>;
  json(c: Context, body: string): Response;
  isTeacher(c: Context): true;
  /** the student's page, carrying the session token */
  studentPage(session: string, frameAncestors: string): HtmlPage;
}

type Route = [string, string, (c: Context) => Response | Promise<Response>];

export class LtiTool {
  readonly keys: ToolKeys;
  readonly #o: LtiOptions;
  readonly #now: () => Date;
  readonly #validator: LaunchValidator;
  readonly #sender: OutboxSender;
  readonly frameAncestors: string;
  #sweep: NodeJS.Timeout | undefined;

  constructor(o: LtiOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
    this.keys = new ToolKeys(o.store, this.#now);
    this.#validator = new LaunchValidator(o.registrations, this.keys, `${o.publicUrl}/lti/launch`, this.#now);
    this.#sender = new OutboxSender(o.store, o.registrations, new AgsClient(this.keys, this.#now), this.#now, { ...o.sender, label: (bank) => o.banks.get(bank)?.title ?? bank });
    const origins = [...new Set(o.registrations.all.flatMap((r) => [r.issuer, r.authLoginUrl]).flatMap((u) => {
      try {
        return [new URL(u).origin];
      } catch {
        return [];
      }
    }))];
    this.frameAncestors = o.frameAncestors && o.frameAncestors !== "'none'" ? o.frameAncestors : `'self' ${origins.join(' ')}`.trim();
  }

  get publicUrl(): string {
    return this.#o.publicUrl;
  }

  get banks(): ReadonlyMap<string, LtiBank> {
    return this.#o.banks;
  }

  /** Makes the keys (first start) and starts sending the outbox. */
  async start(): Promise<void> {
    await this.keys.init();
    await this.#sender.start();
    const forget = () => void this.#o.store.lti.forgetNonces(new Date(this.#now().getTime() - 60_000).toISOString()).catch(() => undefined);
    forget();
    this.#sweep = setInterval(forget, 10 * 60_000);
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#sender.stop();
  }

  /** A score was queued: send it now. */
  queued(): void {
    this.#sender.kick();
  }

  /** The session of a bearer token, or null when the token is not one of this tool's sessions. */
  async session(token: string): Promise<LtiSession | null> {
    const claims = await this.keys.verifyOwn('session', token);
    if (!claims || typeof claims.lnk !== 'string' || typeof claims.stu !== 'string' || typeof claims.ws !== 'string' || typeof claims.bank !== 'string' || typeof claims.sub !== 'string') return null;
    return { lnk: claims.lnk, stu: claims.stu, ws: claims.ws, bank: claims.bank, sub: claims.sub, role: claims.role === 'instructor' ? 'instructor' : 'learner' };
  }

  routes(host: LtiHost): Route[] {
    const html = (c: Context, page: HtmlPage): Response => {
      c.header('content-security-policy', page.csp);
      c.header('cache-control', 'no-store');
      c.header('referrer-policy', 'no-referrer');
      c.header('x-content-type-options', 'nosniff');
      return c.html(page.html, page.status as 200);
    };
    /** A browser's request fails as a page; a client that asks for JSON gets the problem+json the server answers with. */
    const asPage = (handler: (c: Context) => Promise<Response>) => async (c: Context): Promise<Response> => {
      try {
        return await handler(c);
      } catch (e) {
        const accept = c.req.header('accept') ?? '';
        if (!isGradsheetError(e) || (/application\/(problem\+)?json/.test(accept) && !/text\/html/.test(accept))) throw e;
        return html(c, errorPage(HTTP_STATUS[e.code], e.message, this.frameAncestors));
      }
    };
    const login = asPage(async (c) => {
      const params: LoginParams = {};
      const source = c.req.method === 'POST' ? await host.readForm(c) : new URL(c.req.url).searchParams;
      for (const k of ['iss', 'login_hint', 'target_link_uri', 'lti_message_hint', 'client_id', 'lti_deployment_id'] as const) {
        const v = source.get(k);
        if (v !== null) params[k] = v;
      }
      c.header('cache-control', 'no-store');
      return c.redirect(await this.#validator.login(params), 302);
    });
    const instructorSession = async (c: Context, form?: URLSearchParams): Promise<LtiSession> => {
      const token = form?.get('session') ?? /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
      const s = token ? await this.session(token) : null;
      if (!s) throw new GradsheetError('unauthenticated', 'This needs the teacher view\'s session: open the assignment again from the course as its instructor.');
      if (s.role !== 'instructor') throw new GradsheetError('forbidden', 'Only the course\'s instructors can open this.');
      return s;
    };
    return [
      ['GET', '/lti/login', login],
      ['POST', '/lti/login', login],
      ['POST', '/lti/launch', asPage(async (c) => {
        const form = await host.readForm(c);
        const launch = await this.#validator.validate({ id_token: form.get('id_token') ?? undefined, state: form.get('state') ?? undefined });
        return html(c, await this.#launched(launch, host));
      })],
      ['POST', '/lti/deep-link', asPage(async (c) => {
        const form = await host.readForm(c);
        const ctx = await this.keys.verifyOwn<{ pis: string; cid: string; dep: string; ret: string; data: string | null } & Record<string, unknown>>('deep-link', form.get('context') ?? '');
        if (!ctx) throw new GradsheetError('unauthenticated', 'The bank choice does not come from a Deep Linking request of this tool, or is older than an hour: start again from the course.');
        const bank = this.#o.banks.get(form.get('bank') ?? '');
        if (!bank) throw new GradsheetError('invalid-input', `Choose one of the banks offered (${[...this.#o.banks.keys()].join(', ')}), not "${(form.get('bank') ?? '').slice(0, 40)}".`);
        const jwt = await this.keys.sign({
          iss: ctx.cid, aud: ctx.pis, nonce: randomUUID(),
          [`${CLAIM}message_type`]: 'LtiDeepLinkingResponse', [`${CLAIM}version`]: '1.3.0', [`${CLAIM}deployment_id`]: ctx.dep,
          ...(ctx.data !== null ? { [`${DL_CLAIM}data`]: ctx.data } : {}),
          [`${DL_CLAIM}content_items`]: [{
            type: 'ltiResourceLink', title: bank.title, text: `Your own variant of ${bank.title}, checked and graded by gradsheet.`, url: `${this.#o.publicUrl}/lti/launch`,
            custom: { bank: bank.id }, lineItem: { scoreMaximum: bank.points, label: bank.title, resourceId: bank.id, tag: 'gradsheet' },
          }],
        });
        return html(c, autoSubmitPage(ctx.ret, jwt, this.frameAncestors));
      })],
      ['GET', '/.well-known/jwks.json', async (c) => {
        c.header('cache-control', 'public, max-age=60');
        return c.json(await this.keys.jwks());
      }],
      ['POST', '/lti/teacher/gradebook.csv', async (c) => {
        const s = await instructorSession(c, await host.readForm(c));
        const pairs = new Set((await this.#o.store.lti.linkUsers(s.lnk)).map((u) => `${u.student}\n${u.worksheet}`));
        const counts = this.#o.banks.get(s.bank)?.policy.counts ?? 'last';
        const body = await gradebookCsv(this.#o.store, counts, (row) => pairs.has(`${row.student}\n${row.worksheet}`));
        c.header('content-disposition', 'attachment; filename="gradebook.csv"');
        c.header('cache-control', 'no-store');
        return c.body(body, 200, { 'content-type': 'text/csv; charset=utf-8' });
      }],
      ['POST', '/lti/teacher/key', async (c) => {
        const s = await instructorSession(c, await host.readForm(c));
        const bank = this.#bank(s.bank);
        const users = await this.#o.store.lti.linkUsers(s.lnk);
        const variants = users.flatMap((u) => {
          const found = bank.grader.variant(u.worksheet, u.student);
          return 'error' in found ? [] : [{ ...found.variant, name: u.name }];
        });
        c.header('content-disposition', 'attachment; filename="key.json"');
        c.header('cache-control', 'no-store');
        return c.body(JSON.stringify({ bank: { id: bank.id, title: bank.title }, variants }, null, 1), 200, { 'content-type': 'application/json; charset=utf-8' });
      }],
      ['GET', '/api/v1/lti/outbox', async (c) => {
        // the teacher token sees every entry; an instructor's session, its own link's
        const scope = await this.#teacherOrInstructor(c, host);
        const status = c.req.query('status');
        if (status !== undefined && !['pending', 'sent', 'failed', 'superseded'].includes(status)) throw new GradsheetError('invalid-input', `status should be pending, sent, failed or superseded, not "${status.slice(0, 20)}".`);
        const entries = await this.#o.store.lti.outbox({ ...(status ? { status } : {}), ...(scope.linkId ? { linkId: scope.linkId } : {}) });
        return host.json(c, JSON.stringify({ outbox: entries.map(outboxView) }));
      }],
      ['POST', '/api/v1/lti/outbox/:id/resend', async (c) => {
        const scope = await this.#teacherOrInstructor(c, host);
        const done = await this.#o.store.lti.resend(c.req.param('id')!, this.#now().toISOString(), scope.linkId);
        if (!done.ok) throw new GradsheetError(/no outbox entry/.test(done.why) ? 'not-found' : 'refused', done.why);
        this.#sender.kick();
        return host.json(c, JSON.stringify({ resent: c.req.param('id') }));
      }],
    ];
  }

  /** The teacher token (every link: linkId undefined) or an instructor's session (its link only); else 401/403. */
  async #teacherOrInstructor(c: Context, host: LtiHost): Promise<{ linkId?: string }> {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    if (bearer) {
      const s = await this.session(bearer);
      if (s) {
        if (s.role !== 'instructor') throw new GradsheetError('forbidden', 'Only the course\'s instructors can see the outbox.');
        return { linkId: s.lnk };
      }
    }
    host.isTeacher(c);
    return {};
  }

  #bank(id: string): LtiBank {
    const bank = this.#o.banks.get(id);
    if (!bank) throw new GradsheetError('not-found', `This assignment asks for the bank "${id.slice(0, 40)}", which this server does not offer (it offers ${[...this.#o.banks.keys()].join(', ')}).`);
    return bank;
  }

  /** After a valid id_token: the nonce recorded once, then the page the message asks for. */
  async #launched(l: Launch, host: LtiHost): Promise<HtmlPage> {
    const now = this.#now();
    const r = l.registration;
    // a nonce can come back only with its login's state, which lives STATE_LIFETIME_S: kept that long, and a skew
    const nonceExpires = new Date(now.getTime() + (STATE_LIFETIME_S + SKEW_S) * 1000).toISOString();
    const frameAncestors = this.#framedBy(l);
    if (l.messageType === 'LtiDeepLinkingRequest') {
      if (!l.instructor) throw new GradsheetError('forbidden', 'Only an instructor can choose what this assignment is (Deep Linking); your roles do not include one.');
      const fresh = await this.#o.store.lti.launch({ nonce: l.nonce, nonceExpires, now: now.toISOString(), link: this.#linkRow(l, this.#o.defaultBank, 'deep-linking') });
      if (!fresh) throw replayed();
      const context = await this.keys.own('deep-link', { pis: r.issuer, cid: r.clientId, dep: l.deploymentId, ret: l.deepLinking!.returnUrl, data: l.deepLinking!.data }, 3600);
      const banks = [...this.#o.banks.values()].map((b) => ({ id: b.id, title: b.title, points: b.points, questions: b.questions }));
      return deepLinkPage(banks, context, this.#o.defaultBank, frameAncestors);
    }
    const asked = typeof l.custom.bank === 'string' && l.custom.bank !== '' ? l.custom.bank : this.#o.defaultBank;
    const bank = this.#bank(asked);
    const link = this.#linkRow(l, bank.id, l.resourceLink!.id);
    const student = ltiStudent(r.issuer, l.deploymentId, l.sub!);
    const worksheet = bank.grader.codeFor(student);
    const fresh = await this.#o.store.lti.launch({
      nonce: l.nonce, nonceExpires, now: now.toISOString(), link,
      ...(l.instructor ? {} : { user: { student, issuer: r.issuer, deploymentId: l.deploymentId, sub: l.sub!, name: l.name, email: l.email, worksheet } }),
    });
    if (!fresh) throw replayed();
    const session = await this.keys.own('session', { lnk: link.id, stu: student, ws: worksheet, bank: bank.id, sub: l.sub!, role: l.instructor ? 'instructor' : 'learner' }, SESSION_LIFETIME_S);
    if (!l.instructor) return host.studentPage(session, frameAncestors);
    return teacherPage({
      title: l.resourceLink!.title ?? bank.title, bankTitle: bank.title, bank: bank.id, policy: describePolicy(bank.policy), rows: await this.#teacherRows(link.id, bank),
      session, lineitem: (await this.#o.store.lti.link(link.id))?.lineitem ?? null, frameAncestors,
    });
  }

  /** A launched page's frame-ancestors: the server's (or the platforms'), and the origins the launch itself names. */
  #framedBy(l: Launch): string {
    if (this.#o.frameAncestors && this.#o.frameAncestors !== "'none'") return this.frameAncestors;
    const extra = l.origins.filter((o) => !this.frameAncestors.split(' ').includes(o));
    return [this.frameAncestors, ...extra].join(' ');
  }

  #linkRow(l: Launch, bank: string, resourceLinkId: string) {
    const r = l.registration;
    return {
      id: linkId(r.issuer, r.clientId, l.deploymentId, resourceLinkId), issuer: r.issuer, client_id: r.clientId, deployment_id: l.deploymentId, resource_link_id: resourceLinkId,
      context_id: l.context?.id ?? null, context_title: l.context?.title ?? null, title: l.resourceLink?.title ?? null, bank,
      lineitem: l.ags?.scopes.includes(AGS_SCOPE.score) ? l.ags.lineitem : null,
      lineitems: l.ags?.lineitems ?? null, scopes: JSON.stringify(l.ags?.scopes ?? []), updated_at: this.#now().toISOString(),
    };
  }

  async #teacherRows(link: string, bank: LtiBank): Promise<TeacherRow[]> {
    const users = await this.#o.store.lti.linkUsers(link);
    const latest = await this.#o.store.lti.latestOf(link);
    const rows: TeacherRow[] = [];
    for (const u of users) {
      const attempts = await this.#o.store.attempts(u.worksheet, u.student);
      let counted = bank.policy.counts === 'best' ? attempts[0] : attempts[attempts.length - 1];
      // the first of equal bests, as the gradebook and the passback count it
      if (bank.policy.counts === 'best') for (const a of attempts) if (counted && a.score > counted.score) counted = a;
      const sent = latest.get(u.student);
      const passback = !sent ? (attempts.length ? 'not sent (no change to send)' : '—') : sent.status === 'sent' ? `sent ${sent.score_given} / ${sent.score_maximum}, ${utc(sent.sent_at)}` : sent.status === 'pending' ? `waiting (${sent.tries} tries${sent.last_error ? `; last: ${sent.last_error}` : ''})` : `failed: ${sent.last_error ?? ''}`;
      rows.push({ name: u.name, student: u.student, worksheet: u.worksheet, attempts: attempts.length, counted: counted?.score ?? null, max: counted?.max ?? null, late: counted?.late ?? false, passback });
    }
    return rows;
  }

  /** The passback a session's submission carries: a learner's counted score, queued for every link that takes scores. */
  passbackFor(s: LtiSession): { counts: 'last' | 'best' } | undefined {
    if (s.role !== 'learner') return undefined;
    return { counts: this.#bank(s.bank).policy.counts };
  }
}

/** A time as a teacher reads it: 2026-12-08 09:14 UTC. */
const utc = (iso: string | null): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '');

const replayed = () => new GradsheetError('unauthenticated', 'This launch was used already (its nonce was seen before): open the assignment again from the course.');

/** An outbox entry as the teacher reads it. */
export function outboxView(e: import('../../store/lti.js').OutboxEntry) {
  return {
    id: e.id, status: e.status, linkId: e.link_id, student: e.student, userId: e.user_id, submission: e.submission_id, scoreGiven: e.score_given, scoreMaximum: e.score_maximum,
    timestamp: e.timestamp, tries: e.tries, nextAt: e.status === 'pending' ? e.next_at : null, lastError: e.last_error, createdAt: e.created_at, sentAt: e.sent_at,
  };
}
