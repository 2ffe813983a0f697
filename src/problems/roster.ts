/**
 * Class rosters (docs/formats.md): CSV with a header naming at least `id` and `name` (other columns
 * are kept and ignored), RFC 4180 quoting, UTF-8 with or without a BOM, any line endings. The
 * separator — comma, semicolon (Excel in many locales) or tab — is the one that splits the header
 * line into columns including `id` (or the one an Excel `sep=;` line names). Fields are read by
 * csv-parse; this module decides where a record starts, so that one bad line is reported with its
 * line number and skipped while the good ones are kept:
 *  - a row shorter than the header is padded with empty fields, unless the id or the name is
 *    among the missing ones (a spreadsheet leaves off trailing empty columns);
 *  - a quote that is never closed is reported on the line it opens, and reading goes on from the
 *    next line, rather than the quoted field swallowing the rest of the file;
 *  - a quoted field may hold a line break (a record may span lines), unless a line it would take
 *    in reads as a row of its own: that is an unclosed quote too.
 * Pure: text in, students, problems and notices out.
 */
import { parse, type Options } from 'csv-parse/sync';

export interface Student {
  id: string;
  name: string;
  /** the 1-based line the record starts on */
  line: number;
}

export interface RosterProblem {
  line: number;
  message: string;
}

export interface Roster {
  students: Student[];
  /** lines reported and skipped (or, with no students, why there are none) */
  problems: RosterProblem[];
  /** how the roster was read, when that is worth saying (a separator other than a comma) */
  notices: string[];
}

export type Separator = ',' | ';' | '\t';
const SEPARATORS: readonly Separator[] = [',', ';', '\t'];
const SEPARATOR_NAMES: Record<Separator, string> = { ',': 'commas', ';': 'semicolons', '\t': 'tabs' };
const SEPARATOR_SHOWN: Record<Separator, string> = { ',': '","', ';': '";"', '\t': 'a tab' };

/** csv-parse's options for a roster: lenient about quotes inside a field, strict about nothing else. */
function csvOptions(delimiter: Separator, relaxQuotes = true): Options {
  return {
    delimiter,
    record_delimiter: '\n',
    // a quote inside an unquoted field (5'11" tall) is kept as a character, as it always was
    relax_quotes: relaxQuotes,
    // the field count is checked here, line by line
    relax_column_count: true,
    // spaces around a separator are not part of a field (a, "Bo, B.", b@x)
    trim: true,
    skip_empty_lines: true,
  };
}

/** The records of `text` (one line or a few), or undefined when csv-parse finds it broken. */
function records(text: string, delimiter: Separator, relaxQuotes = true): string[][] | undefined {
  try {
    return parse(text, csvOptions(delimiter, relaxQuotes)) as string[][];
  } catch {
    return undefined;
  }
}

/** The header line's columns with `delimiter`, trimmed and lower-cased; undefined if it is broken. */
function headerColumns(line: string, delimiter: Separator): string[] | undefined {
  const rows = records(line, delimiter);
  if (!rows || rows.length !== 1) return undefined;
  return rows[0]!.map((c) => c.trim().toLowerCase());
}

/**
 * The separator that splits the header line into columns including `id` (and `name`, when more
 * than one does), outside quotes; a comma when they all split it alike.
 */
export function detectSeparator(headerLine: string): Separator {
  let best: Separator = ',', bestScore = -1;
  for (const sep of SEPARATORS) {
    const columns = headerColumns(headerLine, sep);
    if (!columns) continue;
    // an id column first; then a name column; then more than one column (for the message when
    // there is no id: "it has "student", "name"", not "it has "student;name"")
    const score = (columns.includes('id') ? 4 : 0) + (columns.includes('name') ? 2 : 0) + (columns.length > 1 ? 1 : 0);
    if (score > bestScore) { best = sep; bestScore = score; }
  }
  // no id anywhere, and broken with commas (an unclosed quote): say so, with commas
  return bestScore >= 4 || headerColumns(headerLine, ',') ? best : ',';
}

/** The physical lines of `text` and, for each, its first UTF-8 byte in the joined text. */
class Lines {
  readonly lines: string[];
  readonly bytes: Buffer;
  private readonly starts: number[];

