/**
 * What the LTI tool keeps (src/server/lti/): its signing keys and secrets, the nonces of launches
 * already accepted, the resource links and users launched, and the outbox every score passes
 * through on its way to a platform. The outbox row of a submission is written in the same
 * transaction as the submission (Store.record), so a score acknowledged is a score that will be
 * sent, whatever happens to the process after the 201.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LtiLinkTable, LtiOutboxTable, StoreTables } from './schema.js';

/**
 * A submission for credit by a launched student: its worksheet's counted score is queued, in the
 * transaction that records it, for every resource link the student launched that worksheet from
 * (attempts are the worksheet's, so every link's gradebook shows the same counted score).
 */
export interface Passback {
  /** which attempt counts: the last one, or the best */
  counts: 'last' | 'best';
}

export type OutboxEntry = Omit<LtiOutboxTable, 'seq'> & { seq: number };
export type LtiLink = LtiLinkTable;

const outboxRow = (r: Omit<LtiOutboxTable, 'seq'> & { seq: unknown }): OutboxEntry => ({
  ...r, seq: Number(r.seq), score_given: Number(r.score_given), score_maximum: Number(r.score_maximum), tries: Number(r.tries),
});

const SCORE_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
const LINEITEM_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem';

/** Whether a link can take scores: the score scope, and a line item or the right to create one. */
export function takesScores(link: Pick<LtiLinkTable, 'scopes' | 'lineitem' | 'lineitems'>): boolean {
  let scopes: unknown;
  try {
    scopes = JSON.parse(link.scopes);
  } catch {
    return false;
  }
  if (!Array.isArray(scopes) || !scopes.includes(SCORE_SCOPE)) return false;
  return link.lineitem !== null || (link.lineitems !== null && scopes.includes(LINEITEM_SCOPE));
}

/** What queueing did: the links that take scores, and the entries queued (0 when the counted score did not change). */
export interface Queued {
  links: number;
  queued: number;
}

/**
 * The counted score of (worksheet, student), as the store holds it now (this transaction's
 * submission or regrade included), into the outbox of every link the student launched this
 * worksheet from that takes scores, where it differs from the last score sent or waiting there: a
 * score that did not change is not posted again (each post resets the submission time some
 * platforms show, and can mark a student late). Earlier entries not yet sent are superseded: only
 * the newest counted score is sent, with a timestamp later than any queued before it. On
 * PostgreSQL the per-(worksheet, student) lock recording takes is taken here too, so a regrade and
 * a submission for one student queue one after the other.
 */
