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
 * A bank by default name (question-banks/NAME.json), by default name and generator version
 * (NAME@1: the file as the release of generator 1 shipped it, kept in
 * question-banks/generator-1/, so worksheets printed from it keep grading; NAME@2, while 2 is the
 * shipped file's own version, is the shipped file), or by path.
 */
export async function loadBank(nameOrPath: string): Promise<Bank> {
  const named = /^([a-z0-9-]+)(?:@(\d+))?$/.exec(nameOrPath);
  if (named === null || existsSync(nameOrPath)) return parseBank(await readJson(nameOrPath), nameOrPath);
  const [, name, version] = named as unknown as [string, string, string | undefined];
  const banks = join(packageDir(), 'question-banks');
  const current = join(banks, `${name}.json`);
  if (!existsSync(current)) {
    throw new GradsheetError('not-found', `There is no default bank "${name}"; the default banks are ${defaultBankNames().join(', ')}, or give a path to a bank file.`);
  }
  if (version === undefined) return parseBank(await readJson(current), `bank ${name}`);
  const generator = Number(version);
  const shipped = await readJson(current) as { generator?: unknown };
  if ((shipped.generator ?? 1) === generator) return parseBank(shipped, `bank ${name}`);
  const old = join(banks, `generator-${generator}`, `${name}.json`);
  if (!existsSync(old)) {
    const kept = readdirSync(banks, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith('generator-') && existsSync(join(banks, d.name, `${name}.json`))).map((d) => d.name.slice('generator-'.length));
    throw new GradsheetError('not-found', `The default bank "${name}" was never shipped for generator version ${generator}; it is ${name} (generator ${String(shipped.generator ?? 1)})${kept.length ? ` or ${kept.map((k) => `${name}@${k}`).join(', ')}` : ''}.`);
  }
  return parseBank(await readJson(old), `bank ${name}@${generator}`);
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
