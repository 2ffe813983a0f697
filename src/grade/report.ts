/**
 * What bulk grading writes besides results.jsonl: the gradebook CSV (FORMATS.md) and a report a
 * teacher would rather look at than read — score histogram, success rate per part, the most
 * frequent mistakes per part. Plain HTML and inline SVG, every string escaped.
 */
import { MISTAKES, type MistakeId } from '../problems/mistakes.js';
import { escapeHtml } from '../html.js';
import type { GradeResult } from './grade.js';

function csvField(v: string | number): string {
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

/** Per-part statistics gathered one result at a time, so a bulk run need not keep its results. */
export class PartStatistics {
  readonly #stats = new Map<string, { answered: number; correct: number; mistakes: Map<MistakeId, number> }>();

  add(r: GradeResult): void {
    for (const p of r.parts) {
      if (p.max <= 0) continue;
      let st = this.#stats.get(p.id);
      if (!st) this.#stats.set(p.id, (st = { answered: 0, correct: 0, mistakes: new Map() }));
      if (p.status !== 'missing') st.answered++;
      if (p.status === 'correct') st.correct++;
      if (p.mistake) st.mistakes.set(p.mistake as MistakeId, (st.mistakes.get(p.mistake as MistakeId) ?? 0) + 1);
    }
  }

  rowsHtml(): string {
    return [...this.#stats].map(([id, st]) => {
      const top = [...st.mistakes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([m, n]) => `${escapeHtml(MISTAKES[m].name)} (${n})`).join('; ');
      const rate = st.answered ? st.correct / st.answered : 0;
      return `<tr><td class="id">${escapeHtml(id)}</td><td>${bar(rate)} ${Math.round(rate * 100)}%</td><td>${st.answered}</td><td>${top || '—'}</td></tr>`;
    }).join('');
  }
}

export interface ReportSummary {
  submissions: number;
  graded: number;
  ungradable: number;
  duplicatePolicy: 'last' | 'best';
  superseded: number;
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

export function reportHtml(title: string, percents: readonly number[], stats: PartStatistics, problems: readonly string[], summary: ReportSummary): string {
  const mean = percents.length ? percents.reduce((a, b) => a + b, 0) / percents.length : 0;
  const errors = problems.slice(0, 50).map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px/1.4 'Liberation Sans','DejaVu Sans',sans-serif;margin:24px;color:#111;max-width:960px}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}svg text{font-size:11px;fill:#333}.id{font-family:monospace}.muted{color:#555}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${summary.submissions} submissions: ${summary.graded} graded, ${summary.ungradable} could not be graded. Duplicate submissions for one student: <b>${summary.duplicatePolicy === 'last' ? 'the last one counts' : 'the best one counts'}</b> (${summary.superseded} superseded). Mean score of the counted submissions ${mean.toFixed(1)}%.</p>
<h2>Scores</h2>${histogram(percents)}
<h2>Parts</h2><p class="muted">Over every graded submission.</p><table><thead><tr><th>part</th><th>correct</th><th>answered</th><th>most frequent mistakes</th></tr></thead><tbody>${stats.rowsHtml()}</tbody></table>
${errors ? `<h2>Submissions with problems</h2><ul class="muted">${errors}</ul>${problems.length > 50 ? `<p class="muted">…and ${problems.length - 50} more (see results.jsonl).</p>` : ''}` : ''}
</body></html>
`;
}
