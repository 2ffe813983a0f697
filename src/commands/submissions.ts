/**
 * The CLI twins of serve's teacher routes, reading the store directly (the server may be running:
 * SQLite lets readers in beside it, PostgreSQL anyone):
 *   gradsheet submissions export [--data DIR | --database URL] [--worksheet C] [--student S] [--since T] [--kind K] [--format jsonl|json] [--out FILE]
 *   gradsheet submissions gradebook [--data DIR | --database URL] [--counts last|best] [--out FILE]
 *   gradsheet regrade (--key K | --bank B --secret-file F | --bank B --seed S) [--data DIR | --database URL] [--dry-run] [--json]
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradsheetError } from '../errors.js';
import { normaliseCode } from '../problems/variants.js';
import { remark } from '../server/app.js';
import { gradebookCsv, storedJson } from '../store/export.js';
import { DEFAULT_DATA_DIR, SQLITE_FILE, type RegradeReport, type Store } from '../store/store.js';
import { KEY_OPTIONS, loadGrader, withPinnedBank } from './key-source.js';
import { OutputBuffer } from './output.js';
import { STORE_OPTIONS, openStore } from './store-options.js';

export async function withStore<T>(o: { data?: string; database?: string }, work: (store: Store) => Promise<T>): Promise<T> {
  // reading a store that is not there is a mistyped folder, not a new, empty assignment
  if (o.database === undefined && !process.env.GRADSHEET_DATABASE) {
    const dir = o.data ?? DEFAULT_DATA_DIR;
    if (!existsSync(join(dir, SQLITE_FILE))) throw new GradsheetError('not-found', `There are no recorded submissions in ${dir}: it has no ${SQLITE_FILE} (gradsheet serve --data ${dir} creates it), so give the folder serve used with --data, or --database.`);
  }
  const store = await openStore(o);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Writes text to a file, or to standard output. */
async function emit(text: string, out: string | undefined): Promise<void> {
  if (out) await writeFile(out, text);
  else {
    const buffer = new OutputBuffer();
    buffer.write(text);
    buffer.flush();
  }
}

export async function runSubmissions(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'export') {
    const { values } = parseArgs({ args: rest, options: { ...STORE_OPTIONS, worksheet: { type: 'string' }, student: { type: 'string' }, since: { type: 'string' }, kind: { type: 'string' }, format: { type: 'string', default: 'jsonl' }, out: { type: 'string' } }, strict: true });
    if (values.format !== 'jsonl' && values.format !== 'json') throw new GradsheetError('usage', `--format should be jsonl or json, not "${values.format}".`);
    if (values.kind !== undefined && values.kind !== 'submission' && values.kind !== 'check') throw new GradsheetError('usage', `--kind should be submission or check, not "${values.kind}".`);
    let since: string | undefined;
    if (values.since !== undefined) {
      const t = Date.parse(values.since);
      if (!/^\d{4}-\d\d-\d\d/.test(values.since) || Number.isNaN(t)) throw new GradsheetError('usage', `--since should be a time in ISO 8601 (2026-12-07 or 2026-12-07T09:00:00Z), not "${values.since}".`);
      since = new Date(t).toISOString();
    }
    const filter = { worksheet: values.worksheet === undefined ? undefined : normaliseCode(values.worksheet), student: values.student, since, kind: values.kind as 'submission' | 'check' | undefined };
    const rows = await withStore(values, async (store) => {
      const out: string[] = [];
      for await (const s of store.each(filter)) out.push(storedJson(s));
      return out;
    });
    await emit(values.format === 'jsonl' ? rows.map((r) => `${r}\n`).join('') : `[${rows.join(',\n')}]\n`, values.out);
    if (values.out) process.stderr.write(`Exported ${rows.length} submission${rows.length === 1 ? '' : 's'} to ${values.out}.\n`);
    return 0;
  }
  if (sub === 'gradebook') {
    const { values } = parseArgs({ args: rest, options: { ...STORE_OPTIONS, counts: { type: 'string', default: 'last' }, out: { type: 'string' } }, strict: true });
    if (values.counts !== 'last' && values.counts !== 'best') throw new GradsheetError('usage', `--counts should be last or best, not "${values.counts}".`);
    const csv = await withStore(values, (store) => gradebookCsv(store, values.counts as 'last' | 'best'));
    await emit(csv, values.out);
    return 0;
  }
  throw new GradsheetError('usage', `gradsheet submissions takes export or gradebook${sub === undefined ? '' : `, not "${sub}"`}.`);
}

/** The regrade report in lines a teacher reads: a summary, then each changed submission. */
export function regradeText(r: RegradeReport): string {
  const lines = [`${r.dryRun ? 'Would regrade' : 'Regraded'} ${r.checked} stored submission${r.checked === 1 ? '' : 's'} against ${r.against}: ${r.changed.length} ${r.dryRun ? 'would change' : 'changed'}${r.regrade ? ` (regrade ${r.regrade}; the old results are kept)` : ''}.${r.skipped ? ` ${r.skipped} of other worksheets (not issued by this ${/^answer key/.test(r.against) ? 'key' : 'bank'}) were left as they were.` : ''}`];
  for (const c of r.changed) {
    const what = c.kind === 'check' ? 'check' : `attempt ${c.attempt}`;
    lines.push(`  ${c.student} ${c.worksheet} ${what}: ${c.before.score}/${c.before.max} → ${c.after.score}/${c.after.max}${c.parts.length ? ` (${c.parts.map((p) => `${p.id} ${p.before} → ${p.after}`).join('; ')})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runRegrade(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...KEY_OPTIONS, ...STORE_OPTIONS, 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, counts: { type: 'string' } }, strict: true });
  // before the store, so a mistyped bank or key says so before the database is opened
  const loaded = await loadGrader(values, 'regrade');
  // which attempt counts, for the scores sent again to LTI platforms: as serve's --counts, else the bank's
  const counts = values.counts ?? loaded.bank?.assignment?.counts ?? 'last';
  if (counts !== 'last' && counts !== 'best') throw new GradsheetError('usage', `--counts should be last or best, not "${counts}".`);
  const report = await withStore(values, async (store) => {
    const { grader, against } = await withPinnedBank(loaded, store);
    return store.regrade((s) => remark(grader, s), against, { dryRun: values['dry-run'], counts });
  });
  await emit(values.json ? `${JSON.stringify(report)}\n` : regradeText(report), undefined);
  return 0;
}