  constructor(text: string) {
    this.lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
    this.bytes = Buffer.from(this.lines.join('\n'), 'utf8');
    this.starts = [];
    let at = 0;
    for (const l of this.lines) { this.starts.push(at); at += Buffer.byteLength(l, 'utf8') + 1; }
  }

  get count(): number { return this.lines.length; }
  start(i: number): number { return this.starts[i]!; }
  blank(i: number): boolean { return this.lines[i]!.trim() === ''; }

  /** the 0-based line holding byte `b` */
  lineOf(b: number): number {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= b) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** the first line at or after `i` with something on it, or undefined */
  nextFilled(i: number): number | undefined {
    while (i < this.count && this.blank(i)) i++;
    return i < this.count ? i : undefined;
  }
}

/** A record and the 0-based line it starts on. */
interface Row { fields: string[]; first: number }

/**
 * The records after the header (from line `from`), record by record: csv-parse reads the rest of
 * the file in one go; where it fails, or where a quoted field runs over a line that reads as a row
 * of its own, the record's first line is reported and reading starts again on the line after it.
 */
function readRows(lines: Lines, from: number, delimiter: Separator, looksLikeRow: (line: string) => boolean, problems: RosterProblem[]): Row[] {
  const rows: Row[] = [];
  let next: number | undefined = from;
  while (next !== undefined && next < lines.count) {
    const baseLine = next;
    const base = lines.start(next);
    const found: { fields: string[]; end: number }[] = [];
    let failure: unknown;
    try {
      parse(lines.bytes.subarray(base), {
        ...csvOptions(delimiter),
        on_record: (fields: string[], ctx) => { found.push({ fields, end: base + ctx.bytes }); return null; },
      });
    } catch (e) {
      failure = e;
    }
    next = undefined;
    let end = base;
    for (const rec of found) {
      const first = lines.nextFilled(lines.lineOf(end)) ?? lines.lineOf(end);
      const last = lines.lineOf(rec.end - 1);
      end = rec.end;
      // a quoted field over several lines: an unclosed quote, if a line it takes in is a row itself
      const swallowed = firstRowWithin(lines, first + 1, last, looksLikeRow);
      if (swallowed !== undefined) {
        problems.push({ line: first + 1, message: `line ${first + 1}: ${runsOn(swallowed)}` });
        next = first + 1;
        break;
      }
      rows.push({ fields: rec.fields, first });
    }
    if (next === undefined && failure !== undefined) {
      const first = lines.nextFilled(lines.lineOf(end));
      if (first === undefined) break;
      // csv-parse counts lines from where this pass started
      const at = (failure as { lines?: unknown }).lines;
      const failed = typeof at === 'number' && at >= 1 ? Math.min(baseLine + at - 1, lines.count - 1) : first;
      problems.push({ line: first + 1, message: `line ${first + 1}: ${describeFailure(failure, first, failed, lines, looksLikeRow)}` });
      next = first + 1;
    }
  }
  return rows;
}

/** The first line from `from` to `to` that reads as a row of its own, if one does. */
function firstRowWithin(lines: Lines, from: number, to: number, looksLikeRow: (line: string) => boolean): number | undefined {
  for (let k = from; k <= to; k++) if (looksLikeRow(lines.lines[k]!)) return k;
  return undefined;
}

const runsOn = (k: number) => `a quoted field is never closed (its quote runs on into line ${k + 1}, which reads as a row of its own)`;

/** Why the record starting on 0-based line `first` cannot be read, csv-parse failing on line `failed`. */
function describeFailure(e: unknown, first: number, failed: number, lines: Lines, looksLikeRow: (line: string) => boolean): string {
  const code = (e as { code?: string }).code;
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field is never closed';
  const badClose = code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE' || code === 'CSV_INVALID_CLOSING_QUOTE';
  if (failed > first) {
    const swallowed = firstRowWithin(lines, first + 1, failed, looksLikeRow);
    if (swallowed !== undefined) return runsOn(swallowed);
    if (badClose) return `a quoted field is never closed on this line (the quote that ends it, on line ${failed + 1}, has other characters after it)`;
  }
  if (badClose) return 'a quoted field has other characters after its closing quote (a quote inside a quoted field is written "")';
  const message = e instanceof Error ? e.message : String(e);
  // "Invalid Opening Quote: ... at line 3" → "the CSV cannot be read (invalid opening quote: ...)"
  return `the CSV cannot be read (${message.replace(/^([^:]+):/, (_, what: string) => `${what.toLowerCase()}:`).replace(/ at line \d+/, '')})`;
}

