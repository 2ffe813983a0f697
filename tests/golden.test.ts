import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyVariants, GENERATOR_VERSION, parseBank, practiceSecret, practiceStudents, type KeyVariant } from '../src/index.js';
import { maxRelDiff } from './support/random-instances.js';

/**
 * Variants already printed must regenerate identically after an upgrade. The golden file pins
 * 2 variants × 13 questions covering every problem type, scalar and vector: codes, instances and
 * part structure exactly, answers to 1e-12 (an upgrade may reorder floating-point operations).
 */
const golden = JSON.parse(readFileSync('tests/golden/variants.json', 'utf8')) as KeyVariant[];
const bank = parseBank(JSON.parse(readFileSync('tests/golden/bank.json', 'utf8')));
const fresh = generateKeyVariants(bank, practiceSecret('golden'), practiceStudents(2).map((id) => ({ id, name: id })));

describe('golden variants (generator version ' + GENERATOR_VERSION + ')', () => {
  it('cover every problem type', () => {
    const types = new Set(golden.flatMap((v) => v.questions.map((q) => q.type)));
    for (const t of ['activations', 'rnn.forward', 'rnn.jacobian', 'rnn.bptt', 'rnn.long-range', 'lstm.forward', 'lstm.cell-jacobian', 'lstm.bptt', 'concept.memory']) expect(types).toContain(t);
    expect(golden.flatMap((v) => v.questions)).toHaveLength(26);
  });

  golden.forEach((v, n) => {
    v.questions.forEach((q, m) => {
      it(`regenerates ${v.code} ${q.id} (${q.type}) with the same instance, parts and answers`, () => {
        const now = fresh[n]!.questions[m]!;
        expect(fresh[n]!.code).toBe(v.code);
        expect(now.instance, 'the instance changed: bump GENERATOR_VERSION if this is deliberate').toEqual(q.instance);
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
