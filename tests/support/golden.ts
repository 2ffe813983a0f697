/**
 * Golden variants of a shipped bank: a few variants under practiceSecret('golden'), written when
 * the bank's types were added, must regenerate with the same codes, instances, parts, answers and
 * mistakes (worksheets printed from it keep grading). `GRADSHEET_WRITE_GOLDEN=1` writes the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { generateKeyVariants, parseBank, practiceSecret, practiceStudents, type KeyVariant } from '../../src/index.js';
import { maxRelDiff } from './random-instances.js';

export function expectGoldenVariants(bankFile: string, goldenFile: string, count = 2): void {
  const bank = parseBank(JSON.parse(readFileSync(bankFile, 'utf8')));
  const fresh = generateKeyVariants(bank, practiceSecret('golden'), practiceStudents(count).map((id) => ({ id, name: id })));
  if (process.env.GRADSHEET_WRITE_GOLDEN === '1' || !existsSync(goldenFile)) {
    if (process.env.GRADSHEET_WRITE_GOLDEN !== '1') throw new Error(`${goldenFile} is missing: write it with GRADSHEET_WRITE_GOLDEN=1 when the bank's types are added.`);
    writeFileSync(goldenFile, `${JSON.stringify(fresh, null, 1)}\n`);
  }
  const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as KeyVariant[];
  expect(fresh.map((v) => v.code)).toEqual(golden.map((v) => v.code));
  golden.forEach((v, n) => v.questions.forEach((q, m) => {
    const now = fresh[n]!.questions[m]!;
    expect(now.instance).toEqual(q.instance);
    expect(now.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.dependsOn, p.choices, (p.mistakes ?? []).map((x) => x.id)]))
      .toEqual(q.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.dependsOn, p.choices, (p.mistakes ?? []).map((x) => x.id)]));
    now.parts.forEach((p, k) => {
      const was = q.parts[k]!;
      if (typeof was.answer === 'string') expect(p.answer).toBe(was.answer);
      else expect(maxRelDiff(p.answer, was.answer, 1e-300), p.id).toBeLessThan(1e-12);
    });
  }));
}
