/**
 * Grading limits for `serve`: the grader answers "is this value right?", so unlimited checks make
 * it an answer oracle (bisection recovers an answer in a few dozen requests). Three counts, each in
 * fixed windows: graded requests per worksheet code (per hour), grading requests per client address
 * (per minute), and unknown codes per client address (per hour: a wrong student and an unknown code
 * are the same 404, and guessing either is throttled).
 *
 * Counts are kept in the store's database (table `throttle`), so a limit survives a restart and
 * holds across servers on one PostgreSQL. Writing each request's hit would put a write (an fsync on
 * SQLite) on the grading path, so hits are counted in memory and added to the database in one
 * transaction a second; a window seen for the first time is read from the database once. What that
 * costs: a restart loses at most the last second's hits, and servers sharing a database see each
 * other's hits up to a second late (together they may overshoot by what each counted meanwhile).
 */
import { GradsheetError } from '../errors.js';
import type { Store } from '../store/store.js';

export type ThrottleKind = 'code' | 'client' | 'miss';

/** The limits; null: that count is not limited. */
export interface Limits {
  /** graded requests (checks and submissions) per worksheet code per hour */
  checksPerHour: number | null;
  /** grading requests per client address per minute */
  requestsPerMinute: number | null;
  /** unknown worksheet codes (or codes not issued to the student named) per client address per hour */
  missesPerHour: number | null;
}

export const DEFAULT_LIMITS: Limits = { checksPerHour: 30, requestsPerMinute: 120, missesPerHour: 20 };

const HOUR = 3_600_000, MINUTE = 60_000;
const FLUSH_MS = 1000;
/** windows older than this are deleted from the database */
const FORGET_MS = 24 * HOUR;

interface Window {
  kind: ThrottleKind;
  key: string;
  windowStart: string;
  ends: number;
  /** hits in the database when last read or written (every server's) */
  stored: number;
  /** hits counted here, not yet added to the database */
  pending: number;
  /** the first read from the database, until it is done */
  loading: Promise<void> | null;
}

export class Throttle {
  readonly #limits: Limits;
  readonly #store: Store | undefined;
  readonly #windows = new Map<string, Window>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | null = null;
  #lastForget = 0;

  /** Without a store the counts are this process's only (lost on restart). */
  constructor(limits: Limits, store?: Store) {
    this.#limits = limits;
    this.#store = store;
    if (store) {
      this.#timer = setInterval(() => void this.flush().catch(() => undefined), FLUSH_MS);
      this.#timer.unref();
    }
  }

  get limits(): Limits {
    return this.#limits;
  }

  #rule(kind: ThrottleKind): { limit: number | null; span: number } {
    if (kind === 'code') return { limit: this.#limits.checksPerHour, span: HOUR };
    if (kind === 'client') return { limit: this.#limits.requestsPerMinute, span: MINUTE };
    return { limit: this.#limits.missesPerHour, span: HOUR };
  }

  /** The window of `kind` and `key` at `at`: at once when it is known here, else once read from the database. */
  #window(kind: ThrottleKind, key: string, at: Date): Window | Promise<Window> {
    const { span } = this.#rule(kind);
    const start = Math.floor(at.getTime() / span) * span;
    const id = `${kind}\n${key}\n${start}`;
    let w = this.#windows.get(id);
    if (w && !w.loading) return w;
    return this.#windowSlow(id, kind, key, start, span, w);
  }

  async #windowSlow(id: string, kind: ThrottleKind, key: string, start: number, span: number, found: Window | undefined): Promise<Window> {
    const windowStart = new Date(start).toISOString();
    let w = found;
    if (!w) {
      const created: Window = { kind, key, windowStart, ends: start + span, stored: 0, pending: 0, loading: null };
      w = created;
      if (this.#store) {
        const store = this.#store;
        created.loading = store.throttleHits([{ kind, key, windowStart }]).then(([n]) => {
          created.stored = Math.max(created.stored, n ?? 0);
          created.loading = null;
        }, (e: unknown) => {
          // not kept: the next request reads again
          this.#windows.delete(id);
          throw e;
        });
      }
      this.#windows.set(id, created);
    }
    if (w.loading) await w.loading;
    return w;
  }

  /**
   * Throws `too-many` (429, with the seconds to wait) when `kind`'s limit for `key` is used up at
   * `at`. Synchronous when the window is known here (the usual case): a promise only when it must
   * be read from the database first.
   */
  check(kind: ThrottleKind, key: string, at: Date): void | Promise<void> {
    const { limit } = this.#rule(kind);
    if (limit === null) return;
    const w = this.#window(kind, key, at);
    if (w instanceof Promise) return w.then((known) => this.#over(known, kind, limit, at));
    this.#over(w, kind, limit, at);
  }

  #over(w: Window, kind: ThrottleKind, limit: number, at: Date): void {
    if (w.stored + w.pending < limit) return;
    const retryAfter = Math.max(1, Math.ceil((w.ends - at.getTime()) / 1000));
    throw new GradsheetError('too-many', tooManySentence(kind, limit, retryAfter), { details: { retryAfter } });
  }

  /** Counts one hit of `kind` for `key` at `at` (synchronous when the window is known here). */
  count(kind: ThrottleKind, key: string, at: Date): void | Promise<void> {
    if (this.#rule(kind).limit === null) return;
    const w = this.#window(kind, key, at);
    if (w instanceof Promise) return w.then((known) => void known.pending++);
    w.pending++;
  }

  /** Adds the hits counted here to the database, reads back every server's totals, and forgets ended windows. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const now = Date.now();
    const due = [...this.#windows.values()].filter((w) => w.pending > 0 && !w.loading);
    if (this.#store && due.length > 0) {
      const adds = due.map((w) => ({ kind: w.kind, key: w.key, windowStart: w.windowStart, hits: w.pending }));
      for (const w of due) w.pending = 0;
      const forget = now - this.#lastForget > HOUR ? new Date(now - FORGET_MS).toISOString() : undefined;
      try {
        const totals = await this.#store.addThrottleHits(adds, forget);
        if (forget) this.#lastForget = now;
        due.forEach((w, i) => {
          w.stored = Math.max(w.stored + adds[i]!.hits, totals[i]!);
        });
      } catch (e) {
        // kept for the next flush
        due.forEach((w, i) => {
          w.pending += adds[i]!.hits;
        });
        throw e;
      }
    }
    for (const [id, w] of this.#windows) if (w.ends <= now && w.pending === 0 && !w.loading) this.#windows.delete(id);
  }

  /** Stops the timer and adds what is still counted (before the store closes). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#flushing?.catch(() => undefined);
    await this.flush();
  }
}

function tooManySentence(kind: ThrottleKind, limit: number, retryAfter: number): string {
  const wait = retryAfter >= 120 ? `${Math.ceil(retryAfter / 60)} minutes` : `${retryAfter} second${retryAfter === 1 ? '' : 's'}`;
  if (kind === 'code') return `This worksheet has been checked ${limit} times this hour, its limit; try again in ${wait}.`;
  if (kind === 'client') return `This address has sent ${limit} grading requests this minute, its limit; try again in ${wait}.`;
  return `This address has asked for ${limit} worksheet codes that do not exist (or were not issued to the student named) this hour; try again in ${wait}.`;
}
