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

/** A bank by default name (question-banks/NAME.json) or by path. */
export async function loadBank(nameOrPath: string): Promise<Bank> {
  const isName = /^[a-z0-9-]+$/.test(nameOrPath) && !existsSync(nameOrPath);
  const path = isName ? join(packageDir(), 'question-banks', `${nameOrPath}.json`) : nameOrPath;
  if (isName && !existsSync(path)) {
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
