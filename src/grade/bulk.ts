/**
 * Grading a class's submissions in bulk: every item gets a result (a parse error, an ungradable
 * submission and a grader exception alike, each with its source and, when it could not be graded,
 * its reason), the gradebook row of each, the duplicate policy — one counted submission per
 * student — and the item analysis of the counted ones for the report. Pure: items in, texts out;
 * `gradsheet grade` reads the items and writes the texts.
 *
 * One pass keeps text rather than result objects: 100,000 results with their parts held as
 * objects made garbage collection the largest cost of a bulk run. So a result is serialised as it
 * is graded, and whether it counts (known only once every submission is in) is appended to its
 * text at the end (`withCounted`). Only the submission that counts so far for each student is
 * kept as an object (CountedChooser applies the policy as submissions arrive), for the analysis.
 */
import type { Grader, GradeResult } from './grade.js';
import { analyseParts, type PartAnalysis, type Sheet, type SheetPart } from './item-analysis.js';
import { gradebookEnd, gradebookHeader, gradebookRow, type ReportSummary } from './report.js';

/** One submission as read: its value, or the sentence saying why it is not JSON (and the reason's code). */
export interface BulkItem {
  /** where it came from: "alice.json", "subs.jsonl:12", "subs.json[3]" (the result's `source`) */
  where: string;
  value?: unknown;
  error?: string;
  /** with `error`: why it could not be read (default not-json) */
  reason?: 'not-json' | 'unreadable';
}

export type DuplicatePolicy = 'last' | 'best';

/** Who a graded submission counts for (null: it could not be graded) and its score. */
export interface Scored {
  who: string | null;
  score: number;
}

/**
 * The duplicate policy as submissions arrive: for each student, the submission that counts so far
 * — the last one, or the best (the first of equal bests) — with what the caller keeps of it.
 */
export class CountedChooser<T> {
  readonly #policy: DuplicatePolicy;
  readonly #chosen = new Map<string, { index: number; score: number; kept: T }>();

  constructor(policy: DuplicatePolicy) {
    this.#policy = policy;
  }

  /** Offers submission `index`; `keep()` is called only when it becomes the one that counts. */
  offer(who: string, score: number, index: number, keep: () => T): void {
    const prev = this.#chosen.get(who);
    if (prev === undefined || this.#policy === 'last' || score > prev.score) this.#chosen.set(who, { index, score, kept: keep() });
  }

  /** The submissions that count, in input order. */
  chosen(): { index: number; kept: T }[] {
    return [...this.#chosen.values()].sort((a, b) => a.index - b.index);
  }
}

/**
 * The duplicate policy: for each student, the index of the submission that counts — the last one,
 * or the best (the first of equal bests). Submissions that could not be graded count for nobody.
 */
export function countedSubmissions(scored: readonly Scored[], policy: DuplicatePolicy): Set<number> {
  const chooser = new CountedChooser<null>(policy);
  scored.forEach((s, i) => {
    if (s.who !== null) chooser.offer(s.who, s.score, i, () => null);
  });
  return new Set(chooser.chosen().map((c) => c.index));
}

/** A result's JSON text with `"counted": …` as its last field. */
export function withCounted(resultJson: string, counted: boolean): string {
  return `${resultJson.slice(0, -1)},"counted":${counted}}`;
}

export interface BulkGrades {
  /** results.jsonl's lines: one gradsheet.result/1 per item, in input order, with source and counted */
  results: string[];
  /** gradebook.csv's lines, header first (RFC 4180, joined with CRLF by the writer) */
  gradebook: string[];
  /** the item analysis of the counted submissions, per part (the report's tables) */
  analysis: PartAnalysis[];
  /** the counted submissions' percentages (the report's histogram) */
  percents: number[];
  /** "where: student code: errors", one per item with errors */
  problems: string[];
  summary: ReportSummary;
}

function ungradable(error: string, reason: NonNullable<GradeResult['reason']>): GradeResult {
  return { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [error], reason };
}

/**
 * A counted submission as the item analysis reads it. What its variant drew is the right answer of
 * each choice part (the regime a question drew); a submission without an answers object counts
 * every part of its variant as blank.
 */
function sheetOf(grader: Grader, r: GradeResult): { sheet: Sheet; max: number } {
  const found = r.worksheet === null ? null : grader.variant(r.worksheet, null);
  const variant = found && 'variant' in found ? found.variant : null;
  let parts: readonly SheetPart[] = r.parts;
  const drawn: Record<string, string> = {};
  if (variant) {
    if (parts.length === 0) parts = variant.questions.flatMap((q) => q.parts.map((p) => ({ id: p.id, score: 0, max: p.points, status: 'missing' as const })));
    for (const q of variant.questions) for (const p of q.parts) if (p.kind === 'choice' && typeof p.answer === 'string') drawn[p.id] = p.answer;
  }
  return { sheet: { variant: r.worksheet ?? '', total: r.score, parts, drawn }, max: r.max };
}

/** Grades every item; `onProgress(done)` after each. Never throws for a bad item. */
export function gradeBulk(grader: Grader, items: readonly BulkItem[], policy: DuplicatePolicy, onProgress?: (done: number) => void): BulkGrades {
  const results: string[] = [];
  const rows: string[] = [];
  const problems: string[] = [];
  // the submission that counts for each student so far, kept as the item analysis reads it
  const chooser = new CountedChooser<{ sheet: Sheet; max: number }>(policy);
  let graded = 0;
  let parts: string[] | null = null;
  /** rows written before the part columns were known (ungradable ones): padded at the end */
  const early: number[] = [];
  items.forEach((item, i) => {
    let r: GradeResult;
    try {
      r = item.error !== undefined ? ungradable(item.error, item.reason ?? 'not-json') : grader.grade(item.value);
    } catch (e) {
      // whatever one submission does, the others are graded
      r = ungradable(`This submission could not be graded (${(e as Error).message.slice(0, 100)}).`, 'internal-error');
    }
    const who = r.max > 0 ? (r.student ?? r.worksheet) : null;
    if (who !== null) {
      graded++;
      parts ??= r.parts.filter((p) => p.max > 0).map((p) => p.id);
      chooser.offer(who, r.score, i, () => sheetOf(grader, r));
    }
    if (r.errors.length) problems.push(`${item.where}: ${r.student ?? '?'} ${r.worksheet ?? ''}: ${r.errors.join(' ')}`);
    (r as GradeResult & { source?: string }).source = item.where;
    results.push(JSON.stringify(r));
    if (parts === null) early.push(rows.length);
    rows.push(gradebookRow(r, parts ?? []));
    onProgress?.(i + 1);
  });
  const chosen = chooser.chosen();
  const counted = new Set(chosen.map((c) => c.index));
  results.forEach((line, i) => (results[i] = withCounted(line, counted.has(i))));
  for (const i of early) rows[i] += ','.repeat((parts ?? []).length);
  // every row ends saying whether it counts and where it came from, the ungradable ones too
  rows.forEach((_, i) => (rows[i] += gradebookEnd(counted.has(i), items[i]!.where)));
  return {
    results,
    gradebook: [gradebookHeader(parts ?? []), ...rows],
    analysis: analyseParts(chosen.map((c) => c.kept.sheet)),
    percents: chosen.map((c) => (100 * c.kept.sheet.total) / c.kept.max),
    problems,
    summary: { submissions: results.length, graded, ungradable: results.length - graded, duplicatePolicy: policy, superseded: graded - counted.size, counted: counted.size },
  };
}
