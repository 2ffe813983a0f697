/** Runs the built CLI as a user would, capturing exit code and both streams. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}dist/cli.js`;

export interface CliResult { code: number; stdout: string; stderr: string }

export function gradsheet(args: string[], options: { input?: string; cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input, cwd: options.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 1 << 28,
    env: { ...process.env, ...options.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
