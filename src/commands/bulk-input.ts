/**
 * Bulk input: a JSON array of submissions, a JSONL file (one per line) or a folder of *.json
 * files. Each item is either a parsed value or the sentence saying why it is not JSON; nothing
 * here stops at a bad item.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GradsheetError, parseJsonText } from '../errors.js';

import type { BulkItem } from '../grade/bulk.js';

function parseOne(text: string, where: string): BulkItem {
  try {
    return { where, value: parseJsonText(text, where) };
  } catch (e) {
    return { where, error: (e as Error).message };
  }
}

export function readSubmissions(path: string): BulkItem[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new GradsheetError('not-found', `${path} does not exist.`);
  }
  if (stat.isDirectory()) {
    return readdirSync(path, { withFileTypes: true })
      .filter((e) => e.name.endsWith('.json') && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort()
      .map((f) => {
        let text: string;
        try {
          text = readFileSync(join(path, f), 'utf8');
        } catch (e) {
          return { where: f, error: `${f} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).` };
        }
        return parseOne(text.replace(/^\uFEFF/, ''), f);
      });
  }
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    const whole = parseOne(text, path);
    if (whole.error) return [whole];
    return (whole.value as unknown[]).map((value, i) => ({ where: `[${i}]`, value }));
  }
  // JSONL: one submission per non-empty line; a single JSON object is a file of one line
  if (trimmed.startsWith('{') && !/\n\s*\{/.test(trimmed)) return [parseOne(text, path)];
  const items: BulkItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    items.push(parseOne(line, `line ${i + 1}`));
  });
  return items;
}
