import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { AUDIT_LIMITS, auditBank, type AuditLimit, type AuditReport, type CheckResult, type PartAudit } from '../problems/audit.js';
import { loadBank } from './files.js';
import { bankUsesFormulas } from './key-source.js';
import { loadFormulas } from '../contract/formula.js';
import { titleText } from '../render/typeset.js';

const MARK: Record<CheckResult, string> = { pass: '✓', fail: '✗', 'n/a': '–' };

function percent(x: number): string {
  return `${Number((100 * x).toFixed(1))}%`;
}

/** The limit columns of the table, in the order AUDIT_LIMITS states them. */
const LIMIT_COLUMNS: { limit: AuditLimit; header: string }[] = [
  { limit: 'mostFrequentChoice', header: `top≤${percent(AUDIT_LIMITS.mostFrequentChoice)}` },
  { limit: 'zeroAnswer', header: `zero≤${percent(AUDIT_LIMITS.zeroAnswer)}` },
  { limit: 'freeFullMarks', header: `free≤${percent(AUDIT_LIMITS.freeFullMarks)}` },
  { limit: 'spelledOut', header: 'unspelled' },
];

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A part's key figures in one cell: its right answers for a choice, its free points for a number. */
function figures(p: PartAudit): string {
  if (p.choice) {
    const c = p.choice;
    return `top "${shorten(c.mostFrequent.answer, 24)}" ${percent(c.mostFrequent.share)} of ${c.choices} choices; positions ${c.positions.join('/')}`;
  }
  const n = p.numeric!;
  const cell = (label: string, x: number) => `${label} ${percent(x).padStart(5)}`;
  return [cell('=0', n.zeroAnswer.share), cell('=printed', n.printedAnswer.share), cell('0 full', n.zeroScores.share), cell('printed full', n.printedScores.share), cell('any entry', n.freeEntry.share)].join('  ');
}

/** The report as fixed-width plain text: a row per part under its question, the draws, the verdict. */
export function auditText(report: AuditReport): string {
  const header = ['part', 'kind', 'figures', 'mistake', 'same', ...LIMIT_COLUMNS.map((c) => c.header)];
  type Row = { heading: string } | { cells: string[] };
  const rows: Row[] = [];
  for (const q of report.questions) {
    rows.push({ heading: `${q.id}: ${titleText(q.title)} (${q.type})` });
    for (const p of q.parts) {
      rows.push({ cells: [p.id, p.kind, figures(p), percent(p.mistakeWithinTolerance.share), percent(p.sameAnswer.share), ...LIMIT_COLUMNS.map((c) => MARK[p.checks[c.limit]])] });
    }
  }
  const cellRows = rows.flatMap((r) => ('cells' in r ? [r.cells] : []));
  const widths = header.map((h, i) => Math.max(h.length, ...cellRows.map((r) => r[i]!.length)));
  // numbers and marks read best right-aligned, names left-aligned
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
  const { draws, rejected, redrawRate, reasons } = report.draws;
  const why = Object.entries(reasons).map(([r, n]) => `${r} ${n}`).join(', ');
  const out = [
    `Audit of bank ${report.bank.id} (generator ${report.bank.generator}, ${report.bank.digits} significant figures): ${report.count} variants from seed ${report.seed}.`,
    `Redraw rate: ${percent(redrawRate)} (${rejected} of ${draws} draws rejected${why ? `: ${why}` : ''}).`,
    '',
    line(header),
    ...rows.map((r) => ('heading' in r ? r.heading : line(r.cells))),
    '',
    'Shares of the variants. A choice: its most frequent right answer, and how many variants print the right answer at each',
    'position. A number: the answer (some entry) is 0 (=0) or a number printed in the question (=printed); 0 or a printed',
    'number scores full marks (0 full, printed full: every entry within tolerance); some entry is scored by 0 or a printed',
    'number (any entry: free partial credit). mistake: a catalogued mistake within tolerance of the answer. same: the most',
    `common answer. Limits: the most frequent right choice (${AUDIT_LIMITS.minChoices} or more choices), answers of 0, and full marks for 0 or a`,
    'printed number, each at most the share in the column head; no right choice spelled out in the title or statement',
    '(unspelled). ✓ within the limit, ✗ over it, – not held to it.',
    '',
  ];
  if (report.passed) {
    out.push(`audit passed: bank ${report.bank.id} meets every limit over ${report.count} variants (seed ${report.seed}).`);
  } else {
    out.push(`audit failed: bank ${report.bank.id} breaks ${report.violations.length} ${report.violations.length === 1 ? 'limit' : 'limits'} over ${report.count} variants (seed ${report.seed}):`);
    for (const v of report.violations) out.push(`  ${v.message}`);
  }
  return out.join('\n');
}

/** `gradsheet audit --bank NAME|PATH [--count N] [--seed S] [--json]` */
export async function runAudit(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { bank: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.bank) throw new GradsheetError('usage', 'audit needs --bank NAME|PATH (run `gradsheet banks` for the default banks).');
  const count = values.count === undefined ? 200 : /^\d+$/.test(values.count.trim()) ? Number(values.count) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 10000) {
    throw new GradsheetError('usage', `--count should be a whole number from 1 to 10000, not "${values.count}".`);
  }
  if (values.seed !== undefined && values.seed === '') throw new GradsheetError('usage', '--seed should not be empty.');
  const bank = await loadBank(values.bank);
  if (bankUsesFormulas(bank)) await loadFormulas();
  const report = auditBank(bank, { count, ...(values.seed !== undefined ? { seed: values.seed } : {}) });
  process.stdout.write((values.json ? JSON.stringify(report, null, 2) : auditText(report)) + '\n');
  return report.passed ? 0 : 1;
}
