/**
 * The sender of the score outbox (store/lti.ts): every score a launch's submission earned is a row
 * written with the submission, and this sends the rows that are due, one at a time, oldest first.
 * A network error, 5xx or 429 leaves the row pending with its next try later (exponential backoff,
 * or the platform's Retry-After); another 4xx marks it failed with the platform's answer, for the
 * teacher (`gradsheet lti outbox`, GET /api/v1/lti/outbox) to read and resend. A restarted server
 * finds its pending rows where it left them; rows are leased, so servers sharing a database do not
 * send one row twice at once.
 */
import type { Store } from '../../store/store.js';
import type { OutboxEntry } from '../../store/lti.js';
import type { Registrations } from './config.js';
import type { AgsClient, Outcome } from './ags.js';
import { randomUUID } from 'node:crypto';
import { isGradsheetError } from '../../errors.js';
import { takesScores } from '../../store/lti.js';

export interface SenderOptions {
  /** the first retry's delay (default 1 s); each next one doubles, up to `retryCapMs` */
  retryBaseMs?: number;
  /** the longest wait between tries (default 30 s) */
  retryCapMs?: number;
  /** how often the outbox is looked at for rows another server (or a resend from the CLI) queued (default 5 s) */
  pollMs?: number;
  /** a bank's title, for a line item the tool creates */
  label: (bank: string) => string;
}

/**
 * How long a sender holds an entry: longer than one try can take (a token, a line item looked up
 * and created, the score: four calls of at most 10 s each), short enough that an entry a killed
 * server held on PostgreSQL is sent by another soon after.
 */
const LEASE_MS = 45_000;

/** The delay before try `tries` + 1: base × 2^tries, capped, with ±20% jitter so many rows do not retry in step. */
export function backoffMs(tries: number, base: number, cap: number, random = Math.random): number {
  const raw = Math.min(cap, base * 2 ** Math.min(tries, 30));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

export class OutboxSender {
  readonly #store: Store;
  readonly #registrations: Registrations;
  readonly #ags: AgsClient;
  readonly #now: () => Date;
  readonly #o: Required<Omit<SenderOptions, 'label'>> & Pick<SenderOptions, 'label'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** this sender's name on the entries it holds */
  readonly #owner = randomUUID();

  constructor(store: Store, registrations: Registrations, ags: AgsClient, now: () => Date, o: SenderOptions) {
    this.#store = store;
    this.#registrations = registrations;
    this.#ags = ags;
    this.#now = now;
    this.#o = { retryBaseMs: o.retryBaseMs ?? 1000, retryCapMs: o.retryCapMs ?? 30_000, pollMs: o.pollMs ?? 5000, label: o.label };
  }

  /** Starts sending; on SQLite, where this server is the file's only sender, a killed predecessor's leases are let go first. */
  async start(): Promise<void> {
    if (this.#store.dialect === 'sqlite') await this.#store.lti.releaseLeases();
    this.kick();
  }

  /** Looks at the outbox now (a score was just queued). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#drain().catch(() => undefined).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      } else {
        void this.#arm();
      }
    });
  }

  async #arm(): Promise<void> {
    if (this.#stopped) return;
    let wait = this.#o.pollMs;
    try {
      const next = await this.#store.lti.nextDue();
      if (next) wait = Math.min(wait, Math.max(0, Date.parse(next) - this.#now().getTime()));
    } catch {
      // the database is away: look again at the next poll
    }
    if (this.#stopped || this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.kick(), wait + 5);
    this.#timer.unref();
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const now = this.#now();
      // one at a time: a server killed mid-try holds one entry, not a batch
      const [entry] = await this.#store.lti.claimDue(now.toISOString(), new Date(now.getTime() + LEASE_MS).toISOString(), this.#owner, 1);
      if (!entry) return;
      await this.#send(entry);
    }
  }

  async #send(e: OutboxEntry): Promise<void> {
    let outcome: Outcome<void>;
    try {
      outcome = await this.#try(e);
    } catch (error) {
      // the database (retried), or something about this entry that will not mend by itself (failed, said)
      outcome = isGradsheetError(error) && error.code === 'unavailable'
        ? { ok: false, retry: true, error: error.message }
        : { ok: false, retry: false, error: `gradsheet could not send this score: ${error instanceof Error ? error.message : String(error)}` };
    }
    const now = this.#now();
    if (outcome.ok) return this.#store.lti.settle(e.id, this.#owner, { status: 'sent', at: now.toISOString() });
    if (!outcome.retry) return this.#store.lti.settle(e.id, this.#owner, { status: 'failed', error: outcome.error });
    const wait = outcome.retryAfterMs ?? backoffMs(e.tries, this.#o.retryBaseMs, this.#o.retryCapMs);
    return this.#store.lti.settle(e.id, this.#owner, { status: 'pending', error: outcome.error, nextAt: new Date(now.getTime() + wait).toISOString() });
  }

  async #try(e: OutboxEntry): Promise<Outcome<void>> {
    const link = await this.#store.lti.link(e.link_id);
    if (!link) return { ok: false, retry: false, error: 'The resource link of this score is not in the store.' };
    const r = this.#registrations.find(link.issuer, link.client_id);
    if ('error' in r) return { ok: false, retry: false, error: `${r.error} (it is no longer in the LTI configuration)` };
    let lineitem = link.lineitem;
    if (!lineitem) {
      if (!link.lineitems || !takesScores(link)) return { ok: false, retry: false, error: 'The launch gave no line item, and the platform did not allow this tool to create one.' };
      const made = await this.#ags.ensureLineitem(r, link.lineitems, { resourceLinkId: link.resource_link_id, label: link.title ?? this.#o.label(link.bank), scoreMaximum: e.score_maximum, resourceId: link.bank });
      if (!made.ok) return made;
      lineitem = made.value;
      await this.#store.lti.setLineitem(link.id, lineitem);
    }
    return this.#ags.postScore(r, lineitem, { userId: e.user_id, scoreGiven: e.score_given, scoreMaximum: e.score_maximum, timestamp: e.timestamp });
  }

  /** Stops sending; a try under way finishes (its row is settled). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
