/**
 * Class rosters (docs/formats.md): CSV with a header naming at least `id` and `name` (other columns
 * are kept and ignored), RFC 4180 quoting, UTF-8 with or without a BOM. Bad lines are reported
 * with their line numbers; the good ones are kept.
 */

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

/** RFC 4180 records with the line each starts on; quoted fields may span lines. */
export function parseCsv(text: string): { fields: string[]; line: number }[] | { error: string; line: number } {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') { field += '"'; i++; } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) { inQuotes = true; fieldStarted = true; continue; }
    if (ch === ',') { fields.push(field); field = ''; fieldStarted = false; continue; }
    if (ch === '\r' && src[i + 1] === '\n') continue;
    if (ch === '\n' || ch === '\r') {
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
      fields = []; field = ''; fieldStarted = false;
      line++;
      recordLine = line;
      continue;
    }
    field += ch;
    fieldStarted = true;
  }
  if (inQuotes) return { error: 'a quoted field is never closed', line: recordLine };
  if (fieldStarted || fields.length > 0) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  return records;
}

export function parseRoster(text: string): { students: Student[]; problems: RosterProblem[] } {
  const parsed = parseCsv(text);
  if (!Array.isArray(parsed)) return { students: [], problems: [{ line: parsed.line, message: `line ${parsed.line}: ${parsed.error}` }] };
  const [header, ...rows] = parsed;
  if (!header) return { students: [], problems: [{ line: 1, message: 'the roster is empty; expected a header row with id and name columns' }] };
  const columns = header.fields.map((h) => h.trim().toLowerCase());
  const idCol = columns.indexOf('id'), nameCol = columns.indexOf('name');
  const missing = [idCol < 0 ? 'id' : '', nameCol < 0 ? 'name' : ''].filter(Boolean);
  if (missing.length) {
    return { students: [], problems: [{ line: header.line, message: `line ${header.line}: the header has no ${missing.join(' or ')} column (it has ${columns.map((c) => JSON.stringify(c)).join(', ')})` }] };
  }
  const students: Student[] = [];
  const problems: RosterProblem[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const id = (row.fields[idCol] ?? '').trim();
    const name = (row.fields[nameCol] ?? '').trim();
    if (row.fields.length !== header.fields.length) {
      problems.push({ line: row.line, message: `line ${row.line}: has ${row.fields.length} fields but the header has ${header.fields.length}` });
      continue;
    }
    if (!id) { problems.push({ line: row.line, message: `line ${row.line}: the id is empty` }); continue; }
    if (seen.has(id)) { problems.push({ line: row.line, message: `line ${row.line}: the id "${id}" repeats line ${seen.get(id)}` }); continue; }
    seen.set(id, row.line);
    students.push({ id, name: name || id, line: row.line });
  }
  return { students, problems };
}
