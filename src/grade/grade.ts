/**
 * Grading submissions (docs/formats.md) against exact answers. A Grader knows the variants either from
 * an answer key or from bank + secret (regenerating a variant from its code: no stored state).
 * Every submission yields a result, however malformed: what cannot be graded is said in `errors`
 * in a plain sentence, with score 0.
 */
import type { Bank } from '../problems/bank.js';
import type { KeyVariant } from '../problems/key.js';
import { problemType } from '../problems/registry.js';
import type { PartSpec, SheetStyle } from '../problems/types.js';
import { generateBankQuestion, normaliseCode, variantCode, variantSeed } from '../problems/variants.js';
import { keyVariant, splitPartId } from '../problems/key.js';
import { rebaseProblem, rebaseVariant } from '../problems/rebase.js';
import { GradsheetError } from '../errors.js';
import { LruCache } from '../lru.js';
import { entries, markPart, preview, round, type MarkedPart, type PartResult, type ReadValue } from './mark.js';
import { clip } from '../text.js';

export interface GradeResult {
  format: 'gradsheet.result/1';
  worksheet: string | null;
  student: string | null;
  score: number;
  max: number;
  parts: (PartResult & { question?: string })[];
  errors: string[];
  /**
   * why a submission could not be graded at all (absent when it was graded); bulk grading adds
   * not-json, unreadable (a file that could not be read) and internal-error (the grader failed)
   */
  reason?: 'not-an-object' | 'no-code' | 'no-student' | 'unknown-code' | 'wrong-student' | 'no-answers' | 'not-json' | 'unreadable' | 'internal-error';
}

export interface GraderOptions {
  /** feedback may state the right answers (teacher's choice) */
  reveal?: boolean;
  /** feedback may hint beyond right or wrong, e.g. a wrong sign (default: it does; an assignment's `hints`) */
  hints?: boolean;
  /**
   * the estimated bytes of rebuilt variants kept (least recently used evicted; default 64 MiB). A
   * `midterm` variant drawn from a bank costs ~100 ms to draw and ~165 KB of heap, ~8× its JSON.
   */
  cacheBytes?: number;
}

export const DEFAULT_GRADER_CACHE_BYTES = 64 << 20;


/** Largest number of entries read from one answer (a 4×4 matrix has 16). */
const MAX_ENTRIES = 1000;

type VariantSource = { kind: 'key'; byCode: Map<string, KeyVariant>; digits: number; generator: number; bindsStudents: boolean } | { kind: 'bank'; bank: Bank; secret: string; drawnWith?: Bank };

export class Grader {
  readonly #source: VariantSource;
  readonly #reveal: boolean;
  readonly #options: GraderOptions;
  readonly #cache: LruCache<string, { variant: KeyVariant; specs: PartSpec[][] }>;
  readonly #hints: boolean;

  private constructor(source: VariantSource, options: GraderOptions) {
    this.#source = source;
    this.#options = options;
    this.#reveal = options.reveal ?? false;
    this.#cache = new LruCache(options.cacheBytes ?? DEFAULT_GRADER_CACHE_BYTES, (e) => 8 * JSON.stringify(e.variant).length);
    this.#hints = options.hints ?? true;
  }

  /** A key records the generator version its variants were drawn with; parts are rebuilt under it. */
  static fromKey(key: { digits: number; generator?: number; variants: readonly KeyVariant[] }, options: GraderOptions = {}): Grader {
    return new Grader({ kind: 'key', byCode: new Map(key.variants.map((v) => [v.code, v])), digits: key.digits, generator: key.generator ?? 1, bindsStudents: key.variants.some((v) => v.student !== '') }, options);
  }

  /**
   * Variants drawn from bank + secret. With `drawnWith`, the worksheets were drawn from that earlier
   * version of the bank (the one a store pinned): they are drawn from it still, and graded with
   * `bank`'s tolerances and points (rebase.ts); the questions must be the same.
   */
  static fromBank(bank: Bank, secret: string, options: GraderOptions = {}, drawnWith?: Bank): Grader {
    if (drawnWith && drawnWith.hash !== bank.hash) {
      const problem = rebaseProblem(drawnWith, bank);
      if (problem) throw new GradsheetError('invalid-input', `The worksheets of bank ${drawnWith.id} were drawn before ${problem}; a bank may change its tolerances and points once its worksheets are out, not what it draws. Grade with the bank as it was (sha256 ${drawnWith.hash.slice(0, 12)}…), or start a new assignment with a new data folder or database.`);
      return new Grader({ kind: 'bank', bank, secret, drawnWith }, options);
    }
    return new Grader({ kind: 'bank', bank, secret }, options);
  }

