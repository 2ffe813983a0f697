/**
 * Grading a class's submissions in bulk: every item gets a result (a parse error, an ungradable
 * submission and a grader exception alike), the gradebook row of each, the per-part statistics
 * of the report, and the duplicate policy — one counted submission per student. Pure: items in,
 * texts out; `gradsheet grade` reads the items and writes the texts.
 *
 * One pass keeps text rather than result objects: 100,000 results with their parts held as
 * objects made garbage collection the largest cost of a bulk run. So a result is serialised as it
 * is graded, and whether it counts (known only once every submission is in) is appended to its
 * text at the end (`withCounted`).
 */
import type { Grader, GradeResult } from './grade.js';
import { PartStatistics, gradebookEnd, gradebookHeader, gradebookRow, type ReportSummary } from './report.js';

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
 * The duplicate policy: for each student, the index of the submission that counts — the last one,
 * or the best (the first of equal bests). Submissions that could not be graded count for nobody.
 */
export function countedSubmissions(scored: readonly Scored[], policy: DuplicatePolicy): Set<number> {
  const chosen = new Map<string, number>();
  scored.forEach((s, i) => {
    if (s.who === null) return;
    const prev = chosen.get(s.who);
    if (prev === undefined || policy === 'last' || s.score > scored[prev]!.score) chosen.set(s.who, i);
  });
  return new Set(chosen.values());
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
  /** what the report shows */
  statistics: PartStatistics;
  /** the counted submissions' percentages (the report's histogram) */
  percents: number[];
  /** "where: student code: errors", one per item with errors */
  problems: string[];
  summary: ReportSummary;
}

function ungradable(error: string, reason: NonNullable<GradeResult['reason']>): GradeResult {
  return { format: 'gradsheet.result/1', worksheet: null, student: null, score: 0, max: 0, parts: [], errors: [error], reason };
}

/** Grades every item; `onProgress(done)` after each. Never throws for a bad item. */
export function gradeBulk(grader: Grader, items: readonly BulkItem[], policy: DuplicatePolicy, onProgress?: (done: number) => void): BulkGrades {
  const results: string[] = [];
  const rows: string[] = [];
  const scored: (Scored & { max: number })[] = [];
  const problems: string[] = [];
  const statistics = new PartStatistics();
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
    if (r.max > 0) {
      parts ??= r.parts.filter((p) => p.max > 0).map((p) => p.id);
      statistics.add(r);
    }
    if (r.errors.length) problems.push(`${item.where}: ${r.student ?? '?'} ${r.worksheet ?? ''}: ${r.errors.join(' ')}`);
    (r as GradeResult & { source?: string }).source = item.where;
    results.push(JSON.stringify(r));
    if (parts === null) early.push(rows.length);
    rows.push(gradebookRow(r, parts ?? []));
    scored.push({ who: r.max > 0 ? (r.student ?? r.worksheet) : null, score: r.score, max: r.max });
    onProgress?.(i + 1);
  });
  const counted = countedSubmissions(scored, policy);
  const percents: number[] = [];
  let superseded = 0;
  scored.forEach((s, i) => {
    const isCounted = counted.has(i);
    if (isCounted) percents.push((100 * s.score) / s.max);
    else if (s.who !== null) superseded++;
    results[i] = withCounted(results[i]!, isCounted);
  });
  for (const i of early) rows[i] += ','.repeat((parts ?? []).length);
  // every row ends saying whether it counts and where it came from, the ungradable ones too
  rows.forEach((_, i) => (rows[i] += gradebookEnd(counted.has(i), items[i]!.where)));
  const notGraded = scored.filter((s) => s.who === null).length;
  return {
    results,
    gradebook: [gradebookHeader(parts ?? []), ...rows],
    statistics,
    percents,
    problems,
    summary: { submissions: results.length, graded: results.length - notGraded, ungradable: notGraded, duplicatePolicy: policy, superseded },
  };
}
