/**
 * What bulk grading writes besides results.jsonl: the gradebook CSV (docs/formats.md) and a report a
 * teacher would rather look at than read — score histogram, success rate per part, the most
 * frequent mistakes per part, and the item analysis (item-analysis.ts): facility, discrimination
 * and facility across variants. Every rate says what it is over. Plain HTML and inline SVG, every
 * string escaped.
 */
import { MISTAKES, type MistakeId } from '../problems/mistakes.js';
import { escapeHtml } from '../html.js';
import type { GradeResult } from './grade.js';
import { MIN_GROUP, type GroupFacility, type PartAnalysis, type Spread } from './item-analysis.js';

export function csvField(v: string | number): string {
  let s = String(v);
  // a text field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is quoted
  // as text, so a submitted "student" cannot become a formula in the teacher's gradebook
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The gradebook's header row: student,worksheet,score,max,percent, then one column per part id,
 * then counted (true for the one submission per student that counts) and source (where it came from).
 */
export function gradebookHeader(parts: readonly string[]): string {
  return ['student', 'worksheet', 'score', 'max', 'percent', ...parts, 'counted', 'source'].map(csvField).join(',');
}

/** One gradebook row (RFC 4180), the part columns holding each part's score. */
export function gradebookRow(r: GradeResult, parts: readonly string[]): string {
  const byId = new Map(r.parts.map((p) => [p.id, p.score]));
  const percent = r.max > 0 ? Math.round((1000 * r.score) / r.max) / 10 : 0;
  return [r.student ?? '', r.worksheet ?? '', r.score, r.max, percent, ...parts.map((id) => byId.get(id) ?? '')].map(csvField).join(',');
}

/** The end of a gradebook row: its counted and source columns, after the part columns. */
export function gradebookEnd(counted: boolean, source: string): string {
  return `,${counted},${csvField(source)}`;
}

export interface ReportSummary {
  submissions: number;
  graded: number;
  ungradable: number;
  duplicatePolicy: 'last' | 'best';
  superseded: number;
  /** the submissions that count, one per student: what the histogram and the part tables are over */
  counted: number;
}

function histogram(percents: readonly number[]): string {
  const bins = Array.from({ length: 10 }, () => 0);
  for (const p of percents) bins[Math.min(9, Math.floor(p / 10))]! += 1;
  const max = Math.max(1, ...bins);
  const w = 520, h = 180, left = 30, bottom = 28, bw = (w - left - 10) / 10;
  const bars = bins.map((n, i) => {
    const bh = ((h - bottom - 10) * n) / max;
    const x = left + i * bw;
    return `<rect x="${x + 2}" y="${h - bottom - bh}" width="${bw - 4}" height="${bh}" fill="#1f4e99"/>` +
      `<text x="${x + bw / 2}" y="${h - bottom + 14}" text-anchor="middle">${i * 10}–${i === 9 ? 100 : i * 10 + 9}</text>` +
      (n ? `<text x="${x + bw / 2}" y="${h - bottom - bh - 3}" text-anchor="middle">${n}</text>` : '');
  }).join('');
  return `<svg width="${w}" height="${h}" role="img" aria-label="histogram of scores in percent">${bars}<text x="${w / 2}" y="${h - 2}" text-anchor="middle">score (%)</text></svg>`;
}

function bar(fraction: number): string {
  const width = Math.round(160 * fraction);
  return `<svg width="160" height="12" aria-hidden="true"><rect width="160" height="12" fill="#e5e9f0"/><rect width="${width}" height="12" fill="${fraction >= 0.7 ? '#2e7d32' : fraction >= 0.4 ? '#f9a825' : '#c62828'}"/></svg>`;
}

/** "12 of 30 submitted (40%)": a count, what it is out of, and the rate. */
function ofThe(n: number, total: number, what: string): string {
  return `${n} of ${total} ${what}${total > 0 ? ` (${Math.round((100 * n) / total)}%)` : ''}`;
}

function fixed2(x: number | null): string {
  return x === null ? '—' : x.toFixed(2).replace(/^-/, '−');
}

/** Groups smaller than this are called small in the report: their facilities differ by chance alone. */
const SMALL_GROUP = 10;

function partRow(p: PartAnalysis): string {
  const rate = p.sheets ? p.correct / p.sheets : 0;
  const mistakes = p.mistakes.slice(0, 3).map((m) => `${escapeHtml(MISTAKES[m.id as MistakeId]?.name ?? m.id)} (${m.sheets === 1 ? '1 sheet' : `${m.sheets} sheets`})`).join('; ');
  return `<tr><td class="id">${escapeHtml(p.id)}</td><td>${bar(rate)} ${ofThe(p.correct, p.sheets, 'submitted')}, ${ofThe(p.correct, p.answered, 'answered')}</td>` +
    `<td>${ofThe(p.answered, p.sheets, 'submitted')}</td><td>${mistakes || '—'}</td></tr>`;
}

function groupsText(groups: readonly GroupFacility[]): string {
  return groups.map((g) => `${escapeHtml(g.label)} ${fixed2(g.facility)} (${g.sheets === 1 ? '1 sheet' : `${g.sheets} sheets`})`).join(', ');
}

function spreadText(s: Spread): string {
  // one student moves the facility of a group of n sheets by up to 1/n: the honest size of "small"
  const caution = s.smallest < SMALL_GROUP ? ` — small groups (one student moves the smallest, of ${s.smallest} sheets, by up to ${fixed2(1 / s.smallest)}): a difference this size may be chance` : '';
  return `spread ${fixed2(s.max - s.min)} (highest minus lowest)${caution}`;
}

function acrossVariants(p: PartAnalysis): string {
  const lines = p.byDrawn.map((d) => `by the right answer to ${escapeHtml(d.part)} (what the variant drew): ${groupsText(d.groups)}; ${d.spread ? spreadText(d.spread) : `not compared: fewer than two groups of ${MIN_GROUP} or more sheets`}`);
  const v = p.byVariant;
  if (v.spread) lines.push(`by worksheet code, over the ${v.spread.groups} variants with ${MIN_GROUP} or more sheets: ${fixed2(v.spread.min)}–${fixed2(v.spread.max)}; ${spreadText(v.spread)}`);
  else if (!lines.length) lines.push(`not compared: the variants differ only in their numbers, and ${v.variants === 0 ? 'no variant has' : 'only one variant has'} ${MIN_GROUP} or more counted sheets`);
  return lines.join('<br>');
}

const NONE = (columns: number) => `<tr><td colspan="${columns}" class="muted">No submission could be graded.</td></tr>`;

function itemRow(p: PartAnalysis): string {
  return `<tr><td class="id">${escapeHtml(p.id)}</td><td>${p.sheets}</td><td class="num">${fixed2(p.facility)}</td><td class="num">${fixed2(p.discrimination)}</td><td class="muted">${acrossVariants(p)}</td></tr>`;
}

export function reportHtml(title: string, percents: readonly number[], analysis: readonly PartAnalysis[], problems: readonly string[], summary: ReportSummary): string {
  const mean = percents.length ? percents.reduce((a, b) => a + b, 0) / percents.length : 0;
  const errors = problems.slice(0, 50).map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  const n = summary.counted;
  const sheets = n === 1 ? '1 counted submission' : `${n} counted submissions`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px/1.4 'Liberation Sans','DejaVu Sans',sans-serif;margin:24px;color:#111;max-width:960px}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}svg text{font-size:11px;fill:#333}.id{font-family:monospace}.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#555}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${summary.submissions} submissions: ${summary.graded} graded, ${summary.ungradable} could not be graded. Duplicate submissions for one student: <b>${summary.duplicatePolicy === 'last' ? 'the last one counts' : 'the best one counts'}</b> (${summary.superseded} superseded), so ${n} ${n === 1 ? 'submission counts' : 'submissions count'}, one per student. Every figure below is over these ${sheets} unless it says otherwise. Mean score of the ${sheets}: ${mean.toFixed(1)}%.</p>
<h2>Scores</h2><p class="muted">The ${sheets}, by score.</p>${histogram(percents)}
<h2>Parts</h2><p class="muted">Over the ${sheets}: “submitted” counts every counted sheet with the part, “answered” those that did not leave it blank.</p><table id="parts"><thead><tr><th>part</th><th>correct</th><th>answered</th><th>most frequent mistakes</th></tr></thead><tbody>${analysis.map(partRow).join('') || NONE(4)}</tbody></table>
<h2>Item analysis</h2>
<p class="muted">Over the ${sheets}. <b>Facility</b>: the points the class earned on the part over the points available (a blank part scores 0): 1.00 when everyone got it, 0.00 when no one did. <b>Discrimination</b>: the correlation (Pearson’s r) between the part’s score and the rest of the sheet’s score (the total minus this part): near 1 when the students who do well on the rest get this part and the others do not; near 0 or below 0 when it does not tell them apart, or tells them apart backwards (worth a look: a misleading statement, a wrong key). “—” where it is undefined: fewer than 3 sheets, or a score that is the same on every sheet. With fewer than about 30 sheets one student moves r a lot: read it as a hint. <b>Across variants</b>: every student’s variant has its own numbers; where a question also draws a kind (the regime: vanishing, exploding or neither), the part’s facility per kind, which is the right answer of the question’s choice part; otherwise per worksheet code, when several counted sheets share one.</p>
<table id="item-analysis"><thead><tr><th>part</th><th>sheets</th><th>facility</th><th>discrimination</th><th>across variants</th></tr></thead><tbody>${analysis.map(itemRow).join('') || NONE(5)}</tbody></table>
${errors ? `<h2>Submissions with problems</h2><ul class="muted">${errors}</ul>${problems.length > 50 ? `<p class="muted">…and ${problems.length - 50} more (see results.jsonl).</p>` : ''}` : ''}
</body></html>
`;
}