export async function queueScores(trx: Kysely<StoreTables>, postgres: boolean, c: { worksheet: string; student: string; at: string; counts: 'last' | 'best' }): Promise<Queued> {
  if (postgres) await sql`select pg_advisory_xact_lock(hashtextextended(${JSON.stringify([c.worksheet, c.student])}, 0))`.execute(trx);
  const links = (await trx.selectFrom('lti_link_users').innerJoin('lti_users', 'lti_users.student', 'lti_link_users.student').innerJoin('lti_links', 'lti_links.id', 'lti_link_users.link_id')
    .select(['lti_link_users.link_id', 'lti_users.sub', 'lti_links.scopes', 'lti_links.lineitem', 'lti_links.lineitems'])
    .where('lti_link_users.student', '=', c.student).where('lti_link_users.worksheet', '=', c.worksheet).orderBy('lti_link_users.link_id').execute()).filter(takesScores);
  if (links.length === 0) return { links: 0, queued: 0 };
  let q = trx.selectFrom('submissions').select(['id', 'score', 'max']).where('worksheet', '=', c.worksheet).where('student', '=', c.student).where('kind', '=', 'submission');
  // the same tie-break as the gradebook: the first of equal bests
  q = c.counts === 'best' ? q.orderBy('score', 'desc').orderBy('seq', 'asc') : q.orderBy('seq', 'desc');
  const counted = await q.limit(1).executeTakeFirst();
  if (!counted) return { links: links.length, queued: 0 };
  const score = Number(counted.score), max = Number(counted.max);
  let queued = 0;
  for (const link of links) {
    const last = await trx.selectFrom('lti_outbox').select(['score_given', 'score_maximum']).where('link_id', '=', link.link_id).where('student', '=', c.student)
      .where('status', 'in', ['pending', 'sent']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (last && Number(last.score_given) === score && Number(last.score_maximum) === max) continue;
    // strictly after every timestamp queued for this user and link, so the platform never takes it for an older score
    const newest = await trx.selectFrom('lti_outbox').select((eb) => eb.fn.max('timestamp').as('t')).where('link_id', '=', link.link_id).where('student', '=', c.student).executeTakeFirst();
    let timestamp = c.at;
    const before = newest?.t ? Date.parse(newest.t as string) : NaN;
    if (before >= Date.parse(timestamp)) timestamp = new Date(before + 1).toISOString();
    await trx.updateTable('lti_outbox').set({ status: 'superseded' }).where('link_id', '=', link.link_id).where('student', '=', c.student).where('status', 'in', ['pending', 'failed']).execute();
    await trx.insertInto('lti_outbox').values({
      id: randomUUID(), link_id: link.link_id, student: c.student, user_id: link.sub, submission_id: counted.id, score_given: score, score_maximum: max,
      timestamp, status: 'pending', tries: 0, next_at: c.at, claimed_until: null, claimed_by: null, last_error: null, created_at: c.at, sent_at: null,
    }).execute();
    queued++;
  }
  return { links: links.length, queued };
}

/** A launch to record (LtiStore.launch). */
export interface LaunchRecord {
  nonce: string;
  nonceExpires: string;
  now: string;
  link: LtiLinkTable;
  user?: { student: string; issuer: string; deploymentId: string; sub: string; name: string | null; email: string | null; worksheet: string };
}

/** One launch in a transaction: false (and nothing written) when its nonce was seen before. */
async function recordLaunch(trx: Kysely<StoreTables>, l: LaunchRecord): Promise<boolean> {
  const fresh = await trx.insertInto('lti_nonces').values({ nonce: l.nonce, expires_at: l.nonceExpires }).onConflict((oc) => oc.column('nonce').doNothing()).returning('nonce').execute();
  if (fresh.length === 0) return false;
  const { id: _id, ...link } = l.link;
  // the line item the tool created is kept when a later launch names none
  await trx.insertInto('lti_links').values(l.link).onConflict((oc) => oc.column('id').doUpdateSet({
    ...link, lineitem: sql`coalesce(excluded.lineitem, lti_links.lineitem)`,
  })).execute();
  const u = l.user;
  if (u) {
    await trx.insertInto('lti_users').values({ student: u.student, issuer: u.issuer, deployment_id: u.deploymentId, sub: u.sub, name: u.name, email: u.email, updated_at: l.now })
      .onConflict((oc) => oc.column('student').doUpdateSet({ name: u.name, email: u.email, updated_at: l.now })).execute();
    // the worksheet the link opens now (its bank may have been changed since the first launch)
    await trx.insertInto('lti_link_users').values({ link_id: l.link.id, student: u.student, worksheet: u.worksheet, first_at: l.now }).onConflict((oc) => oc.columns(['link_id', 'student']).doUpdateSet({ worksheet: u.worksheet })).execute();
  }
  return true;
}

/** The LTI tables, through the store's connection (`store.lti`); each method's failure is the store's one sentence. */
export class LtiStore {
  readonly #db: Kysely<StoreTables>;
  readonly #guard: <T>(doing: string, work: () => Promise<T>) => Promise<T>;
  readonly #transaction: <T>(work: (trx: Kysely<StoreTables>) => Promise<T>) => Promise<T>;

  readonly #postgres: boolean;

  constructor(db: Kysely<StoreTables>, postgres: boolean, guard: <T>(doing: string, work: () => Promise<T>) => Promise<T>, transaction: <T>(work: (trx: Kysely<StoreTables>) => Promise<T>) => Promise<T>) {
    this.#db = db;
    this.#postgres = postgres;
    this.#guard = guard;
    this.#transaction = transaction;
  }

  /** The tool's keys, newest first. */
  keys(): Promise<{ kid: string; privateJwk: string; publicJwk: string; createdAt: string; retiredAt: string | null }[]> {
    return this.#guard('read the LTI keys', async () => (await this.#db.selectFrom('lti_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute())
      .map((r) => ({ kid: r.kid, privateJwk: r.private_jwk, publicJwk: r.public_jwk, createdAt: r.created_at, retiredAt: r.retired_at })));
  }

  /** Adds a key; with `retireOthers`, every other unretired key is retired at `at` (a rotation), in one transaction. */
  addKey(k: { kid: string; privateJwk: string; publicJwk: string }, at: string, retireOthers: boolean): Promise<void> {
    return this.#guard('keep the LTI key', () => this.#transaction(async (trx) => {
      if (retireOthers) await trx.updateTable('lti_keys').set({ retired_at: at }).where('retired_at', 'is', null).execute();
      await trx.insertInto('lti_keys').values({ kid: k.kid, private_jwk: k.privateJwk, public_jwk: k.publicJwk, created_at: at, retired_at: null }).execute();
    }));
  }

  /** A named secret, created with `make` the first time (the first of several servers to ask wins). */
  setting(name: string, make: () => string): Promise<string> {
    return this.#guard('read the LTI settings', async () => {
      await this.#db.insertInto('lti_settings').values({ name, value: make() }).onConflict((oc) => oc.column('name').doNothing()).execute();
      return (await this.#db.selectFrom('lti_settings').select('value').where('name', '=', name).executeTakeFirstOrThrow()).value;
    });
  }

  /**
   * Records a launch: its nonce (false, and nothing else recorded, when the nonce was seen before),
   * the resource link, the user and that the user opened the link. Launches arriving together are
   * committed together (one transaction, one fsync), as submissions are; each nonce is still taken
   * once, also within one group.
   */
  launch(l: LaunchRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#launches.push({ l, resolve, reject });
      this.#scheduleLaunches();
    });
  }

  readonly #launches: { l: LaunchRecord; resolve: (fresh: boolean) => void; reject: (e: unknown) => void }[] = [];
  #launching = false;
  #launchScheduled = false;

  #scheduleLaunches(): void {
    if (this.#launching || this.#launchScheduled || this.#launches.length === 0) return;
    this.#launchScheduled = true;
    setImmediate(() => {
      this.#launchScheduled = false;
      void this.#flushLaunches();
    });
  }

  async #flushLaunches(): Promise<void> {
    this.#launching = true;
    const group = this.#launches.splice(0, 256);
    try {
      const fresh = await this.#guard(group.length === 1 ? 'record the launch' : 'record these launches', () => this.#transaction(async (trx) => {
        const out: boolean[] = [];
        for (const { l } of group) out.push(await recordLaunch(trx, l));
        return out;
      }));
      group.forEach((g, i) => g.resolve(fresh[i]!));
    } catch (e) {
      for (const g of group) g.reject(e);
    } finally {
      this.#launching = false;
      this.#scheduleLaunches();
    }
  }

  /** Forgets nonces whose launches have expired. */
  forgetNonces(before: string): Promise<void> {
    return this.#guard('forget old launch nonces', async () => {
      await this.#db.deleteFrom('lti_nonces').where('expires_at', '<', before).execute();
    });
  }

  link(id: string): Promise<LtiLinkTable | undefined> {
    return this.#guard('read the resource link', () => this.#db.selectFrom('lti_links').selectAll().where('id', '=', id).executeTakeFirst());
  }

  setLineitem(linkId: string, lineitem: string): Promise<void> {
    return this.#guard('keep the line item', async () => {
      await this.#db.updateTable('lti_links').set({ lineitem }).where('id', '=', linkId).execute();
    });
  }

  /** The students who launched a link, with their names and worksheets. */
  linkUsers(linkId: string): Promise<{ student: string; worksheet: string; name: string | null; email: string | null; sub: string; firstAt: string }[]> {
    return this.#guard('read the class list', async () => (await this.#db.selectFrom('lti_link_users').innerJoin('lti_users', 'lti_users.student', 'lti_link_users.student')
      .select(['lti_link_users.student', 'lti_link_users.worksheet', 'lti_users.name', 'lti_users.email', 'lti_users.sub', 'lti_link_users.first_at'])
      .where('lti_link_users.link_id', '=', linkId).orderBy('lti_link_users.first_at').execute())
      .map((r) => ({ student: r.student, worksheet: r.worksheet, name: r.name, email: r.email, sub: r.sub, firstAt: r.first_at })));
  }

  /**
   * Claims the outbox entries due at `now` (pending, next_at passed, not held by a sender) for
   * `owner` until `leaseUntil`, oldest first; none of a link and user another entry of which is held
   * (an older score still on its way), so one user's scores leave in order.
   */
  claimDue(now: string, leaseUntil: string, owner: string, limit: number): Promise<OutboxEntry[]> {
    return this.#guard('read the LTI outbox', () => this.#transaction(async (trx) => {
      let q = trx.selectFrom('lti_outbox as o').selectAll().where('o.status', '=', 'pending').where('o.next_at', '<=', now)
        .where((eb) => eb.or([eb('o.claimed_until', 'is', null), eb('o.claimed_until', '<', now)]))
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('lti_outbox as h').select('h.id').whereRef('h.link_id', '=', 'o.link_id').whereRef('h.student', '=', 'o.student')
          .whereRef('h.id', '!=', 'o.id').where('h.claimed_until', '>=', now))))
        .orderBy('o.seq').limit(limit);
      // PostgreSQL: rows another server is claiming at this moment are passed over, not claimed twice
      // (SQLite's write transaction already has the database to itself)
      if (this.#postgres) q = q.forUpdate('o').skipLocked();
      const due = await q.execute();
      if (due.length === 0) return [];
      await trx.updateTable('lti_outbox').set({ claimed_until: leaseUntil, claimed_by: owner }).where('id', 'in', due.map((d) => d.id)).execute();
      return due.map((d) => outboxRow({ ...d, claimed_until: leaseUntil, claimed_by: owner }));
    }));
  }

  /** Lets go of every lease (a server restarting on SQLite, the only sender on its file: a killed one's leases are stale). */
  releaseLeases(): Promise<void> {
    return this.#guard('read the LTI outbox', async () => {
      await this.#db.updateTable('lti_outbox').set({ claimed_until: null, claimed_by: null }).where('claimed_until', 'is not', null).execute();
    });
  }

  /** The outcome of one try: sent, failed for good (with the platform's answer), or retried at `nextAt`. */
  settle(id: string, owner: string, outcome: { status: 'sent'; at: string } | { status: 'failed'; error: string } | { status: 'pending'; error: string; nextAt: string }): Promise<void> {
    return this.#guard('record the passback', async () => {
      // only by the sender holding it (a lease that ran out may be another sender's now); a score
      // superseded while it was on its way is left superseded
      const base = this.#db.updateTable('lti_outbox').where('id', '=', id).where('status', '=', 'pending').where('claimed_by', '=', owner);
      const tries = sql<number>`tries + 1`;
      const released = { claimed_until: null, claimed_by: null };
      // superseded on its way: let go of it all the same, so the newer score is not held back
      await this.#db.updateTable('lti_outbox').set(released).where('id', '=', id).where('status', '!=', 'pending').where('claimed_by', '=', owner).execute();
      if (outcome.status === 'sent') await base.set({ status: 'sent', sent_at: outcome.at, last_error: null, tries, ...released }).execute();
      else if (outcome.status === 'failed') await base.set({ status: 'failed', last_error: outcome.error, tries, ...released }).execute();
      else await base.set({ next_at: outcome.nextAt, last_error: outcome.error, tries, ...released }).execute();
    });
  }

  /** The outbox, newest first, optionally one status. */
  outbox(filter: { status?: string; linkId?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
    return this.#guard('read the LTI outbox', async () => {
      let q = this.#db.selectFrom('lti_outbox').selectAll();
      if (filter.status) q = q.where('status', '=', filter.status as OutboxEntry['status']);
      if (filter.linkId) q = q.where('link_id', '=', filter.linkId);
      return (await q.orderBy('seq', 'desc').limit(filter.limit ?? 1000).execute()).map(outboxRow);
    });
  }

  /** The newest outbox entry of each student of a link (what reached the platform, or why not). */
  latestOf(linkId: string): Promise<Map<string, OutboxEntry>> {
    return this.#guard('read the LTI outbox', async () => {
      const rows = (await this.#db.selectFrom('lti_outbox as o').selectAll().where('o.link_id', '=', linkId).where('o.status', '!=', 'superseded')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('lti_outbox as n').select('n.id').whereRef('n.link_id', '=', 'o.link_id').whereRef('n.student', '=', 'o.student')
          .where('n.status', '!=', 'superseded').whereRef('n.seq', '>', 'o.seq')))).execute()).map(outboxRow);
      return new Map(rows.map((r) => [r.student, r]));
    });
  }

  /** The earliest time an entry is due (for the sender's timer), or null. */
  nextDue(): Promise<string | null> {
    return this.#guard('read the LTI outbox', async () => {
      // a held entry is due when its lease ends, not before
      const row = await this.#db.selectFrom('lti_outbox').select(sql<string | null>`min(case when claimed_until is not null and claimed_until > next_at then claimed_until else next_at end)`.as('at'))
        .where('status', '=', 'pending').executeTakeFirst();
      return (row?.at as string | null | undefined) ?? null;
    });
  }

  /**
   * Sends a failed entry again (pending, due now). Refused, with the reason, when a newer score for
   * the same link and user was queued since: a resend never replaces a newer score with an older one.
   */
  resend(id: string, now: string, linkId?: string): Promise<{ ok: true } | { ok: false; why: string }> {
    return this.#guard('resend the score', () => this.#transaction(async (trx) => {
      const row = await trx.selectFrom('lti_outbox').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || (linkId !== undefined && row.link_id !== linkId)) return { ok: false, why: `There is no outbox entry with the id "${id.slice(0, 40)}"${linkId !== undefined ? ' for this assignment' : ''}.` };
      if (row.status === 'pending') return { ok: false, why: `Entry ${id} is waiting to be sent already.` };
      if (row.status === 'sent') return { ok: false, why: `Entry ${id} was sent at ${row.sent_at}; there is nothing to resend.` };
      const newer = await trx.selectFrom('lti_outbox').select('id').where('link_id', '=', row.link_id).where('student', '=', row.student).where('seq', '>', row.seq).where('status', '!=', 'superseded').executeTakeFirst();
      if (row.status === 'superseded' || newer) return { ok: false, why: `A newer score for this student and link was queued after entry ${id}; resending it would replace the newer score with an older one.` };
      // sent again as the newest score, with a timestamp of now (a platform that kept a later one would drop it)
      const timestamp = new Date(Math.max(Date.parse(now), Date.parse(row.timestamp) + 1)).toISOString();
      await trx.updateTable('lti_outbox').set({ status: 'pending', next_at: now, timestamp, tries: 0, claimed_until: null, claimed_by: null }).where('id', '=', id).execute();
      return { ok: true };
    }));
  }
}
