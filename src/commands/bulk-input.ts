/**
 * Bulk input: a JSON array of submissions, a JSONL file (one per line) or a folder of *.json
 * files. Each item is either a parsed value or the sentence saying why it is not JSON (and the
 * reason's code); nothing here stops at a bad item. Each item names where it came from: the file
 * name in a folder, `file:line` in a JSONL file, `file[i]` in an array. An input that holds no
 * submissions at all is an error: there is nothing to grade.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GradsheetError, parseJsonText } from '../errors.js';

import type { BulkItem } from '../grade/bulk.js';

function parseOne(text: string, where: string): BulkItem {
  try {
    return { where, value: parseJsonText(text, where) };
  } catch (e) {
    return { where, error: (e as Error).message, reason: 'not-json' };
  }
}

/** One line of a JSONL file: its position is the line's, so an error gives only the column. */
function parseLine(line: string, where: string): BulkItem {
  const item = parseOne(line, where);
  if (item.error !== undefined) item.error = item.error.replace(/ at line 1, column (\d+)/, ' at column $1');
  return item;
}

function nothing(path: string, why: string): never {
  throw new GradsheetError('invalid-input', `${path} holds no submissions: ${why}; there is nothing to grade.`);
}

function readFolder(path: string): BulkItem[] {
  const entries = readdirSync(path, { withFileTypes: true });
  const files = entries
    .filter((e) => e.name.endsWith('.json') && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort();
  if (files.length === 0) nothing(path, entries.length === 0 ? 'the folder is empty' : entries.length === 1 ? 'its one entry is not a .json file' : `none of its ${entries.length} entries is a .json file`);
  return files.map((f) => {
    let text: string;
    try {
      text = readFileSync(join(path, f), 'utf8');
    } catch (e) {
      return { where: f, error: `${f} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, reason: 'unreadable' as const };
    }
    return parseOne(text.replace(/^\uFEFF/, ''), f);
  });
}

export function readSubmissions(path: string): BulkItem[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new GradsheetError('not-found', `${path} does not exist.`);
  }
  if (stat.isDirectory()) return readFolder(path);
  const name = basename(path);
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed === '') nothing(path, text === '' ? 'the file is empty' : 'the file has only blank lines');
  if (trimmed.startsWith('[')) {
    const whole = parseOne(text, name);
    if (whole.error !== undefined) return [whole];
    const array = whole.value as unknown[];
    if (array.length === 0) nothing(path, 'it is an empty JSON array');
    return array.map((value, i) => ({ where: `${name}[${i}]`, value }));
  }
  // A single JSON object (perhaps over several lines) is a file of one submission; otherwise
  // JSONL, one submission per non-empty line. A .jsonl file is always read line by line, and so is
  // any file whose first line is JSON by itself, so one broken line never costs the good ones.
  const lines = text.split('\n');
  if (!name.endsWith('.jsonl') && trimmed.startsWith('{')) {
    const whole = parseOne(text, name);
    const firstLine = lines.find((l) => l.trim() !== '')!;
    if (whole.error === undefined || parseOne(firstLine, name).error !== undefined) return [whole];
  }
  const items: BulkItem[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    items.push(parseLine(line.replace(/\r$/, ''), `${name}:${i + 1}`));
  });
  return items;
}
