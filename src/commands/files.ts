/**
 * Files the commands read and write: banks by name or path, secrets, atomic output.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradsheetError } from '../errors.js';
import { parseBank, type Bank } from '../problems/bank.js';
import { readJson, readText } from './io.js';

/** The package's own folder (with question-banks/ and templates/), from src/ or dist/. */
export function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new GradsheetError('internal', 'Cannot find the gradsheet package folder.');
    dir = up;
  }
  return dir;
}

export function defaultBankNames(): string[] {
  return readdirSync(join(packageDir(), 'question-banks')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/**
 * A bank by default name (question-banks/NAME.json), by default name and the generator version
 * an earlier release shipped it under (NAME@1: question-banks/generator-1/NAME.json, as it was,
 * so worksheets printed from it keep grading), or by path.
 */
export async function loadBank(nameOrPath: string): Promise<Bank> {
  const named = /^([a-z0-9-]+)(?:@(\d+))?$/.exec(nameOrPath);
  const isName = named !== null && !existsSync(nameOrPath);
  const path = !isName ? nameOrPath : named[2] ? join(packageDir(), 'question-banks', `generator-${named[2]}`, `${named[1]}.json`) : join(packageDir(), 'question-banks', `${nameOrPath}.json`);
  if (isName && !existsSync(path)) {
    if (named[2]) {
      const old = readdirSync(join(packageDir(), 'question-banks'), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith('generator-')).map((d) => d.name.slice('generator-'.length));
      throw new GradsheetError('not-found', `There is no default bank "${named[1]}" as generator version ${named[2]} shipped it; earlier versions of the default banks are kept for generator ${old.join(', ') || 'none'}.`);
    }
    throw new GradsheetError('not-found', `There is no default bank "${nameOrPath}"; the default banks are ${defaultBankNames().join(', ')}, or give a path to a bank file.`);
  }
  return parseBank(await readJson(path), isName ? `bank ${nameOrPath}` : path);
}

export async function readSecret(path: string): Promise<string> {
  const secret = (await readText(path)).trim();
  if (secret.length < 16) throw new GradsheetError('usage', `The secret in ${path} is too short (${secret.length} characters); use at least 16 random characters, e.g. from \`openssl rand -hex 16\`.`);
  return secret;
}

/** Writes a file so that a crash never leaves half of it: a temporary file, then a rename. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
