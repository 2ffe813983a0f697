/**
 * What a teacher takes out of the store: the submissions as JSON (one per line, or an array) and
 * the gradebook of counted attempts (docs/formats.md), for `GET /api/v1/submissions`,
 * `GET /api/v1/gradebook.csv` and their CLI twins `gradsheet submissions export|gradebook`.
 */
import type { GradeResult } from '../grade/grade.js';
import { CountedChooser } from '../grade/bulk.js';
import { gradebookHeader, gradebookRow, csvField } from '../grade/report.js';
import type { Store, StoredSubmission } from './store.js';

/**
 * A stored submission as JSON text (docs/formats.md, "Stored submission"): its record, then the
 * submission as received and its result, spliced in as stored (they are JSON already).
 */
export function storedJson(s: StoredSubmission): string {
  const head = JSON.stringify({
    format: 'gradsheet.stored/1', id: s.id, seq: s.seq, worksheet: s.worksheet, student: s.student, kind: s.kind, attempt: s.attempt,
    receivedAt: s.receivedAt, late: s.late, client: s.client, score: s.score, max: s.max, gradedAt: s.gradedAt, regrade: s.regradeId,
  });
  return `${head.slice(0, -1)},"submission":${s.body},"result":${s.result}}`;
}

/** The gradebook's columns after the parts: the counted attempt's id, number, lateness and time. */
const SERVED_COLUMNS = ['attempt', 'attempts', 'late', 'received_at'];

/**
 * The gradebook of an online assignment: one row per student and worksheet, for the attempt that
 * counts (the last, or the best — the first of equal bests), with FORMATS' columns
 * (student,worksheet,score,max,percent, the parts, counted, source — the submission's id) and then
 * attempt (its number), attempts (how many were made), late and received_at. Checks never count.
 */
export async function gradebookCsv(store: Store, counts: 'last' | 'best', only?: (s: StoredSubmission) => boolean): Promise<string> {
  const chooser = new CountedChooser<StoredSubmission>(counts);
  const made = new Map<string, number>();
  let index = 0;
  for await (const s of store.each({ kind: 'submission' })) {
    if (only && !only(s)) continue;
    const who = JSON.stringify([s.student, s.worksheet]);
    made.set(who, (made.get(who) ?? 0) + 1);
    chooser.offer(who, s.score, index++, () => s);
  }
  const chosen = chooser.chosen().map((c) => c.kept);
  // the parts of the first counted result, in worksheet order
  const first = chosen.map((s) => JSON.parse(s.result) as GradeResult).find((r) => r.parts.length > 0);
  const parts = first ? first.parts.map((p) => p.id) : [];
  const lines = [`${gradebookHeader(parts)},${SERVED_COLUMNS.join(',')}`];
  for (const s of chosen) {
    const result = JSON.parse(s.result) as GradeResult;
    const attempts = made.get(JSON.stringify([s.student, s.worksheet]))!;
    lines.push(`${gradebookRow({ ...result, student: s.student, worksheet: s.worksheet }, parts)},true,${csvField(s.id)},${s.attempt},${attempts},${s.late},${csvField(s.receivedAt)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