  /** The same variants, graded with other options (the options not given stay as they are; rebuilt parts are cached anew). */
  withOptions(options: GraderOptions): Grader {
    return new Grader(this.#source, { cacheBytes: this.#options.cacheBytes, reveal: this.#reveal, hints: this.#hints, ...options });
  }

  /** Whether worksheet codes are issued to students (a bank's always are; a key's when its variants name them), so a submission must name its student. */
  get bindsStudents(): boolean {
    return this.#source.kind === 'bank' || this.#source.bindsStudents;
  }

  /** Whether feedback hints beyond right or wrong (the sign hint). */
  get hints(): boolean {
    return this.#hints;
  }

  /** Whether feedback states the right answers. */
  get reveals(): boolean {
    return this.#reveal;
  }

  get digits(): number {
    return this.#source.kind === 'key' ? this.#source.digits : this.#source.bank.digits;
  }

  /** How the variants' questions are built: the sheet's digits and the generator version. */
  get style(): SheetStyle {
    return this.#source.kind === 'key' ? { digits: this.#source.digits, generator: this.#source.generator } : { digits: this.#source.bank.digits, generator: this.#source.bank.generator };
  }

  /** The worksheet code a bank issues to `student` (the code its variant is drawn from); a key issues none. */
  codeFor(student: string): string {
    if (this.#source.kind !== 'bank') throw new GradsheetError('internal', 'An answer key issues no new worksheet codes; only a bank does.');
    const { bank, secret } = this.#source;
    return variantCode(secret, bank.id, student, bank.generator);
  }

  /**
   * The variant behind a code, with its problem types' parts rebuilt (for follow-through); or why
   * not. With `student` null (showing a worksheet, not grading it) no student is checked.
   */
  variant(code: string, student: string | null): { variant: KeyVariant; specs: PartSpec[][] } | { error: string } {
    if (this.#source.kind === 'bank' && student !== null) {
      // checked on every call (an HMAC, cheap), never skipped because the variant is cached
      const { bank, secret } = this.#source;
      if (variantCode(secret, bank.id, student, bank.generator) !== code) {
        const older = bank.generator >= 2 && variantCode(secret, bank.id, student, 1) === code;
        return {
          error: older
            ? `The worksheet code ${clip(code)} was issued to student "${clip(student)}" by generator version 1 of bank ${bank.id}; grade it with that version of the bank (for a default bank, --bank ${bank.id}@1).`
            : `The worksheet code ${clip(code)} was not issued to student "${clip(student)}" for bank ${bank.id} (or the code is mistyped).`,
        };
      }
    }
    let entry = this.#cache.get(code);
    if (!entry) {
      let variant: KeyVariant | undefined;
      if (this.#source.kind === 'key') {
        variant = this.#source.byCode.get(code);
        if (!variant) return { error: `The worksheet code ${clip(code)} is not in this answer key.` };
      } else {
        const { bank, secret, drawnWith } = this.#source;
        const seed = variantSeed(secret, bank.id, code);
        const from = drawnWith ?? bank;
        variant = keyVariant({ code, student: '', name: '', questions: from.questions.map((q) => ({ bank: q, generated: generateBankQuestion(from, q, seed) })) });
        if (drawnWith) variant = rebaseVariant(variant, bank, this.style);
      }
      // a question rebuilt with other parts than the key lists (a key edited by hand, or drawn by
      // another version than it says) is graded from the key alone, without follow-through
      const specs = variant.questions.map((q) => {
        const parts = problemType(q.type)?.build(q.instance, q.params, this.style).parts ?? [];
        return parts.length === q.parts.length && parts.every((p, i) => q.parts[i]!.id.endsWith(`.${p.key}`)) ? parts : [];
      });
      entry = { variant, specs };
      this.#cache.set(code, entry);
    }
    if (student !== null && entry.variant.student !== '' && entry.variant.student !== student) return { error: `The worksheet code ${code} belongs to another student, not "${clip(student)}".` };
    return entry;
  }

  /** Grades one submission (already parsed from JSON, or not JSON at all: pass the reason). */
  grade(submission: unknown): GradeResult {
    const result: GradeResult = { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [] };
    if (submission === null || typeof submission !== 'object' || Array.isArray(submission)) {
      result.errors.push(`The submission is ${Array.isArray(submission) ? 'an array' : submission === null ? 'null' : `a ${typeof submission}`}, not an object with worksheet, student and answers.`);
      result.reason = 'not-an-object';
      return result;
    }
    const s = submission as Record<string, unknown>;
    if (s.format !== undefined && s.format !== 'gradsheet.submission/1') result.errors.push(`The format is ${preview(s.format)}; expected "gradsheet.submission/1" (graded anyway).`);
    if (typeof s.student === 'string' && s.student.trim()) result.student = s.student.trim();
    else if (s.student !== undefined) result.errors.push('The student should be a non-empty string.');
    if (typeof s.worksheet !== 'string' || !s.worksheet.trim()) {
      result.errors.push('The submission has no worksheet code (a "worksheet" string such as "K7P2-9XQ4").');
      result.reason = 'no-code';
      return result;
    }
    const code = normaliseCode(s.worksheet);
    result.worksheet = code;
    // a code is checked against its student wherever codes are issued to students (a bank always,
    // a key whose variants name them), before the code is looked up: no student, no answer about the code
    if (result.student === null && this.bindsStudents) {
      result.worksheet = clip(code);
      result.errors.push('The submission names no student, so its worksheet code cannot be checked.');
      result.reason = 'no-student';
      return result;
    }
    const found = this.variant(code, result.student);
    if ('error' in found) {
      // what cannot be graded echoes no more of the input than a line's worth
      result.worksheet = clip(code);
      if (result.student !== null) result.student = clip(result.student);
      result.errors.push(found.error);
      result.reason = /belongs to another student|was not issued to student/.test(found.error) ? 'wrong-student' : 'unknown-code';
      return result;
    }
    const answers = s.answers;
    if (answers === null || typeof answers !== 'object' || Array.isArray(answers)) {
      result.errors.push('The answers should be an object from part ids (like "q1.a") to values.');
      result.reason = 'no-answers';
      result.max = found.variant.questions.reduce((a, q) => a + q.parts.reduce((b, p) => b + p.points, 0), 0);
      return result;
    }
    // own keys only, looked up through a Map: "__proto__" or "constructor" is just an unknown id
    const given = new Map(Object.keys(answers).map((k) => [k, (answers as Record<string, unknown>)[k]]));
    const known = new Set<string>();
    const generator = this.style.generator;
    found.variant.questions.forEach((q, qi) => {
      const specs = found.specs[qi] ?? [];
      const earlier: Record<string, ReadValue | undefined> = {};
      // the parts marked correct (a right 0 or identity carries forward like any right answer)
      const correct = new Set<string>();
      // for each part answered wrongly, the part where its chain first went wrong
      const wrongOrigin = new Map<string, string>();
      // parts that could not be read: never where a chain went wrong, since nothing is known of them
      const unreadable = new Set<string>();
      q.parts.forEach((part, pi) => {
        known.add(part.id);
        const spec = specs[pi];
        let raw = given.get(part.id);
        if (Array.isArray(raw) && (raw.length > MAX_ENTRIES || entries(raw).length > MAX_ENTRIES)) raw = { tooLarge: true };
        const marked: MarkedPart = raw !== null && typeof raw === 'object' && !Array.isArray(raw)
          ? { id: part.id, max: part.points, status: 'invalid' as const, score: 0, feedback: Object.hasOwn(raw, 'tooLarge') ? `The answer has more than ${MAX_ENTRIES} entries.` : 'The answer should be a number, a list of numbers or a list of rows, not an object.' }
          : markPart(part, raw, { spec, earlier, correct, generator, reveal: this.#reveal, hints: this.#hints, digits: this.digits });
        const { key } = splitPartId(part.id);
        if (marked.read !== undefined) earlier[key] = marked.read;
        if (marked.status === 'correct') correct.add(key);
        let feedback = marked.feedback;
        if (marked.status === 'invalid') unreadable.add(key);
        else if (marked.status === 'partial' || marked.status === 'incorrect') {
          const deps = spec?.dependsOn ?? [];
          const upstream = deps.find((k) => wrongOrigin.has(k));
          const origin = upstream ? wrongOrigin.get(upstream)! : key;
          wrongOrigin.set(key, origin);
          // an answer judged against the student's own earlier answers (carried, or departing
          // from them: a total that is not their sum) has its own feedback and is not blamed on them
          if (marked.fromEarlier === undefined) {
            const unread = deps.find((k) => unreadable.has(k));
            if (origin !== key) feedback += ` This part builds on (${origin}), where the chain first went wrong.`;
            else if (unread) feedback += ` This part builds on (${unread}), which could not be read.`;
          }
        }
        const entry: PartResult = { id: marked.id, status: marked.status, score: marked.score, max: marked.max, feedback };
        if (marked.mistake) entry.mistake = marked.mistake;
        if (marked.carried) entry.carried = true;
        result.parts.push(entry);
      });
    });
    for (const id of given.keys()) {
      if (!known.has(id)) {
        result.parts.push({ id, status: 'invalid', score: 0, max: 0, feedback: `There is no part "${id.slice(0, 40)}" on worksheet ${code}.` });
        result.errors.push(`Unknown part id "${id.slice(0, 40)}".`);
      }
    }
    result.score = round(result.parts.reduce((a, p) => a + p.score, 0));
    result.max = round(result.parts.reduce((a, p) => a + p.max, 0));
    return result;
  }
}



/**
 * A result whose feedback gives each part's status and score but does not name the mistake made
 * (an assignment's `feedbackBeforeDue: "score"`). What an answer that could not be read needs (what
 * to type instead) is kept: that says nothing about the mathematics.
 */
export function withoutMistakes(result: GradeResult): GradeResult {
  const said: Record<string, string> = { correct: 'Correct.', partial: 'Partly correct.', incorrect: 'Not correct.' };
  return {
    ...result,
    parts: result.parts.map((p) => {
      if (!(p.status in said)) return p;
      const { mistake: _mistake, carried: _carried, ...rest } = p;
      return { ...rest, feedback: said[p.status]! };
    }),
  };
}
