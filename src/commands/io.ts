/** Reading inputs for the thin command layer: files or standard input, with errors as sentences. */
import { readFile } from 'node:fs/promises';
import { GradsheetError, parseJsonText } from '../errors.js';

export async function readText(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(e)})`;
    throw new GradsheetError('not-found', `${path} ${why}.`, { cause: e });
  }
}

/** What a message calls an input: its path, or "standard input" for `-`. */
export function inputName(path: string): string {
  return path === '-' ? 'standard input' : path;
}

/** An input's text for a JSON parser: the file (or standard input) without a byte order mark. */
export async function readJsonText(path: string): Promise<string> {
  return (await readText(path)).replace(/^\uFEFF/, '');
}

export async function readJson(path: string): Promise<unknown> {
  return parseJsonText(await readJsonText(path), inputName(path));
}
