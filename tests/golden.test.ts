import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyVariants, GENERATOR_VERSION, parseBank, practiceSecret, practiceStudents, type KeyVariant } from '../src/index.js';
import { GENERATOR_VERSIONS } from '../src/problems/generator-version.js';
import { maxRelDiff } from './support/random-instances.js';

/**
 * Variants already printed must regenerate identically after an upgrade, under the generator
 * version they were drawn with. Each version has its golden file: 2 variants of a bank covering
 * every problem type, scalar and vector (generator 1: tests/golden/bank.json → variants.json;
 * generator N: bank-vN.json → variants-vN.json): codes, instances, part structure, choice order
 * and mistake lists exactly, answers to 1e-12 (an upgrade may reorder floating-point operations).
 */
const TYPES = ['activations', 'rnn.forward', 'rnn.jacobian', 'rnn.bptt', 'rnn.long-range', 'lstm.forward', 'lstm.cell-jacobian', 'lstm.bptt', 'concept.memory'];

it('every generator version this release can draw has a golden file, the newest included', () => {
  expect(GENERATOR_VERSIONS).toContain(GENERATOR_VERSION);
  for (const v of GENERATOR_VERSIONS) expect(() => readFileSync(`tests/golden/variants${v === 1 ? '' : `-v${v}`}.json`)).not.toThrow();
});

for (const version of GENERATOR_VERSIONS) {
  const suffix = version === 1 ? '' : `-v${version}`;
  const golden = JSON.parse(readFileSync(`tests/golden/variants${suffix}.json`, 'utf8')) as KeyVariant[];
  const bank = parseBank(JSON.parse(readFileSync(`tests/golden/bank${suffix}.json`, 'utf8')));
  const fresh = generateKeyVariants(bank, practiceSecret('golden'), practiceStudents(2).map((id) => ({ id, name: id })));

  describe(`golden variants of generator version ${version}`, () => {
    it(`come from a bank drawn with generator ${version} and cover every problem type`, () => {
      expect(bank.generator).toBe(version);
      const types = new Set(golden.flatMap((v) => v.questions.map((q) => q.type)));
      for (const t of TYPES) expect(types).toContain(t);
      expect(golden.flatMap((v) => v.questions)).toHaveLength(2 * bank.questions.length);
    });

    golden.forEach((v, n) => {
      v.questions.forEach((q, m) => {
        it(`regenerates ${v.code} ${q.id} (${q.type}) with the same instance, parts and answers`, () => {
          const now = fresh[n]!.questions[m]!;
          expect(fresh[n]!.code).toBe(v.code);
          expect(now.instance, `the instance changed: a change to generator ${version}'s draws belongs in a new generator version`).toEqual(q.instance);
          expect(now.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn])).toEqual(q.parts.map((p) => [p.id, p.kind, p.points, p.tolerance, p.choices, p.dependsOn]));
          now.parts.forEach((p, k) => {
            const was = q.parts[k]!;
            if (typeof was.answer === 'string') expect(p.answer).toBe(was.answer);
            else expect(maxRelDiff(p.answer, was.answer, 1e-300), p.id).toBeLessThan(1e-12);
            expect((p.mistakes ?? []).map((x) => x.id), p.id).toEqual((was.mistakes ?? []).map((x) => x.id));
          });
        });
      });
    });
  });
}