/** `sep=;` (Excel's first line naming the separator) */
function excelSeparatorLine(line: string): Separator | undefined {
  const m = /^\s*"?sep=(.)"?\s*$/i.exec(line);
  const sep = m?.[1];
  return sep === ',' || sep === ';' || sep === '\t' ? sep : undefined;
}

export function parseRoster(text: string): Roster {
  const lines = new Lines(text);
  let h = lines.nextFilled(0);
  if (h === undefined) return { students: [], problems: [{ line: 1, message: 'the roster is empty; expected a header row with id and name columns' }], notices: [] };
  const named = excelSeparatorLine(lines.lines[h]!);
  if (named !== undefined) {
    h = lines.nextFilled(h + 1);
    if (h === undefined) return { students: [], problems: [{ line: 1, message: 'the roster is empty; expected a header row with id and name columns' }], notices: [] };
  }
  const headerLine = lines.lines[h]!;
  const sep = named ?? detectSeparator(headerLine);
  const columns = headerColumns(headerLine, sep);
  if (!columns) return { students: [], problems: [{ line: h + 1, message: `line ${h + 1}: the header line cannot be read (a quoted field is never closed)` }], notices: [] };
  const idCol = columns.indexOf('id'), nameCol = columns.indexOf('name');
  const missing = [idCol < 0 ? 'id' : '', nameCol < 0 ? 'name' : ''].filter(Boolean);
  if (missing.length) {
    const hint = idCol < 0 ? '; the columns may be separated by commas, semicolons or tabs' : '';
    return { students: [], problems: [{ line: h + 1, message: `line ${h + 1}: the header has no ${missing.join(' or ')} column (it has ${columns.map((c) => JSON.stringify(c)).join(', ')})${hint}` }], notices: [] };
  }
  const notices = sep === ',' ? [] : [`columns are separated by ${SEPARATOR_NAMES[sep]}, not commas, as ${named ? 'its sep= line says' : 'the header line shows'}.`];

  const width = columns.length;
  const needed = Math.max(idCol, nameCol) + 1;
  /** a line that, on its own and strictly quoted, is a row with an id */
  const looksLikeRow = (line: string): boolean => {
    if (line.trim() === '') return false;
    const rows = records(line, sep, false);
    const fields = rows?.length === 1 ? rows[0]! : undefined;
    return !!fields && fields.length >= needed && fields.length <= width && fields[idCol]!.trim() !== '';
  };

  const problems: RosterProblem[] = [];
  const students: Student[] = [];
  const seen = new Map<string, number>();
  for (const row of readRows(lines, h + 1, sep, looksLikeRow, problems)) {
    const line = row.first + 1;
    const fields = row.fields;
    // a row of empty fields (a spreadsheet's trailing ;;;) is a blank line
    if (fields.every((f) => f.trim() === '')) continue;
    const count = `${fields.length} ${fields.length === 1 ? 'field' : 'fields'}`;
    if (fields.length > width) {
      problems.push({ line, message: `line ${line}: has ${count} but the header has ${width} (a field with ${SEPARATOR_SHOWN[sep]} in it needs double quotes)` });
      continue;
    }
    if (fields.length < needed) {
      const lacks = [idCol >= fields.length ? 'id' : '', nameCol >= fields.length ? 'name' : ''].filter(Boolean).join(' and ');
      problems.push({ line, message: `line ${line}: has ${count} but the header has ${width}, so the ${lacks} ${lacks.includes(' and ') ? 'are' : 'is'} missing` });
      continue;
    }
    const id = fields[idCol]!.trim();
    const name = fields[nameCol]!.trim();
    if (!id) { problems.push({ line, message: `line ${line}: the id is empty` }); continue; }
    if (seen.has(id)) { problems.push({ line, message: `line ${line}: the id "${id}" repeats line ${seen.get(id)}` }); continue; }
    seen.set(id, line);
    students.push({ id, name: name || id, line });
  }
  problems.sort((a, b) => a.line - b.line);
  return { students, problems, notices };
}
