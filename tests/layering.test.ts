import { cpSync, writeFileSync, readFileSync, appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';
import { tempDir } from './support/tmp.js';

/**
 * The layering of STYLE.md, as .dependency-cruiser.cjs states it (npm test runs the same check on
 * src/ before vitest): here it is shown to hold on src/ and to catch what it forbids, on a copy of
 * src/ with one offending import added.
 */
const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs') as { forbidden: unknown[]; options: Record<string, unknown> };

async function violations(root: string): Promise<{ rule: string; from: string; to: string }[]> {
  // the files to cruise are named relative to baseDir (an absolute path outside the working
  // directory, as a temporary copy may be, is otherwise taken relative to it)
  const result = await cruise(['src'], { ...config.options, baseDir: resolve(root), ruleSet: { forbidden: config.forbidden }, validate: true } as never);
  const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

/** A copy of the project's src/ and tsconfig.json with `line` appended to `file`. */
function copyWith(file: string, line: string): string {
  const dir = tempDir('gradsheet-layering-');
  cpSync('src', join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), readFileSync('tsconfig.json'));
  appendFileSync(join(dir, file), `\n${line}\n`);
  return dir;
}

describe('the layering', () => {
  it('holds on src/: no upward import, no circle, no file system in the core', async () => {
    expect(await violations('.')).toEqual([]);
  }, 60_000);

  it('fails an upward import (a problem type reaching into the grader), naming both files', async () => {
    const found = await violations(copyWith('src/problems/format.ts', "import { markPart } from '../grade/mark.js'; void markPart;"));
    expect(found).toContainEqual({ rule: 'no-upward-from-problems', from: 'src/problems/format.ts', to: 'src/grade/mark.ts' });
  }, 60_000);

  it('fails a sideways import between the grader and the renderer, and an import circle', async () => {
    const found = await violations(copyWith('src/grade/report.ts', "import { renderTex } from '../render/math.js'; void renderTex;"));
    expect(found).toContainEqual({ rule: 'no-upward-from-grade', from: 'src/grade/report.ts', to: 'src/render/math.ts' });
    const circle = await violations(copyWith('src/problems/random.ts', "import { MAX_DRAWS } from './generate.js'; void MAX_DRAWS;"));
    expect(circle.map((v) => v.rule)).toContain('no-circular');
  }, 60_000);

  it('fails file I/O in the pure core', async () => {
    const found = await violations(copyWith('src/models/linalg.ts', "import { readFileSync } from 'node:fs'; void readFileSync;"));
    expect(found.map((v) => [v.rule, v.from])).toContainEqual(['pure-core', 'src/models/linalg.ts']);
  }, 60_000);
});
